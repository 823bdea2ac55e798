"""INT_L01, the LRM's contextual search: `GET /sas/recherche?origin=…` opened in the regulator's
browser by the regulation software (digest (a)), answered with the results page pre-filled.

The query is read as the SAS platform reads it: `origin` must be an active registered LRM
(`LrmDirectory.by_origin`); the address is rebuilt from `streetnumber`, `streetname`,
`inseecode` and `city`; `specialty` is free text or `urn:oid:…|code`; `practitioner` is the
attending doctor, shown first (`sas_pf_001`/`sas_pf_002` when he cannot be). `caseid` is our
addition (the public spec has no case parameter): the LRM's case reference, kept on the results
page so the booking can carry it. A regulator without a session goes through the login and
comes back to this very URL (the guard keeps the query string in `next`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
from litestar import Response, get
from litestar.response import Redirect, Template

from sas_core.geography.gazetteer import Gazetteer, GazetteerMissing, load_gazetteer
from sas_core.geography.models import GeocodeError
from sas_core.geography.names import name_key
from sas_core.offer.nomenclature import GENERAL_PRACTICE, SPECIALTIES
from sas_core.registry.lrms import LrmDirectory
from sas_core.search.models import PreferredDoctorError, SearchInputError
from sas_web.front.errors import error_page
from sas_web.front.pages import REGULATOR, AnyRequest, page, search_form, services
from sas_web.front.services import CASE_REFERENCE

LRM_SEARCH_PATH = "/sas/recherche"
#: Shown when `origin` names no active LRM (the platform's own wording, in French).
FLOW_DISABLED = (
    "Le flux entre le LRM et la plateforme SAS est désactivé pour des raisons techniques. "
    "Contactez le support de la plateforme."
)
DEFAULT_SPECIALTY_LABEL = "Consultation de médecine générale"
#: Paris, Lyon and Marseille: the commune and its municipal arrondissements name the city.
PLM_CITIES: dict[str, str] = {
    "75056": "Paris",
    **{f"751{n:02d}": "Paris" for n in range(1, 21)},
    "69123": "Lyon",
    **{f"6938{n}": "Lyon" for n in range(1, 10)},
    "13055": "Marseille",
    **{f"132{n:02d}": "Marseille" for n in range(1, 17)},
}
_CODED = re.compile(r"urn:oid:([0-9]+(?:\.[0-9]+)+)\|([A-Za-z0-9]+)")
PF_NOTICES = {
    "sas_pf_001": "Le médecin traitant transmis par le LRM n’a pas pu être identifié.",
    "sas_pf_002": "Le médecin traitant n’a pas été renseigné dans le LRM.",
}


@dataclass(frozen=True)
class LrmContext:
    """What the LRM's query was understood to ask. `place` is what is geocoded (None when the
    address is invalid, `problems` then says why); `shown_place` is the page's wording."""

    place: str | None
    shown_place: str
    specialty: str | None
    specialty_label: str
    practitioner: str
    case_reference: str | None
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def read_context(query: Mapping[str, str], gazetteer: Gazetteer) -> LrmContext:
    """The LRM's parameters, normalised as the platform does (digest (a), §2.1)."""
    problems: list[str] = []
    notices: list[str] = []
    number = "".join(c for c in query.get("streetnumber", "") if c.isdigit())
    street = query.get("streetname", "").strip().title()
    insee = query.get("inseecode", "").strip()
    city, departement, postcode = _city(insee, gazetteer)
    city = city or query.get("city", "").strip().title() or None
    place: str | None = None
    shown = ", ".join(x for x in (f"{number} {street}".strip(), city, departement) if x)
    if city is None:
        problems.append(
            "Adresse transmise par le LRM incomplète : aucune commune (ni code INSEE connu, ni "
            "paramètre city)."
        )
    elif number and not street:
        problems.append(
            f"Adresse transmise par le LRM invalide : un numéro ({number}) sans nom de rue."
        )
    else:
        where = f"{postcode} {city}" if postcode else city
        place = ", ".join(x for x in (f"{number} {street}".strip(), where) if x)
    code, label = _specialty(query.get("specialty", "").strip(), notices)
    practitioner = query.get("practitioner", "").strip()
    case = query.get("caseid", "").strip()
    if case and not CASE_REFERENCE.fullmatch(case):
        notices.append(
            "Référence de dossier du LRM ignorée (lettres, chiffres, « . », « _ », « : » ou "
            "« - », 64 caractères au plus) : le rendez-vous ne pourra pas y être rattaché."
        )
        case = ""
    return LrmContext(place, shown, code, label, practitioner, case or None, problems, notices)


