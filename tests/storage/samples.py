"""Domain objects for storage tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sas_core.offer.models import Address, Place
from sas_core.slots.models import (
    AdapterOutcome,
    AppointmentType,
    BundleIssue,
    Modality,
    SearchWindow,
    Slot,
    SlotType,
)

PARIS = timezone(timedelta(hours=2))
T0 = datetime(2025, 6, 2, 8, 0, tzinfo=PARIS)
WINDOW = SearchWindow(start=T0, end=T0 + timedelta(hours=48))
DR_A = "810100050075"
DR_B = "810002345678"


def slot(
    n: int,
    *,
    adapter: str = "alpha",
    practitioner: str | None = DR_A,
    hours: float = 1,
) -> Slot:
    start = T0 + timedelta(hours=hours, minutes=15 * n)
    return Slot(
        id=f"slot-{n}",
        start=start,
        end=start + timedelta(minutes=15),
        practitioner=practitioner,
        place=Place(
            id="urn:vendor:place|P1",
            name="Cabinet du Parc",
            address=Address(line="1 rue du Parc", city="Lyon", postal_code="69001"),
            latitude=45.764043,
            longitude=4.835659,
            phone="+33 4 00 00 00 00",
            structure="1750000000" if n % 2 else None,
        )
        if n % 3
        else None,
        schedule_id=f"sched-{practitioner}",
        slot_types=(SlotType.PUBLIC, SlotType.SNP),
        modalities=(Modality.AMB, Modality.VR),
        appointment_type=AppointmentType.ROUTINE,
        specialties=("SM54",),
        reasons=("fièvre", "douleur"),
        booking_url=f"https://vendor.example/book/{n}",
        adapter=adapter,
        fetched_at=datetime(2025, 6, 2, 6, 1, 2, 345678, tzinfo=UTC),
    )


def outcome(adapter: str = "alpha", *, slots: int = 0, error: str | None = None) -> AdapterOutcome:
    return AdapterOutcome(
        adapter=adapter,
        status="error" if error else "ok",
        error=error,
        duration_ms=123.4,
        requests=2,
        slot_count=slots,
        dropped_slots=1,
        issues=[BundleIssue(resource="Slot/x", reason="no start", dropped=True)],
    )
