"""The front's HTML pages (Jinja, DSFR, htmx for the progressive parts).

Regulator pages: the search form (`/`), its place suggestions (`/lieux`, an htmx fragment),
the results (`/recherche`), "my appointments" (`/rendez-vous`). Platform-team pages (`admin`):
territories × adapters with their health (`/admin`), one adapter in one territory with its
changes and audit trail (`/admin/territoires/{code}/{adapter}`), regulators and their accounts
(`/admin/regulateurs`), appointments per territory, vendor and month (`/admin/rendez-vous`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import quote, urlencode

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from sas_core.geography.gazetteer import GazetteerMissing
from sas_core.geography.models import AmbiguousPlace, Candidate, GeocodeError
from sas_core.offer.nomenclature import SPECIALTIES, specialty_code
from sas_core.registry.models import LIFECYCLE, AdapterState, RegistryError
from sas_core.search.models import SearchInputError
from sas_web.front.auth import User, current_user, take_draft
from sas_web.front.charts import bar_chart, sparkline
from sas_web.front.places import place_suggestions
from sas_web.front.services import CASE_REFERENCE, FrontServices, LrmCase

AnyRequest = Request[Any, Any, Any]
REGULATOR = {"role": "regulator"}
ADMIN = {"role": "admin"}
ANYONE: dict[str, Any] = {"role": None}
DISPLAYS = (
    ("creneaux", "Professionnels avec des créneaux disponibles"),
    ("sus", "Créneaux en sus des disponibilités (surnuméraire)"),
    ("tous", "Toute l’offre de soins"),
)
#: The specialty field's suggestions: TRE_R38 labels (the field takes a label or a code).
SPECIALTY_LABELS = list(SPECIALTIES.values())
STATE_LABELS = {
    AdapterState.ONBOARDING: "Raccordement",
    AdapterState.CONNECTED_TEST: "Test connecté",
    AdapterState.PRODUCTION: "Production",
    AdapterState.SUSPENDED: "Suspendu",
}
CIRCUIT_LABELS = {
    "closed": "Fermé (normal)",
    "open": "Ouvert (éditeur coupé)",
    "half-open": "Essai en cours",
}


def services(request: AnyRequest) -> FrontServices:
    found: FrontServices = request.app.state["front"]
    return found


def page(request: AnyRequest, template: str, status: int = 200, **context: Any) -> Template:
    """A page, with who is logged in (the header shows it)."""
    return Template(
        template_name=template,
        context={"user": current_user(request), **context},
        status_code=status,
    )


def lrm_case(lrm: str | None, reference: str | None) -> LrmCase | None:
    """The LRM case a search carries, when both parts are there and well formed."""
    if not lrm or not reference or not CASE_REFERENCE.fullmatch(reference):
        return None
    return LrmCase(lrm[:100], reference)


def _user(request: AnyRequest) -> User:
    user = current_user(request)
    assert user is not None  # the guard let only logged-in users in
    return user


# -- regulator pages ---------------------------------------------------------------------------


@get("/", opt=ANYONE, include_in_schema=False)
async def home(request: AnyRequest) -> Template:
    return search_form(request, {k: str(v) for k, v in request.query_params.items()})


@get("/lieux", opt=REGULATOR, include_in_schema=False)
async def places(request: AnyRequest, lieu: FromQuery[str] = "") -> Template:
    """The place field's suggestions: an htmx fragment (a `datalist`)."""
    found = await anyio.to_thread.run_sync(lambda: place_suggestions().suggest(lieu[:100]))
    return Template(template_name="suggestions.html", context={"places": found})


def search_form(
    request: AnyRequest,
    form: dict[str, str],
    status: int = 200,
    error: str | None = None,
    candidates: tuple[Candidate, ...] = (),
) -> Template:
    """The search form, with what was typed, the specialties offered as suggestions and, after
    a refusal, why in French (and the places an ambiguous one may mean)."""
    places = [(c, f"{c.postcodes[0]} {c.label}" if c.postcodes else c.label) for c in candidates]
    choices = [
        (f"{c.label} ({c.departement})", f"/recherche?{urlencode({**form, 'lieu': lieu})}")
        for c, lieu in places
    ]
    return page(request, "home.html", status, form=form, displays=DISPLAYS, section="search",
                specialties=SPECIALTY_LABELS, error=error, choices=choices)  # fmt: skip


