"""Appointments reported by vendors (INT_R03, digest §9)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from sas_core.identifiers import IdnpsStr, IdnstStr

#: The longest free text a vendor may send where the platform keys or links on it (characters).
#: Domain facts: the FHIR reader refuses a longer value with a 422 naming the element and the
#: limit, and storage sizes its columns from them (PostgreSQL enforces the width, SQLite does not).
#: The vendor's identifier of an appointment: its `system`, and its `value`, each.
IDENTIFIER_MAX_LENGTH: Final = 500
#: The booking regulator's `identifier.value` (an IDNPS or the SAS technical UUID, with room).
OPERATOR_VALUE_MAX_LENGTH: Final = 200
#: A practitioner's or structure's prefixed national id (IDNPS, IDNST) linked to an appointment.
PARTY_ID_MAX_LENGTH: Final = 20


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
