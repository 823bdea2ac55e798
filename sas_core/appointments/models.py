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
    version: int | None = Field(
        default=None,
        description="the platform's version of it, 1 when created: with `id`, the key under "
        "which a listener forwards each version once (None in events stored before it existed)",
    )


class AppointmentEvent(BaseModel):
    """What listeners are told when an appointment is created or changes."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["created", "updated"]
    appointment: Appointment
    previous_status: AppointmentStatus | None = None


#: Where a message forwarded about an appointment stands (`sas_core.appointments.forwarding`):
#: `pending` (to send, or to send again), `published` (the broker has it, the final
#: acknowledgement is awaited), `delivered` (acknowledged by the recipient), `failed` (the
#: platform could not produce a valid message: a person must fix the data or the
#: configuration), `parked` (the recipient's side refused it in a way retrying cannot cure).
ForwardingState = Literal["pending", "published", "delivered", "failed", "parked"]


class ForwardedMessage(BaseModel):
    """One message about one version of an appointment, and where its delivery stands."""

    model_config = ConfigDict(frozen=True)

    id: int
    appointment_id: UUID
    version: int
    distribution_id: str = Field(description="the message's own id, unique, stable across tries")
    recipient: str | None = Field(description="who it is addressed to; None when no one could be")
    state: ForwardingState
    payload: dict[str, object] | None = Field(description="what is sent, before its envelope")
    attempts: int
    next_attempt_at: AwareDatetime
    last_error: str | None = None
    last_error_code: int | None = None
    created_at: AwareDatetime
    published_at: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None
