"""Slots, the search window and the outcome of asking a source for them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from sas_core.identifiers import IdnpsStr, IdnstStr
from sas_core.offer.models import Place, StructureKind

#: Digest §12: the official platform never asks for more than 72 hours.
MAX_WINDOW = timedelta(hours=72)
#: Digest §4.1: at most 25 practitioners per request.
MAX_PRACTITIONERS_PER_QUERY = 25
#: Digest §6.1: at most 10 SOS associations per request (the functional page's figure).
MAX_STRUCTURES_PER_QUERY = 10


class SlotType(StrEnum):
    """Who may book the slot (TRE_R314-TypeCreneau, carried in `Slot.meta.security`)."""

    PUBLIC = "PUBLIC"
    PRO = "PRO"
    SNP = "SNP"
    CPTS = "CPTS"


class Modality(StrEnum):
    """Kind of consultation (v3-ActCode in `Slot.serviceType`)."""

    AMB = "AMB"
    HH = "HH"
    VR = "VR"


class AppointmentType(StrEnum):
    """Whether the slot is booked (ROUTINE) or a walk-in (WALKIN), from v2-0276."""

    ROUTINE = "ROUTINE"
    WALKIN = "WALKIN"


#: The structures a slot can be offered through (digest §5 CPTS, §6 SOS Médecins).
SLOT_STRUCTURE_KINDS = frozenset({StructureKind.CPTS, StructureKind.SOS})


class Slot(BaseModel):
    """A free slot as the platform shows it to a regulator, whatever source it came from.

    `structure` is the structure the slot is offered *through*, and `structure_kind` says which
    kind: a CPTS the practitioner's slot is visible to (INT_R04, digest §5; a slot visible to N
    CPTS is N Slots, one per CPTS), or the SOS Médecins association whose site offers it (§6).
    Both are None for a practitioner's own slot; the structure of the place of practice is
    `place.structure`.
    """

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="the source's id of the slot")
    start: AwareDatetime
    end: AwareDatetime
    practitioner: str | None = Field(default=None, description="prefixed IDNPS")
    structure: IdnstStr | None = Field(
        default=None, description="prefixed IDNST of the CPTS or SOS association"
    )
    structure_kind: StructureKind | None = None
    place: Place | None = None
    schedule_id: str | None = None
    slot_types: tuple[SlotType, ...] = ()
    modalities: tuple[Modality, ...] = ()
    appointment_type: AppointmentType | None = None
    specialties: tuple[str, ...] = Field(default=(), description="TRE_R38 codes")
    reasons: tuple[str, ...] = Field(default=(), description="free-text consultation reasons")
    booking_url: str | None = None
    adapter: str
    fetched_at: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Slot:
        if self.end <= self.start:
            raise ValueError(f"slot ends ({self.end}) before it starts ({self.start})")
        if (self.structure is None) != (self.structure_kind is None):
            raise ValueError("a slot has a structure and its kind, or neither")
        if self.structure_kind is not None and self.structure_kind not in SLOT_STRUCTURE_KINDS:
            raise ValueError(f"slots are offered through a CPTS or SOS, not {self.structure_kind}")
        return self


class SearchWindow(BaseModel):
    """The interval in which slots must *start* (digest §4.2: `start=ge…&start=le…`)."""

    model_config = ConfigDict(frozen=True)

    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _sane(self) -> SearchWindow:
        if self.end <= self.start:
            raise ValueError(f"window end {self.end} is not after its start {self.start}")
        if self.end - self.start > MAX_WINDOW:
            raise ValueError(
                f"window of {self.end - self.start} exceeds the {MAX_WINDOW} the platform asks for"
            )
        return self

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant <= self.end


class SlotQuery(BaseModel):
    """One request to one source: a lot of practitioners *or* of structures, and a window."""

    model_config = ConfigDict(frozen=True)

    window: SearchWindow
    practitioners: tuple[IdnpsStr, ...] = Field(default=(), max_length=MAX_PRACTITIONERS_PER_QUERY)
    structures: tuple[IdnstStr, ...] = Field(default=(), max_length=MAX_STRUCTURES_PER_QUERY)

    @model_validator(mode="after")
    def _one_kind(self) -> SlotQuery:
        if bool(self.practitioners) == bool(self.structures):
            raise ValueError("a slot query names practitioners or structures, not both or neither")
        return self


class BundleIssue(BaseModel):
    """Something a source sent that breaks the IG (digest §15.2), and what was done about it."""

    model_config = ConfigDict(frozen=True)

    resource: str = Field(description="`Type/id` of the offending resource, or `Bundle`")
    reason: str
    dropped: bool = Field(description="True when the resource's slots were left out")


class SourceOutcome(BaseModel):
    """How one request to one source went."""

    status: Literal["ok", "error"]
    error: str | None = None
    duration_ms: float = 0.0
    http_status: int | None = None
    slot_count: int = 0
    dropped_slots: int = Field(
        default=0, description="Slot entries the source sent that were left out (see issues)"
    )
    issues: list[BundleIssue] = Field(default_factory=list)


class SlotBatch(BaseModel):
    """What a source answered to one `SlotQuery`: the valid slots and the outcome.

    A batch can carry slots *and* an error outcome: the spec lets the platform keep the valid
    slots of a bundle whose other parts are broken (digest §15.2).
    """

    slots: list[Slot] = Field(default_factory=list)
    outcome: SourceOutcome


#: `skipped`: the adapter was not called, its circuit being open (`error` says so); a source's
#: own outcome is never skipped, as only a request has a `SourceOutcome`.
AdapterStatus = Literal["ok", "error", "skipped"]


class AdapterOutcome(BaseModel):
    """Summary of one adapter's part in a fan-out, as the CLI and the web report it."""

    adapter: str
    status: AdapterStatus
    error: str | None = None
    duration_ms: float
    requests: int
    slot_count: int
    dropped_slots: int = 0
    issues: list[BundleIssue] = Field(default_factory=list)

    @classmethod
    def merge(
        cls, adapter: str, outcomes: Sequence[SourceOutcome], wall_ms: float
    ) -> AdapterOutcome:
        """Fold the outcomes of an adapter's requests: `error` if any request failed."""
        errors = [o.error for o in outcomes if o.status == "error" and o.error]
        failed = any(o.status == "error" for o in outcomes)
        return cls(
            adapter=adapter,
            status="error" if failed else "ok",
            error="; ".join(dict.fromkeys(errors)) if failed else None,
            duration_ms=round(wall_ms, 1),
            requests=len(outcomes),
            slot_count=sum(o.slot_count for o in outcomes),
            dropped_slots=sum(o.dropped_slots for o in outcomes),
            issues=[i for o in outcomes for i in o.issues],
        )
