"""Appointments reported by vendors (INT_R03, digest §9)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from sas_core.identifiers import IdnpsStr, IdnstStr


class AppointmentStatus(StrEnum):
    """FHIR appointmentstatus values the SAS uses (`pending` for SOS structure agendas)."""

    PENDING = "pending"
    BOOKED = "booked"
    FULFILLED = "fulfilled"
    NOSHOW = "noshow"
    CANCELLED = "cancelled"


class Appointment(BaseModel):
    """An appointment booked by a regulator in a vendor's software. No patient data, by design."""

    model_config = ConfigDict(frozen=True)

    id: UUID = Field(description="the platform's id, also sent to the LRM as appointmentId")
    identifier: str = Field(description="the vendor's key, `system|value`")
    adapter: str = Field(description="the adapter (vendor) that reported it")
    status: AppointmentStatus
    start: AwareDatetime
    end: AwareDatetime
    created: AwareDatetime | None = None
    operator: str = Field(description="the booking regulator's identifier, `system|value`")
    practitioner: IdnpsStr | None = None
    structure: IdnstStr | None = None
    participant_status: Literal["accepted", "needs-action"] = "accepted"
    profile: Literal["ps", "sos"] = "ps"
    review_reasons: tuple[str, ...] = Field(
        default=(), description="why a person should check it (unknown regulator, …); empty if none"
    )


class AppointmentEvent(BaseModel):
    """What listeners are told when an appointment is created or changes."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["created", "updated"]
    appointment: Appointment
    previous_status: AppointmentStatus | None = None
