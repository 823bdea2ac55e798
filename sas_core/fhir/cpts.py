"""Which CPTS a practitioner's slot is visible to (INT_R04, digest §5.2–§5.5).

Slot —`serviceType` entry (TRE_R66 `604` + extension-Slot.serviceType)→ HealthcareService
—providedBy→ Organization (the CPTS, `1` + FINESS). Digest §15.2 lists what breaks this chain; the
rule here is the parser's: keep what the spec allows, and leave out only the CPTS attributions that
cannot be made, each reported. A broken link never drops the slot: the slot is the practitioner's
(asked for, fully described, §5: "a slot without the CPTS type needs nothing more"), so a slot
whose every link is broken is kept as the practitioner's own slot — its `slot_types` still say CPTS,
so nothing is claimed that the vendor did not send — and says so in an issue.

The sas-cpts plugin searches with `slot_search_params(query, CPTS_INCLUDES)` and reads the answer
with `parse_slot_bundle(…, structures=CPTS_READER)`.
"""

from __future__ import annotations

import orjson

from sas_core.fhir.codes import (
    CPTS_CATEGORY_CODE,
    CPTS_SLOT_TYPES,
    SLOT_SERVICE_TYPE_EXTENSION,
    TRE_R66_CATEGORIE_ETABLISSEMENT,
    V3_ACT_CODE,
)
from sas_core.fhir.references import Resource, ResourceIndex, label
from sas_core.fhir.resources import cpts_from_organization, healthcare_service_provider
from sas_core.fhir.structures import Report, Site
from sas_core.offer.models import StructureKind
from sas_core.slots.models import SlotType

#: The includes INT_R04 adds to INT_R01's for the CPTS data (digest §5.1).
CPTS_INCLUDES: tuple[tuple[str, str], ...] = (
    ("_include", "Slot:service-type-reference"),
    ("_include:iterate", "HealthcareService:organization"),
)

_HEALTHCARE_SERVICE = "HealthcareService"


def _target_type(reference: str) -> str | None:
    """The resource type a relative or absolute reference names (`…/Type/id`)."""
    parts = reference.split("/_history/", 1)[0].rstrip("/").rsplit("/", 2)
    return parts[-2] if len(parts) >= 2 else None


def cpts_service_references(slot: Resource, problems: list[str] | None = None) -> tuple[str, ...]:
    """The HealthcareService references of a Slot's CPTS `serviceType` entries, in order, without
    repeats (digest §5.3: one `604` entry per CPTS, its extension 1..1).

    Left out, each with a problem (§15.2): a `604` entry without the extension; the extension on
    a TypeConsultation (v3-ActCode) entry, or on an entry without the `604` coding; an extension
    whose valueReference is missing or names another resource type. With several extensions on one
    entry the first is used. Only the TRE_R66 URL the value set binds is recognised (§16.18).
    """
    found: list[str] = []
    note = problems.append if problems is not None else _ignore
    entries = slot.get("serviceType")
    for entry in entries if type(entries) is list else ():
        if type(entry) is not dict:
            continue
        codings = entry.get("coding")
        codings = codings if type(codings) is list else []
        consultation = any(type(c) is dict and c.get("system") == V3_ACT_CODE for c in codings)
        cpts = any(
            type(c) is dict
            and c.get("system") == TRE_R66_CATEGORIE_ETABLISSEMENT
            and c.get("code") == CPTS_CATEGORY_CODE
            for c in codings
        )
        extensions = entry.get("extension")
        links = [
            e
            for e in (extensions if type(extensions) is list else ())
            if type(e) is dict and e.get("url") == SLOT_SERVICE_TYPE_EXTENSION
        ]
        if consultation:
            if links:
                note("a TypeConsultation serviceType entry carries the CPTS extension; ignored")
            continue
        if not links:
            if cpts:
                note("serviceType 604 (CPTS) without its extension: no CPTS to attribute it to")
            continue
        if not cpts:
            note("the CPTS extension is on a serviceType entry without the 604 coding; ignored")
            continue
        if len(links) > 1:
            note(f"{len(links)} CPTS extensions on one serviceType entry; the first is used")
        value = links[0].get("valueReference")
        reference = value.get("reference") if type(value) is dict else None
        if not isinstance(reference, str) or not reference:
            note("the CPTS extension has no valueReference.reference; ignored")
        elif _target_type(reference) != _HEALTHCARE_SERVICE:
            note(f"the CPTS extension points to {reference!r}, not a HealthcareService; ignored")
        elif reference not in found:
            found.append(reference)
    return tuple(found)


