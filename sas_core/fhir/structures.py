"""How a flow's structures appear in a slot search answer: what the generic reading of a bundle
(`sas_core.fhir.bundles`) asks of a `StructureReader`, and nothing it knows itself.

The generic reading maps practitioners' slots (INT_R01). A flow whose slots are offered through
structures brings a reader: the CPTS one (`sas_core.fhir.cpts`, INT_R04 §5) finds the CPTS each
slot is visible to, the SOS Médecins one (`sas_core.fhir.sos`, §6) the association behind a
schedule's site. A plugin passes its reader to `parse_slot_bundle`; one without structures
passes none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sas_core.fhir.references import Resource, ResourceIndex
from sas_core.offer.models import Place, StructureKind
from sas_core.slots.models import SlotType


class Report(Protocol):
    """Records problems against a resource label (`Type/id`), as BundleIssues; `dropped` when
    slots are left out because of them."""

    def __call__(self, resource: str, problems: list[str], dropped: bool = False) -> None: ...


@dataclass(frozen=True, slots=True)
class Site:
    """A schedule's Location read as a structure's site: the structure (prefixed IDNST) and the
    place, or, when the structure is unknown, why (its slots are then dropped)."""

    structure: str | None
    place: Place | None
    unknown_because: str = ""


class BundleStructures(Protocol):
    """One answer's structures, read with that answer's caches: each resource is judged, and its
    problems reported, once."""

    def of_site(self, location: Resource) -> Site | None:
        """The structure whose site the Location actor of a Schedule is, or None when this flow
        has no structure there (the schedule is then a practitioner's or nobody's)."""
        ...

    def of_slot(self, slot: Resource, problems: list[str]) -> tuple[str, ...]:
        """The structures (prefixed IDNST, distinct, in order) a kept slot is offered through
        besides its practitioner: the slot is returned once per structure, or once as the
        practitioner's own when there is none. Slot-level problems go to `problems`."""
        ...


class StructureReader(Protocol):
    """What a flow adds to the generic reading of its answers."""

    @property
    def kind(self) -> StructureKind:
        """The kind of the structures this reader finds (`Slot.structure_kind`)."""
        ...

    @property
    def slot_types(self) -> frozenset[SlotType]:
        """The slot types the flow's slots may carry (digest §15.2); others are ignored,
        reported."""
        ...

    def read(self, index: ResourceIndex, report: Report) -> BundleStructures:
        """A reading of the answer whose resources `index` holds; problems go to `report`."""
        ...