def _city(insee: str, gazetteer: Gazetteer) -> tuple[str | None, str | None, str | None]:
    """City, département name (none for Paris) and a postcode for the INSEE code, if known."""
    commune = gazetteer.communes.get(insee) if insee else None
    if insee in PLM_CITIES:
        city = PLM_CITIES[insee]
    elif commune is not None:
        city = commune.name
    else:
        return None, None, None
    departement = None
    if city != "Paris" and commune is not None:
        found = gazetteer.departements.get(commune.departement)
        departement = found.name if found else None
    postcode = commune.postcodes[0] if commune is not None and commune.postcodes else None
    return city, departement, postcode


def _specialty(value: str, notices: list[str]) -> tuple[str | None, str]:
    """The TRE_R38 code to search and its label: coded, free text matched to a label, or the
    default (general practice). What the nomenclature does not know is searched without a
    specialty, and the page says so."""
    if not value:
        return GENERAL_PRACTICE, DEFAULT_SPECIALTY_LABEL
    coded = _CODED.fullmatch(value)
    if coded:
        code = coded.group(2).upper()
        if code in SPECIALTIES:
            return code, SPECIALTIES[code]
        notices.append(
            f"Spécialité transmise par le LRM inconnue ({code}) : recherche sans spécialité."
        )
        return None, "Toutes spécialités"
    if value.upper() in SPECIALTIES:
        return value.upper(), SPECIALTIES[value.upper()]
    key = name_key(value)
    for code, label in SPECIALTIES.items():
        if name_key(label) == key:
            return code, label
    if key in (name_key(DEFAULT_SPECIALTY_LABEL), name_key("médecine générale")):
        return GENERAL_PRACTICE, DEFAULT_SPECIALTY_LABEL
    notices.append(
        f"Spécialité transmise par le LRM non reconnue (« {value[:80]} ») : recherche sans "
        "spécialité."
    )
    return None, "Toutes spécialités"


def pf_notice(error: PreferredDoctorError | None) -> str | None:
    """The discreet notice for the preferred doctor's error code, as the platform words it."""
    return PF_NOTICES.get(error.error_code_sas) if error is not None else None


@get(LRM_SEARCH_PATH, opt=REGULATOR, include_in_schema=False)
async def lrm_search(request: AnyRequest) -> Response[Any]:
    """The LRM's search: refused unless `origin` is an active LRM; else the results page."""
    query = {k: str(v) for k, v in request.query_params.items()}
    if "origin" not in query:
        # Not the LRM mode: the ordinary search, with the platform's own parameter names.
        forward = {"lieu": query.get("loc", ""), "specialite": query.get("text", "")}
        return Redirect(f"/recherche?{urlencode(forward)}" if forward["lieu"] else "/")
    front = services(request)
    origin = query["origin"].strip()
    lrm = await anyio.to_thread.run_sync(lambda: LrmDirectory(front.engine).by_origin(origin))
    if lrm is None:
        return error_page(request, 403, FLOW_DISABLED)
    try:
        gazetteer = await anyio.to_thread.run_sync(load_gazetteer)
    except GazetteerMissing:
        return error_page(request, 503)
    context = read_context(query, gazetteer)
    form = {"lieu": context.place or context.shown_place, "specialite": context.specialty or ""}
    if context.place is None:
        return _form_again(request, form, " ".join(context.problems))
    try:
        _, area = await anyio.to_thread.run_sync(front.geocode, context.place)
        running = await anyio.to_thread.run_sync(
            lambda: front.start_search(
                area, context.specialty, "creneaux", None, preferred=context.practitioner
            )
        )
    except (GeocodeError, GazetteerMissing, SearchInputError, ValueError) as exc:
        return _form_again(request, form, f"Recherche impossible : {exc}")
    header = running.header
    carried = {**form, "affichage": "creneaux", "medecin": context.practitioner}
    if context.case_reference:
        carried.update(lrm=lrm.name, dossier=context.case_reference)
    lot_query = urlencode({**carried, "graine": str(header.seed)})
    notices = [*context.notices]
    doctor = pf_notice(header.preferred_doctor_error)
    if doctor:
        notices.insert(0, doctor)
    return page(
        request,
        "results.html",
        header=header,
        query=urlencode(form),
        lot_url=f"/recherche/resultats?{lot_query}&lot=1",
        section="search",
        lrm={"name": lrm.name, "specialty": context.specialty_label, "notices": notices,
             "case": context.case_reference},
    )  # fmt: skip


def _form_again(request: AnyRequest, form: dict[str, str], error: str) -> Template:
    """The search form with what was understood, and why the search did not run."""
    return search_form(request, form, 422, error)


LRM_HANDLERS = [lrm_search]