def search_refusal(exc: Exception, lieu: str, specialite: str) -> str:
    """What the regulator is told, in French, when a search cannot start."""
    if isinstance(exc, AmbiguousPlace):
        return f"« {lieu} » désigne plusieurs lieux : choisissez le bon ci-dessous."
    if isinstance(exc, GeocodeError):
        return (
            f"Lieu introuvable : « {lieu} ». Indiquez une commune, un code postal ou une "
            "adresse (par exemple « Bordeaux » ou « 33000 »)."
        )
    if isinstance(exc, GazetteerMissing):
        return (
            "La recherche par lieu est indisponible : le référentiel des communes n’est pas "
            "installé sur la plateforme. Contactez l’équipe de la plateforme."
        )
    if isinstance(exc, UnknownSpecialtyText):
        return (
            f"Spécialité inconnue : « {specialite} ». Choisissez-en une dans la liste proposée "
            "(par exemple « Médecine générale » ou « Pédiatrie »)."
        )
    return "Recherche impossible : les critères n’ont pas pu être compris. Vérifiez-les."


class UnknownSpecialtyText(ValueError):
    """The specialty field names no TRE_R38 specialty (neither a code nor a label)."""


def _specialty(text: str) -> str | None:
    """The TRE_R38 code of what was typed (None: any specialty)."""
    if not text.strip():
        return None
    code = specialty_code(text)
    if code is None:
        raise UnknownSpecialtyText(text)
    return code


_REFUSED = (GeocodeError, GazetteerMissing, SearchInputError, ValueError)


@get("/recherche", opt=REGULATOR, include_in_schema=False)
async def search(
    request: AnyRequest,
    lieu: FromQuery[str] = "",
    specialite: FromQuery[str] = "",
    affichage: FromQuery[str] = "creneaux",
) -> Template:
    """The results page: the place understood at once, then the cards lot by lot (htmx loads
    `/recherche/resultats`; without script, a link to it)."""
    front = services(request)
    form = {k: str(v) for k, v in request.query_params.items()}
    if not lieu.strip():
        empty = "Indiquez un lieu : une commune, un code postal ou une adresse."
        return search_form(request, form, 400, empty)
    try:
        specialty = _specialty(specialite)
        _, area = await anyio.to_thread.run_sync(front.geocode, lieu[:200])
        running = await anyio.to_thread.run_sync(
            lambda: front.start_search(area, specialty, affichage, None)
        )
    except _REFUSED as exc:
        candidates = exc.candidates if isinstance(exc, AmbiguousPlace) else ()
        return search_form(request, form, 422, search_refusal(exc, lieu, specialite), candidates)
    header = running.header
    query = urlencode({**form, "graine": str(header.seed)})
    return page(request, "results.html", header=header, query=urlencode(form),
                lot_url=f"/recherche/resultats?{query}&lot=1", section="search")  # fmt: skip