def _ignore(_: str) -> None:
    pass


class CptsReader:
    """The CPTS structure reader: a practitioner's slot is offered through each CPTS it is
    visible to (`structure_kind` "cpts"); schedules have no CPTS site."""

    @property
    def kind(self) -> StructureKind:
        return StructureKind.CPTS

    @property
    def slot_types(self) -> frozenset[SlotType]:
        return CPTS_SLOT_TYPES

    def read(self, index: ResourceIndex, report: Report) -> CptsLinks:
        return CptsLinks(index, report)


#: What the sas-cpts plugin passes to `parse_slot_bundle`.
CPTS_READER = CptsReader()


class CptsLinks:
    """The CPTS (prefixed IDNST) each slot of one bundle is visible to.

    Each HealthcareService and Organization is judged once, its problems reported once against
    it; each distinct `serviceType` value is read once (slots of one practitioner share theirs),
    and its slot-level problems are replayed for every slot that has it, like CodedElementsReader.
    """

    __slots__ = ("_by_service_types", "_index", "_links", "_organizations", "_report")

    def __init__(self, index: ResourceIndex, report: Report) -> None:
        self._index = index
        self._report = report
        self._by_service_types: dict[bytes, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._links: dict[str, tuple[str | None, str | None]] = {}
        self._organizations: dict[int, str | None] = {}

    def of_site(self, location: Resource) -> Site | None:
        """None: a CPTS has no site of its own in an INT_R04 answer (§5)."""
        return None

    def of_slot(self, slot: Resource, problems: list[str]) -> tuple[str, ...]:
        """The distinct CPTS IDNST of `slot`, in order; its problems appended to `problems`."""
        try:
            key: bytes | None = orjson.dumps(slot.get("serviceType"))
        except TypeError:  # not plain JSON: read it, never remember it
            key = None
        found = self._by_service_types.get(key) if key is not None else None
        if found is None:
            found = self._read(slot)
            if key is not None:
                self._by_service_types[key] = found
        if found[1]:
            problems += found[1]
        return found[0]

    def _read(self, slot: Resource) -> tuple[tuple[str, ...], tuple[str, ...]]:
        problems: list[str] = []
        references = cpts_service_references(slot, problems)
        idnsts: list[str] = []
        for reference in references:
            idnst, problem = self._link(reference)
            if problem is not None:
                problems.append(problem)
            if idnst is not None and idnst not in idnsts:
                idnsts.append(idnst)
        if not idnsts and problems:
            problems.append("no CPTS link could be followed: kept as the practitioner's own slot")
        return tuple(idnsts), tuple(problems)

    def _link(self, reference: str) -> tuple[str | None, str | None]:
        """The CPTS behind HealthcareService `reference`, or None and, when the slot's own
        reference is at fault, the slot-level problem (the resources' own are reported here)."""
        cached = self._links.get(reference)
        if cached is None:
            service = self._index.resolve(reference, _HEALTHCARE_SERVICE)
            if service is None:
                cached = (None, f"{reference} is not in the bundle: not attributed to that CPTS")
            else:
                cached = (self._provider(service), None)
            self._links[reference] = cached
        return cached

    def _provider(self, service: Resource) -> str | None:
        """Digest §5.4: HealthcareService.providedBy 1..1 → the CPTS Organization (§5.5)."""
        try:
            provided_by = healthcare_service_provider(service)
        except ValueError as exc:
            self._report(label(service), [f"{exc}: its slots are not attributed to a CPTS"])
            return None
        organization = self._index.resolve(provided_by, "Organization")
        if organization is None:
            self._report(
                label(service),
                [f"providedBy {provided_by} is not in the bundle: its slots are not attributed"],
            )
            return None
        key = id(organization)
        if key not in self._organizations:
            problems: list[str] = []
            try:
                idnst: str | None = cpts_from_organization(organization, problems).idnst
            except ValueError as exc:
                idnst = None
                problems.append(f"{exc}: its slots are not attributed to this CPTS")
            self._organizations[key] = idnst
            self._report(label(organization), problems)
        return self._organizations[key]
