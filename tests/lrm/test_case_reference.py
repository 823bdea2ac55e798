"""The LRM's case reference (INT_L01's `caseid`) from the search to the appointment: the booking
intents the front keeps for the slots it shows are linked, when the vendor reports the
appointment (INT_R03 → outbox → the LRM listener), to the appointment booked on one of them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from sas_core.appointments.forwarding import DeliveryStore
from sas_core.storage.booking_intents import BookingIntent, case_reference_of, record_intents
from tests.lrm.conftest import Platform

#: The slot the test appointment (tests/web/conftest.py `appointment`) is booked on.
START = datetime.fromisoformat("2026-12-01T10:00:00+01:00")
DOCTOR = "810100050075"


def _shown(platform: Platform, case: str, start: datetime = START, adapter: str = "acme") -> None:
    intent = BookingIntent(
        uuid.UUID(platform.operator), adapter, DOCTOR, "slot-1", start, "samu33", case
    )
    record_intents(platform.engine, [intent, intent], datetime.now(UTC))


def test_the_case_reference_is_linked_when_the_appointment_is_reported(
    platform: Platform, engine: Engine
) -> None:
    _shown(platform, "DRM-41")
    _shown(platform, "DRM-42")  # the same slot shown again for another case: the newest wins
    appointment_id = platform.book("c-1")
    assert case_reference_of(engine, appointment_id) == ("samu33", "DRM-42")
    platform.change("c-1", "cancelled")  # later versions keep it
    assert case_reference_of(engine, appointment_id) == ("samu33", "DRM-42")
    (first, second) = DeliveryStore(engine).of_appointment(uuid.UUID(appointment_id))
    # No field of RS-SAS-RDV or of the envelope carries it: the message is unchanged.
    assert "DRM-42" not in str(first.payload) and first.state == "pending"
    assert second.version == 2


def test_an_appointment_on_another_slot_or_vendor_has_no_case(
    platform: Platform, engine: Engine
) -> None:
    _shown(platform, "DRM-43", start=datetime.fromisoformat("2026-12-01T11:00:00+01:00"))
    _shown(platform, "DRM-44", adapter="another-vendor")
    appointment_id = platform.book("c-2")
    assert case_reference_of(engine, appointment_id) is None