@get("/recherche/resultats", opt=REGULATOR, include_in_schema=False)
async def search_lot(
    request: AnyRequest,
    lieu: FromQuery[str] = "",
    specialite: FromQuery[str] = "",
    affichage: FromQuery[str] = "creneaux",
    graine: FromQuery[int | None] = None,
    lot: FromQuery[int] = 1,
    medecin: FromQuery[str | None] = None,
    lrm: FromQuery[str | None] = None,
    dossier: FromQuery[str | None] = None,
) -> Template:
    """One lot of cards: an htmx fragment, or a page of its own without script. The same seed
    gives the same order; the lots before it come from the vendors' cached answers. `medecin`
    is the LRM's attending doctor (`/sas/recherche`), kept first in every lot; `lrm` and
    `dossier` its case, which the slots shown are kept for (the booking's case reference)."""
    front = services(request)
    user = _user(request)
    fragment = request.headers.get("hx-request") == "true"
    try:
        specialty = _specialty(specialite)
        _, area = await anyio.to_thread.run_sync(front.geocode, lieu[:200])
        running = await anyio.to_thread.run_sync(
            lambda: front.start_search(area, specialty, affichage, graine, preferred=medecin)
        )
    except _REFUSED as exc:
        candidates = exc.candidates if isinstance(exc, AmbiguousPlace) else ()
        form = {k: str(v) for k, v in request.query_params.items()}
        return search_form(request, form, 422, search_refusal(exc, lieu, specialite), candidates)
    case = lrm_case(lrm, dossier)
    found = await front.results_lot(running, max(lot, 1), user.sub, case)
    form = {"lieu": lieu, "specialite": specialite, "affichage": affichage}
    if medecin is not None:
        form["medecin"] = medecin
    if case is not None:
        form.update(lrm=case.lrm, dossier=case.reference)
    next_url = (
        f"/recherche/resultats?{urlencode({**form, 'graine': str(found.header.seed)})}"
        f"&lot={found.lot + 1}"
    )
    context: dict[str, Any] = {"found": found, "next_url": next_url if found.more else None}
    if fragment:
        return Template(template_name="cards.html", context=context)
    return page(request, "results.html", header=found.header, query=urlencode(form),
                lot_url=None, section="search", **context)  # fmt: skip


@get("/rendez-vous", opt=REGULATOR, include_in_schema=False)
async def appointments(request: AnyRequest) -> Template:
    user = _user(request)
    found = await anyio.to_thread.run_sync(
        lambda: services(request).my_appointments(user.sub, user.national_id)
    )
    return page(request, "appointments.html", appointments=found, section="appointments")


# -- platform-team pages -----------------------------------------------------------------------


@get("/admin", opt=ADMIN, include_in_schema=False)
async def admin_home(request: AnyRequest) -> Template:
    front = services(request)
    lines = await anyio.to_thread.run_sync(front.adapter_lines)
    names = await anyio.to_thread.run_sync(front.adapter_names)
    territories = await anyio.to_thread.run_sync(front.territories)
    rows = [
        {
            "line": line,
            "state_label": STATE_LABELS.get(AdapterState(line.state), line.state),
            "circuit_label": CIRCUIT_LABELS.get(line.circuit, line.circuit),
            "latency": sparkline(
                line.latencies, f"Latence des derniers appels de {line.adapter} en {line.territory}"
            ),
            "failures": sparkline(
                line.failures,
                f"Part d’échecs des dernières recherches de {line.adapter} en {line.territory}",
            ),
        }
        for line in lines
    ]
    return page(
        request,
        "admin/index.html",
        rows=rows,
        adapters=names,
        territories=territories,
        section="admin",
    )


@get("/admin/territoires", opt=ADMIN, include_in_schema=False)
async def admin_pick(territoire: FromQuery[str] = "", adaptateur: FromQuery[str] = "") -> Redirect:
    """The "enable an adapter in a territory" picker's answer: that pair's page."""
    if not territoire or not adaptateur:
        return Redirect("/admin", status_code=HTTP_303_SEE_OTHER)
    return Redirect(
        f"/admin/territoires/{quote(territoire)}/{quote(adaptateur)}",
        status_code=HTTP_303_SEE_OTHER,
    )


#: The settings form's field of one adapter setting: this prefix and the setting's name.
SETTING_FIELD = "reglage-"


@get("/admin/territoires/{code:str}/{adapter:str}", opt=ADMIN, include_in_schema=False)
async def admin_adapter(
    request: AnyRequest, code: FromPath[str], adapter: FromPath[str]
) -> Template:
    return await _adapter_page(request, code, adapter, take_draft(request), None, 200)


