"""The SOS Médecins search (digest §6): its request, and the association behind each site.

The platform names associations (IDNST `3` + SIRET); the vendor answers the Schedules of their
fixed consultation sites (PFG/LFC): each Schedule's actor is a Location whose
managingOrganization is the association (§6.4). Its slots map with `structure` = the
association's IDNST, kind "sos", and `place` = the site, whose `structure` is the association
that manages it; a site without a usable association drops its slots, reported against the
Location and each slot.

The sas-sos plugin searches with `schedule_search_params(query)` and reads the answer with
`parse_slot_bundle(…, structures=SOS_READER)`.
"""

from __future__ import annotations

from collections.abc import Mapping

from sas_core.fhir.codes import IDNST_SYSTEM, SLOT_STATUS_FREE, SOS_SLOT_TYPES
from sas_core.fhir.instants import format_instant
from sas_core.fhir.references import Resource, ResourceIndex, label
from sas_core.fhir.resources import place_from_location, structure_from_organization
from sas_core.fhir.structures import Report, Site
from sas_core.identifiers import StructureIdKind, parse_idnst
from sas_core.offer.models import Place, StructureKind
from sas_core.slots.models import SlotQuery, SlotType

#: The includes of the SOS Médecins Schedule search (digest §6.2): the slots, their PFG Location
#: and its association. `Location:organization` is the example's spelling (§16.7).
SOS_INCLUDES: tuple[tuple[str, str], ...] = (
    ("_revinclude", "Slot:schedule"),
    ("_include", "Schedule:actor:Location"),
    ("_include:iterate", "Location:organization"),
)


def schedule_search_params(query: SlotQuery) -> list[tuple[str, str]]:
    """The parameters of the SOS Médecins `GET [base]/Schedule?…` (digest §6.2), in the IG's order.

    The window and status apply to the schedules' slots (`_has:Slot:schedule:*`); the
    associations (`3` + SIRET) are one comma-separated value (comma = OR). A practitioners query,
    or a structure that is not an association (a CPTS's `1…`, which a vendor would refuse with a
    400 failing the whole lot), raises ValueError.
    """
    if not query.structures:
        raise ValueError(
            "a Schedule search names SOS associations; practitioners are searched via Slot"
        )
    for idnst in query.structures:
        if parse_idnst(idnst).kind is not StructureIdKind.SIRET:
            raise ValueError(f"{idnst!r} is not an SOS Médecins association's IDNST (3 + SIRET)")
    return [
        *SOS_INCLUDES,
        ("_has:Slot:schedule:start", "ge" + format_instant(query.window.start)),
        ("_has:Slot:schedule:start", "le" + format_instant(query.window.end)),
        ("_has:Slot:schedule:status", SLOT_STATUS_FREE),
        (
            "actor:Location.organization.identifier",
            ",".join(f"{IDNST_SYSTEM}|{idnst}" for idnst in query.structures),
        ),
    ]


class SosReader:
    """The SOS Médecins structure reader: a schedule's site belongs to the association that
    manages it (`structure_kind` "sos"); its slots carry the SOS slot types only."""

    @property
    def kind(self) -> StructureKind:
        return StructureKind.SOS

    @property
    def slot_types(self) -> frozenset[SlotType]:
        return SOS_SLOT_TYPES

    def read(self, index: ResourceIndex, report: Report) -> SosSites:
        return SosSites(index, report)


#: What the sas-sos plugin passes to `parse_slot_bundle`.
SOS_READER = SosReader()


class SosSites:
    """The association behind each site (PFG Location) of one answer, each judged once."""

    __slots__ = ("_index", "_report", "_sites")

    def __init__(self, index: ResourceIndex, report: Report) -> None:
        self._index = index
        self._report = report
        self._sites: dict[int, Site] = {}

    def of_site(self, location: Resource) -> Site:
        """A standalone PFG Location (§6.4): its association's IDNST, its place (whose structure
        is the association) and, when the association is unknown, why — its slots are then
        dropped, since they cannot be attributed to any association asked for."""
        key = id(location)
        site = self._sites.get(key)
        if site is None:
            site = self._sites[key] = self._read(location)
        return site

    def of_slot(self, slot: Resource, problems: list[str]) -> tuple[str, ...]:
        """(): a site's slot is offered through its association only, already its structure."""
        return ()

    def _read(self, location: Resource) -> Site:
        problems: list[str] = []
        place: Place | None = None
        structure: str | None = None
        why = ""
        managing = location.get("managingOrganization")
        reference = managing.get("reference") if isinstance(managing, Mapping) else None
        organization = (
            self._index.resolve(reference, "Organization") if isinstance(reference, str) else None
        )
        if not isinstance(reference, str):
            why = f"{label(location)} has no managingOrganization reference"
        elif organization is None:
            why = f"{label(location)}'s managingOrganization {reference} is not in the bundle"
        else:
            try:
                structure = structure_from_organization(organization, problems).idnst
            except ValueError as exc:
                why = f"{label(location)}'s association: {exc}"
        try:
            place = place_from_location(location, structure=structure, problems=problems)
        except ValueError as exc:
            problems.append(f"{exc}: the place is unknown")
        self._report(label(location), problems)
        if why:
            self._report(label(location), [f"{why}: its slots are dropped"], dropped=True)
        return Site(structure, place, why)
