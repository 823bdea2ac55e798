"""The search checks: shape of the Bundle, its self link, references and cardinalities, the
acceptance scenarios, and the error answers (digest §4–§6, §15.1, §15.2)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

from sas_core.clock import PARIS
from sas_core.conformance import catalogue as faq
from sas_core.conformance.bundle_view import BundleView, as_list, codings, contained
from sas_core.conformance.context import Context, Fail, Skip
from sas_core.conformance.models import FixHint
from sas_core.conformance.probe import TransportFailure
from sas_core.conformance.scenarios import UNKNOWN_RPPS, UNKNOWN_SIRET
from sas_core.fhir.codes import (
    CPTS_CATEGORY_CODE,
    SLOT_SERVICE_TYPE_EXTENSION,
    TRE_R66_CATEGORIE_ETABLISSEMENT,
    TRE_R314_TYPE_CRENEAU,
)
from sas_core.fhir.media_types import FHIR_JSON
from sas_core.identifiers import IDNPS_SYSTEM, IDNST_SYSTEM

#: [TK] a single-identifier search over 72 hours answers in under one second (digest §12).
PERFORMANCE_LIMIT_S = 1.0
#: How many findings a failure lists; the count says how many there were.
MAX_HINTS = 8


def fail_if(detail: str, hints: list[FixHint]) -> None:
    if hints:
        shown = hints[:MAX_HINTS]
        more = f" (first {MAX_HINTS} of {len(hints)} shown)" if len(hints) > MAX_HINTS else ""
        raise Fail(f"{len(hints)} finding(s): {detail}{more}", shown)


def filled(ctx: Context) -> BundleView:
    """The main search, for checks that read its entries: skipped when it found nothing, since
    a check passing on an empty Bundle would prove nothing."""
    view = BundleView(ctx.search().bundle)
    if not view.entries:
        searched = ", ".join(ctx.requested())
        raise Skip(f"the search for {searched} found nothing to check (see SCN-01, SCN-05)")
    return view


def matched_kind(ctx: Context) -> str:
    return "Schedule" if ctx.mode == "sos" else "Slot"


# -- SRCH ----------------------------------------------------------------------------------------


def bundle_shape(ctx: Context) -> str:
    search = ctx.search()
    view = BundleView(search.bundle)
    hints: list[FixHint] = []
    if search.answer.content_type != FHIR_JSON:
        hints.append(
            FixHint(
                "Content-Type",
                repr(search.answer.content_type),
                FHIR_JSON,
                faq.FAQ_TRANSPORT,
            )
        )
    if search.bundle.get("type") != "searchset":
        hints.append(
            FixHint(
                "Bundle.type", repr(search.bundle.get("type")), "'searchset'", faq.FAQ_TRANSPORT
            )
        )
    slots = len(view.of("Slot"))
    total = search.bundle.get("total")
    if total != slots:
        hints.append(
            FixHint(
                "Bundle.total",
                repr(total),
                f"{slots}, the number of Slot entries (1..1 in the CPTS and SOS bundles)",
                faq.FAQ_EMPTY_RESULT,
            )
        )
    raw = as_list(search.bundle.get("entry"))
    if len(raw) != len(view.entries):
        hints.append(
            FixHint(
                "Bundle.entry",
                f"{len(raw) - len(view.entries)} entries without a resource",
                "every entry carries its resource",
                faq.FAQ_REFERENCES,
            )
        )
    keys = Counter(e.key for e in view.entries)
    for key, count in keys.items():
        if count > 1:
            hints.append(
                FixHint(
                    "Bundle.entry", f"{key} {count} times", "each resource once", faq.FAQ_REFERENCES
                )
            )
    for entry in view.entries:
        expected_url = f"{ctx.vendor.base_url}/{entry.key}"
        if entry.full_url is None or not entry.full_url.endswith(f"/{entry.key}"):
            hints.append(
                FixHint(
                    f"Bundle.entry[{entry.index}].fullUrl",
                    repr(entry.full_url),
                    f"the absolute URL of the resource, such as {expected_url}",
                    faq.FAQ_REFERENCES,
                )
            )
        wanted = "match" if entry.kind == matched_kind(ctx) else "include"
        if entry.mode is not None and entry.mode != wanted:
            hints.append(
                FixHint(
                    f"Bundle.entry[{entry.index}].search.mode",
                    repr(entry.mode),
                    f"{wanted!r} for a {entry.kind}",
                    faq.FAQ_REFERENCES,
                )
            )
    fail_if("the Bundle does not have the searchset shape", hints)
    return f"searchset Bundle, total {total}, {len(view.entries)} entries"


def self_link(ctx: Context) -> str:
    search = ctx.search()
    links = [
        link
        for link in as_list(search.bundle.get("link"))
        if isinstance(link, dict) and link.get("relation") == "self"
    ]
    if len(links) != 1 or not isinstance(links[0].get("url"), str):
        raise Fail(
            f"{len(links)} self link(s)",
            [
                FixHint(
                    "Bundle.link",
                    f"{len(links)} link(s) with relation self",
                    "exactly one self link echoing the request URL",
                    faq.FAQ_SELF_LINK,
                )
            ],
        )
    url = links[0]["url"]
    parts = urlsplit(url)
    sent = Counter(search.params)
    echoed = Counter(parse_qsl(parts.query, keep_blank_values=True))
    hints = []
    resource = matched_kind(ctx)
    if not parts.path.rstrip("/").endswith(f"/{resource}"):
        hints.append(
            FixHint("Bundle.link[self].url", repr(url), f"[base]/{resource}?…", faq.FAQ_SELF_LINK)
        )
    for name, value in sorted((sent - echoed).elements()):
        hints.append(
            FixHint(
                "Bundle.link[self].url",
                f"parameter {name}={value} missing",
                "every parameter of the request, as sent",
                faq.FAQ_SELF_LINK,
            )
        )
    for name, value in sorted((echoed - sent).elements()):
        hints.append(
            FixHint(
                "Bundle.link[self].url",
                f"parameter {name}={value} not sent",
                "only the parameters of the request",
                faq.FAQ_SELF_LINK,
            )
        )
    fail_if("the self link does not echo the request", hints)
    return f"self link echoes the {len(search.params)} parameters"


def references(ctx: Context) -> str:
    view = filled(ctx)
    hints: list[FixHint] = []
    referenced: set[str] = set()

    def need(path: str, reference: object, kinds: tuple[str, ...]) -> None:
        entry = view.resolve(reference)
        target = reference.get("reference") if isinstance(reference, dict) else None
        if entry is None or entry.kind not in kinds:
            hints.append(
                FixHint(
                    path,
                    repr(target),
                    f"a reference to a {' or '.join(kinds)} present in the Bundle",
                    faq.FAQ_REFERENCES,
                )
            )
        else:
            referenced.add(entry.key)

    for slot in view.of("Slot"):
        need(f"{slot.path}.schedule", slot.resource.get("schedule"), ("Schedule",))
        if ctx.mode == "cpts":
            for i, concept in enumerate(as_list(slot.resource.get("serviceType"))):
                for extension in as_list(
                    concept.get("extension") if isinstance(concept, dict) else None
                ):
                    if (
                        isinstance(extension, dict)
                        and extension.get("url") == SLOT_SERVICE_TYPE_EXTENSION
                    ):
                        need(
                            f"{slot.path}.serviceType[{i}].extension.valueReference",
                            extension.get("valueReference"),
                            ("HealthcareService",),
                        )
    actors = ("Location",) if ctx.mode == "sos" else ("Practitioner", "PractitionerRole")
    for schedule in view.of("Schedule"):
        for i, actor in enumerate(as_list(schedule.resource.get("actor"))):
            need(f"{schedule.path}.actor[{i}]", actor, actors)
    for role in view.of("PractitionerRole"):
        need(f"{role.path}.practitioner", role.resource.get("practitioner"), ("Practitioner",))
        for i, location in enumerate(as_list(role.resource.get("location"))):
            if contained(role.resource, location) is None:
                hints.append(
                    FixHint(
                        f"{role.path}.location[{i}]",
                        repr(location.get("reference") if isinstance(location, dict) else location),
                        "#id of a Location contained in this PractitionerRole",
                        faq.FAQ_REFERENCES,
                    )
                )
    for service in view.of("HealthcareService"):
        need(f"{service.path}.providedBy", service.resource.get("providedBy"), ("Organization",))
    for location in view.of("Location"):
        need(
            f"{location.path}.managingOrganization",
            location.resource.get("managingOrganization"),
            ("Organization",),
        )
    for entry in view.entries:
        if entry.kind != matched_kind(ctx) and entry.kind != "Slot" and entry.key not in referenced:
            hints.append(
                FixHint(
                    entry.path,
                    "included but referenced by nothing",
                    "only resources the matched ones reference",
                    faq.FAQ_REFERENCES,
                )
            )
    fail_if("references do not resolve inside the Bundle", hints)
    return f"{len(referenced)} referenced resources resolved"


def cardinalities(ctx: Context) -> str:
    view = filled(ctx)
    hints: list[FixHint] = []
    if ctx.mode == "sos":
        for schedule in view.of("Schedule"):
            if not as_list(schedule.resource.get("actor")):
                hints.append(
                    FixHint(f"{schedule.path}.actor", "none", "1..* Location", faq.FAQ_REFERENCES)
                )
        for org in view.of("Organization"):
            count = len(as_list(org.resource.get("identifier")))
            if count != 1:
                hints.append(
                    FixHint(
                        f"{org.path}.identifier",
                        f"{count} identifiers",
                        "exactly one (the association's SIRET)",
                        faq.FAQ_PREFIXES,
                    )
                )
        fail_if("cardinalities differ from the SOS profiles", hints)
        return f"{len(view.of('Schedule'))} Schedules, {len(view.of('Location'))} Locations"
    for schedule in view.of("Schedule"):
        targets = [view.resolve(a) for a in as_list(schedule.resource.get("actor"))]
        kinds = Counter(t.kind for t in targets if t is not None)
        if kinds["Practitioner"] != 1 or kinds["PractitionerRole"] != 1:
            hints.append(
                FixHint(
                    f"{schedule.path}.actor",
                    f"{kinds['Practitioner']} Practitioner, "
                    f"{kinds['PractitionerRole']} PractitionerRole",
                    "exactly one Practitioner and its PractitionerRole (one place)",
                    faq.FAQ_MULTI_PLACE,
                )
            )
    for role in view.of("PractitionerRole"):
        locations = as_list(role.resource.get("location"))
        if len(locations) != 1:
            hints.append(
                FixHint(
                    f"{role.path}.location",
                    f"{len(locations)} locations",
                    "exactly one contained Location (one role per place)",
                    faq.FAQ_MULTI_PLACE,
                )
            )
    by_value = Counter(
        i.get("value")
        for p in view.of("Practitioner")
        for i in as_list(p.resource.get("identifier"))
        if isinstance(i, dict) and i.get("system") == IDNPS_SYSTEM
    )
    for value, count in by_value.items():
        if count > 1:
            hints.append(
                FixHint(
                    "Practitioner",
                    f"{count} Practitioner resources for {value}",
                    "one Practitioner per person, whatever their number of places",
                    faq.FAQ_MULTI_PLACE,
                )
            )
    fail_if("cardinalities differ from the profiles", hints)
    return (
        f"{len(view.of('Practitioner'))} Practitioner, {len(view.of('PractitionerRole'))} "
        f"PractitionerRole, {len(view.of('Schedule'))} Schedule"
    )


def unknown_identifier(ctx: Context) -> str:
    unknown = UNKNOWN_SIRET if ctx.mode == "sos" else UNKNOWN_RPPS
    search = ctx.search((unknown,))
    entries = as_list(search.bundle.get("entry"))
    total = search.bundle.get("total")
    if total != 0 or entries:
        raise Fail(
            f"an unknown identifier answered total {total!r} with {len(entries)} entries",
            [
                FixHint(
                    "Bundle.total",
                    repr(total),
                    "0, and no entry: nothing found is a success",
                    faq.FAQ_EMPTY_RESULT,
                )
            ],
        )
    return f"{unknown}: 200, total 0, no entry"


# -- SCN -----------------------------------------------------------------------------------------


def _places_by_practitioner(view: BundleView) -> dict[str, tuple[int, int]]:
    """Practitioner key → (PractitionerRoles, Schedules) that refer to them."""
    roles: Counter[str] = Counter()
    schedules: Counter[str] = Counter()
    for role in view.of("PractitionerRole"):
        target = view.resolve(role.resource.get("practitioner"))
        if target:
            roles[target.key] += 1
    for schedule in view.of("Schedule"):
        for actor in as_list(schedule.resource.get("actor")):
            target = view.resolve(actor)
            if target and target.kind == "Practitioner":
                schedules[target.key] += 1
    return {p.key: (roles[p.key], schedules[p.key]) for p in view.of("Practitioner")}


def two_places(ctx: Context) -> str:
    view = BundleView(ctx.search().bundle)
    places = _places_by_practitioner(view)
    multi = [key for key, (roles, schedules) in places.items() if roles >= 2 or schedules >= 2]
    if not multi:
        raise Fail(
            "no searched practitioner has slots in two places",
            [
                FixHint(
                    "Bundle",
                    f"{len(places)} practitioner(s), each with one place",
                    "a test practitioner with free slots in two places (give it with --rpps)",
                    faq.FAQ_MULTI_PLACE,
                )
            ],
        )
    hints = [
        FixHint(
            key,
            f"{roles} PractitionerRole, {schedules} Schedule",
            "as many PractitionerRoles as Schedules, one per place, and one Practitioner",
            faq.FAQ_MULTI_PLACE,
        )
        for key, (roles, schedules) in places.items()
        if roles != schedules
    ]
    fail_if("a practitioner's places are not one PractitionerRole and one Schedule each", hints)
    key = multi[0]
    return f"{key}: 1 Practitioner, {places[key][0]} PractitionerRole, {places[key][1]} Schedule"


def several_practitioners(ctx: Context) -> str:
    if len(ctx.practitioners) < 2:
        raise Skip("needs two practitioners: give --rpps twice")
    view = BundleView(ctx.search().bundle)
    found = {
        i.get("value")
        for p in view.of("Practitioner")
        for i in as_list(p.resource.get("identifier"))
        if isinstance(i, dict)
    }
    answered = [v for v in ctx.practitioners if v in found]
    if len(answered) < 2:
        raise Fail(
            f"{len(answered)} of the {len(ctx.practitioners)} practitioners searched answered",
            [
                FixHint(
                    "Bundle",
                    f"Practitioner resources for {sorted(v for v in found if v)}",
                    "one Practitioner for each practitioner with free slots among "
                    f"{list(ctx.practitioners)}",
                    faq.FAQ_MULTI_PLACE,
                )
            ],
        )
    return f"{len(answered)} practitioners in one answer"


def _cpts_entries(slot: dict[str, object]) -> list[dict[str, object]]:
    return [
        concept
        for concept in as_list(slot.get("serviceType"))
        if any(
            c.get("system") == TRE_R66_CATEGORIE_ETABLISSEMENT
            and c.get("code") == CPTS_CATEGORY_CODE
            for c in codings(concept)
        )
    ]


def _organizations_of(view: BundleView, slot: dict[str, object]) -> set[str]:
    found: set[str] = set()
    for concept in _cpts_entries(slot):
        for extension in as_list(concept.get("extension")):
            if isinstance(extension, dict) and extension.get("url") == SLOT_SERVICE_TYPE_EXTENSION:
                service = view.resolve(extension.get("valueReference"))
                org = view.resolve(service.resource.get("providedBy")) if service else None
                if org is not None:
                    found.add(org.key)
    return found


def slot_two_cpts(ctx: Context) -> str:
    view = BundleView(ctx.search().bundle)
    for slot in view.of("Slot"):
        orgs = _organizations_of(view, slot.resource)
        if len(orgs) >= 2:
            services, organizations = (
                len(view.of("HealthcareService")),
                len(view.of("Organization")),
            )
            if services != organizations:
                raise Fail(
                    f"{services} HealthcareService for {organizations} Organization",
                    [
                        FixHint(
                            "Bundle",
                            f"{services} HealthcareService, {organizations} Organization",
                            "one HealthcareService per CPTS Organization",
                            faq.FAQ_CPTS,
                        )
                    ],
                )
            return f"{slot.key} visible to {len(orgs)} CPTS ({', '.join(sorted(orgs))})"
    raise Fail(
        "no slot is offered through two CPTS",
        [
            FixHint(
                "Slot.serviceType",
                "no slot with two 604 entries resolving to two Organizations",
                "a slot visible to two CPTS: one 604 serviceType entry per CPTS, each with the "
                "extension-Slot.serviceType reference to its HealthcareService",
                faq.FAQ_CPTS,
            )
        ],
    )


def cpts_only_slots(ctx: Context) -> str:
    view = BundleView(ctx.search().bundle)
    orgs: set[str] = set()
    count = 0
    for slot in view.of("Slot"):
        meta = slot.resource.get("meta")
        security = {
            c.get("code")
            for c in as_list(meta.get("security") if isinstance(meta, dict) else None)
            if isinstance(c, dict) and c.get("system") == TRE_R314_TYPE_CRENEAU
        }
        if security == {"CPTS"}:
            count += 1
            orgs |= _organizations_of(view, slot.resource)
    if count == 0 or len(orgs) < 2:
        raise Fail(
            f"{count} CPTS-only slot(s), offered through {len(orgs)} CPTS",
            [
                FixHint(
                    "Slot.meta.security",
                    f"{count} slots whose only type is CPTS",
                    "a practitioner's CPTS-only slots, offered through two CPTS (two 604 "
                    "serviceType entries, two HealthcareServices, two Organizations)",
                    faq.FAQ_CPTS,
                )
            ],
        )
    return f"{count} CPTS-only slots offered through {len(orgs)} CPTS"


def sos_association(ctx: Context) -> str:
    view = BundleView(ctx.search().bundle)
    answered = {
        i.get("value")
        for o in view.of("Organization")
        for i in as_list(o.resource.get("identifier"))
        if isinstance(i, dict) and i.get("system") == IDNST_SYSTEM
    }
    missing = [v for v in ctx.associations if v not in answered]
    if not view.of("Slot") or len(missing) == len(ctx.associations):
        raise Fail(
            "no searched association answered with slots",
            [
                FixHint(
                    "Bundle",
                    f"Organizations {sorted(str(v) for v in answered)}",
                    f"the association(s) {list(ctx.associations)} with their sites (Location) "
                    "and free slots",
                    faq.FAQ_REFERENCES,
                )
            ],
        )
    return (
        f"{len(view.of('Organization'))} association(s), {len(view.of('Location'))} site(s), "
        f"{len(view.of('Slot'))} slot(s)"
    )


# -- ERR and PERF ----------------------------------------------------------------------------------


def _expect_refusal(
    ctx: Context, params: list[tuple[str, str]], what: str, *, empty_ok: bool = False
) -> str:
    resource = matched_kind(ctx)
    url = ctx.vendor.url(resource, params)
    answer = ctx.vendor.get(url)
    if empty_ok and answer.status == 200:
        bundle = answer.resource("Bundle")
        if bundle.get("total") == 0 and not bundle.get("entry"):
            return f"{what}: 200 with total 0 (matches nothing)"
    hints = []
    if not 400 <= answer.status < 500:
        hints.append(
            FixHint(
                f"GET [base]/{resource} ({what})",
                f"HTTP {answer.status}",
                "HTTP 400 with an OperationOutcome",
                faq.FAQ_ERRORS,
            )
        )
    try:
        body = answer.resource()
        kind = body["resourceType"]
    except TransportFailure as exc:
        kind = f"no FHIR resource ({exc})"
    if kind != "OperationOutcome":
        hints.append(
            FixHint(
                f"GET [base]/{resource} ({what}): body",
                str(kind),
                "an OperationOutcome saying which parameter is wrong",
                faq.FAQ_ERRORS,
            )
        )
    fail_if(f"a bad search ({what}) was not refused properly", hints)
    return f"{what}: HTTP {answer.status} with an OperationOutcome"


def without_bounds(ctx: Context) -> str:
    _, params = ctx.search_params()
    name = "_has:Slot:schedule:start" if ctx.mode == "sos" else "start"
    return _expect_refusal(ctx, [p for p in params if p[0] != name], f"no {name} bounds")


def wrong_comparator(ctx: Context) -> str:
    _, params = ctx.search_params()
    name = "_has:Slot:schedule:start" if ctx.mode == "sos" else "start"
    changed = [(k, "gt" + v[2:] if k == name and v.startswith("ge") else v) for k, v in params]
    return _expect_refusal(ctx, changed, f"{name}=gt…")


def wrong_system(ctx: Context) -> str:
    _, params = ctx.search_params()
    right, wrong = (
        (IDNST_SYSTEM, IDNPS_SYSTEM) if ctx.mode == "sos" else (IDNPS_SYSTEM, IDNST_SYSTEM)
    )
    changed = [(k, v.replace(right, wrong)) for k, v in params]
    return _expect_refusal(ctx, changed, f"identifier system {wrong}", empty_ok=True)


def performance(ctx: Context) -> str:
    first = ctx.requested()[:1]
    if not first:
        raise Skip("no identifier to search")
    now = datetime.now(PARIS).replace(microsecond=0)
    search = ctx.search(first, (now, now + timedelta(hours=72)), cached=False)
    elapsed = search.answer.elapsed_s
    if elapsed >= PERFORMANCE_LIMIT_S:
        raise Fail(
            f"answered in {elapsed:.2f} s",
            [
                FixHint(
                    f"GET [base]/{matched_kind(ctx)} (one identifier, 72 h)",
                    f"{elapsed:.2f} s",
                    f"under {PERFORMANCE_LIMIT_S:g} s (the platform gives up after 7 s)",
                    faq.FAQ_PERFORMANCE,
                )
            ],
        )
    return f"{first[0]} over 72 h answered in {elapsed * 1000:.0f} ms"