@post("/admin/territoires/{code:str}/{adapter:str}", opt=ADMIN, include_in_schema=False)
async def admin_adapter_change(
    request: AnyRequest, code: FromPath[str], adapter: FromPath[str]
) -> Response[Any]:
    """One change with its reason (required), through the registry's change services."""
    form = {k: str(v) for k, v in (await request.form()).items() if k != "_csrf_token"}
    reason = form.get("raison", "").strip()
    action = form.get("action", "")
    if not reason:
        return await _adapter_page(
            request,
            code,
            adapter,
            form,
            "Indiquez la raison du changement : elle est gardée dans le journal.",
            400,
        )
    if action not in ("enable", "disable", "state", "settings"):
        return await _adapter_page(request, code, adapter, form, "Choisissez une action.", 400)
    # The settings form: the adapter's settings and deadline, the same in every territory.
    settings = {k.removeprefix(SETTING_FIELD): v.strip() for k, v in form.items()
                if k.startswith(SETTING_FIELD)}  # fmt: skip
    timeout_s: float | None = None
    if action == "settings":
        try:
            timeout_s = float(form.get("delai", "").replace(",", "."))
        except ValueError:
            return await _adapter_page(
                request, code, adapter, form, "Le délai est un nombre de secondes (ex. 7).", 400
            )
    user = _user(request)
    try:
        await anyio.to_thread.run_sync(
            lambda: services(request).change_adapter(
                code,
                adapter,
                action,
                actor=user.email,
                reason=reason[:500],
                state=form.get("etat") or None,
                settings=settings,
                timeout_s=timeout_s,
            )
        )
    except (RegistryError, ValueError) as exc:
        return await _adapter_page(request, code, adapter, form, f"Changement refusé : {exc}", 409)
    return Redirect(f"/admin/territoires/{code}/{adapter}?fait=1", status_code=HTTP_303_SEE_OTHER)


async def _adapter_page(
    request: AnyRequest,
    code: str,
    adapter: str,
    form: dict[str, str],
    error: str | None,
    status: int,
) -> Template:
    front = services(request)
    lines = await anyio.to_thread.run_sync(lambda: front.adapter_lines(code))
    line = next((x for x in lines if x.adapter == adapter), None)
    audit = await anyio.to_thread.run_sync(lambda: front.audit(code, adapter))
    declared = await anyio.to_thread.run_sync(lambda: front.declaration(adapter))
    return page(
        request,
        "admin/adapter.html",
        status,
        code=code,
        adapter=adapter,
        line=line,
        audit=audit,
        declared=declared,
        setting_field=SETTING_FIELD,
        form=form,
        error=error,
        done=request.query_params.get("fait") == "1" and error is None,
        states=[(s.value, STATE_LABELS[s]) for s in (*LIFECYCLE, AdapterState.SUSPENDED)],
        state_labels={s.value: label for s, label in STATE_LABELS.items()},
        section="admin",
    )


@get("/admin/regulateurs", opt=ADMIN, include_in_schema=False)
async def admin_regulators(request: AnyRequest) -> Template:
    found = await anyio.to_thread.run_sync(services(request).regulators)
    return page(request, "admin/regulators.html", regulators=found, section="admin")


@get("/admin/rendez-vous", opt=ADMIN, include_in_schema=False)
async def admin_appointments(request: AnyRequest) -> Template:
    counts = await anyio.to_thread.run_sync(services(request).monthly_counts)
    per_month: dict[str, int] = defaultdict(int)
    for (_, _, month), n in counts.items():
        per_month[month] += n
    months = sorted(per_month)
    chart = bar_chart([(m[2:], per_month[m]) for m in months], "Rendez-vous déclarés par mois")
    table = sorted(counts.items())
    return page(
        request,
        "admin/appointments.html",
        chart=chart,
        months=[(m, per_month[m]) for m in months],
        table=table,
        section="admin",
    )


PAGE_HANDLERS = [
    home,
    places,
    search,
    search_lot,
    appointments,
    admin_home,
    admin_pick,
    admin_adapter,
    admin_adapter_change,
    admin_regulators,
    admin_appointments,
]
