"""The LRM's case reference between the search and the appointment (INT_L01 → INT_R03 →
INT_L02): one booking intent per bookable slot shown to a regulator from an LRM search that
carried a case reference, linked to the appointment the vendor then reports for that slot.

Neither the vendor's booking (the SSO redirect) nor its report (a FHIR Appointment) carries the
LRM's case, and the slot's own id does not come back either: the appointment is matched on what
it does carry — the booking regulator, the vendor (adapter), the practitioner and the start.
The newest intent wins when a regulator was shown the same slot for two cases.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Index, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from sas_core.storage.engine import write_session
from sas_core.storage.tables import Base, BigId

#: A case reference's column size (the front accepts 64 characters).
CASE_REFERENCE_MAX_LENGTH = 64


class BookingIntentRow(Base):
    """A slot shown to a regulator for one LRM case; `appointment_id` once it was booked."""

    __tablename__ = "lrm_booking_intents"
    __table_args__ = (
        Index("ix_lrm_booking_intents_slot", "regulator_id", "adapter", "slot_start"),
        Index("ix_lrm_booking_intents_appointment", "appointment_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    regulator_id: Mapped[str] = mapped_column(String(36))
    adapter: Mapped[str] = mapped_column(String(100))
    practitioner: Mapped[str | None] = mapped_column(String(40))
    slot_id: Mapped[str] = mapped_column(String(200))
    slot_start: Mapped[datetime]
    lrm: Mapped[str] = mapped_column(String(100))
    case_reference: Mapped[str] = mapped_column(String(CASE_REFERENCE_MAX_LENGTH))
    created_at: Mapped[datetime]
    appointment_id: Mapped[str | None] = mapped_column(String(36))


@dataclass(frozen=True)
class BookingIntent:
    """One bookable slot shown for an LRM case (what the front records)."""

    regulator_id: uuid.UUID
    adapter: str
    practitioner: str | None
    slot_id: str
    slot_start: datetime
    lrm: str
    case_reference: str


def record_intents(engine: Engine, intents: Iterable[BookingIntent], at: datetime) -> int:
    """Keep the intents (one row each; a slot shown again for the same case is not repeated)."""
    wanted = list(intents)
    if not wanted:
        return 0
    added = 0
    with write_session(engine) as session:
        for intent in wanted:
            known = session.scalars(
                select(BookingIntentRow.id).where(
                    BookingIntentRow.regulator_id == str(intent.regulator_id),
                    BookingIntentRow.adapter == intent.adapter,
                    BookingIntentRow.slot_start == intent.slot_start,
                    BookingIntentRow.slot_id == intent.slot_id,
                    BookingIntentRow.case_reference == intent.case_reference,
                    BookingIntentRow.appointment_id.is_(None),
                )
            ).first()
            if known is not None:
                continue
            session.add(
                BookingIntentRow(
                    regulator_id=str(intent.regulator_id),
                    adapter=intent.adapter,
                    practitioner=intent.practitioner,
                    slot_id=intent.slot_id,
                    slot_start=intent.slot_start,
                    lrm=intent.lrm,
                    case_reference=intent.case_reference,
                    created_at=at,
                )
            )
            added += 1
    return added


def link_case_reference(
    engine: Engine,
    appointment_id: str,
    *,
    regulator_id: uuid.UUID,
    adapter: str,
    practitioner: str | None,
    start: datetime,
    since: datetime,
) -> tuple[str, str] | None:
    """The (LRM, case reference) of `appointment_id`: the one already linked, else the newest
    intent shown since `since` for that regulator, vendor, practitioner and start, which is
    then linked to it. None when the appointment was not booked from an LRM case."""
    with write_session(engine) as session:
        linked = _linked(session, appointment_id)
        if linked is not None:
            return linked.lrm, linked.case_reference
        query = (
            select(BookingIntentRow)
            .where(
                BookingIntentRow.regulator_id == str(regulator_id),
                BookingIntentRow.adapter == adapter,
                BookingIntentRow.slot_start == start,
                BookingIntentRow.created_at >= since,
                BookingIntentRow.appointment_id.is_(None),
            )
            .order_by(BookingIntentRow.created_at.desc(), BookingIntentRow.id.desc())
        )
        if practitioner is not None:
            query = query.where(BookingIntentRow.practitioner == practitioner)
        found = session.scalars(query).first()
        if found is None:
            return None
        found.appointment_id = appointment_id
        return found.lrm, found.case_reference


def case_reference_of(engine: Engine, appointment_id: str) -> tuple[str, str] | None:
    """The (LRM, case reference) linked to `appointment_id`, if any."""
    with Session(engine) as session:
        linked = _linked(session, appointment_id)
        return (linked.lrm, linked.case_reference) if linked is not None else None


def _linked(session: Session, appointment_id: str) -> BookingIntentRow | None:
    return session.scalars(
        select(BookingIntentRow).where(BookingIntentRow.appointment_id == appointment_id)
    ).first()
