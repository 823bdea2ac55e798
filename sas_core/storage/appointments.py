"""Appointments reported by vendors (INT_R03), their status history, and the outbox that tells
listeners about them (digest §9; ROADMAP: intake writes to an outbox in the same transaction).

The tables join `Base.metadata` from here rather than from `tables.py`; `sas_core.storage`
imports this module, so whoever reads the metadata (Alembic, the schema test) sees them.

The statements of appointment intake (`sas_core.appointments.intake`) are here too. A write is
one transaction the service opens with `write_session` and hands to the functions taking a
`session`: `lock_appointment` reads the current row, locked, then the service changes it or
`add_appointment`s a new one, and `record_change` and `enqueue_event` add the history row and the
outbox row beside it. Reads (`get_appointment`, `find_appointments`, `appointment_history`) take
the engine and hold one connection each, for the length of one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from sas_core.appointments.models import (
    IDENTIFIER_MAX_LENGTH,
    OPERATOR_VALUE_MAX_LENGTH,
    PARTY_ID_MAX_LENGTH,
)
from sas_core.storage.columns import JsonDocument
from sas_core.storage.tables import Base, BigId

_STATUSES = "'pending', 'booked', 'fulfilled', 'noshow', 'cancelled'"


class StoredAppointment(Base):
    """The current state of one appointment, keyed by its vendor and the vendor's identifier
    (`system|value`).

    The key includes `vendor` because vendors choose identifiers independently: a global key would
    let one vendor block another's appointment, and learn that it exists, by reporting its
    `system|value` first. `review_reasons` lists why a person should look at it (an unknown
    regulator or practitioner), never a reason to refuse it. The widths of the columns holding a
    vendor's free text are the domain's limits (`sas_core.appointments.models`), which the FHIR
    reader enforces first.
    """

    __tablename__ = "appointments"
    __table_args__ = (
        UniqueConstraint("vendor", "identifier_system", "identifier_value"),
        CheckConstraint(f"status IN ({_STATUSES})", name="status"),
        CheckConstraint("profile IN ('ps', 'sos')", name="profile"),
        CheckConstraint("end_at > start_at", name="appointment_ordered"),
        Index("ix_appointments_vendor_start", "vendor", "start_at"),
        Index("ix_appointments_operator", "operator_system", "operator_value"),
        Index("ix_appointments_practitioner_start", "practitioner_idnps", "start_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    identifier_system: Mapped[str] = mapped_column(String(IDENTIFIER_MAX_LENGTH))
    identifier_value: Mapped[str] = mapped_column(String(IDENTIFIER_MAX_LENGTH))
    vendor: Mapped[str] = mapped_column(String(100))
    profile: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    participant_status: Mapped[str] = mapped_column(String(16))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    booked_at: Mapped[datetime | None]
    operator_type: Mapped[str] = mapped_column(String(8))
    operator_system: Mapped[str] = mapped_column(String(100))
    operator_value: Mapped[str] = mapped_column(String(OPERATOR_VALUE_MAX_LENGTH))
    practitioner_idnps: Mapped[str | None] = mapped_column(String(PARTY_ID_MAX_LENGTH))
    structure_idnst: Mapped[str | None] = mapped_column(String(PARTY_ID_MAX_LENGTH))
    review_reasons: Mapped[list[str]] = mapped_column(JsonDocument)
    resource: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AppointmentChange(Base):
    """One accepted version of an appointment: its status then, and the resource as received."""

    __tablename__ = "appointment_history"
    __table_args__ = (
        UniqueConstraint("appointment_id", "version"),
        CheckConstraint(f"status IN ({_STATUSES})", name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    previous_status: Mapped[str | None] = mapped_column(String(16))
    vendor: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime]
    resource: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


class OutboxMessage(Base):
    """An event to deliver to the plugins' listeners, written with the change it reports.

    Pending while `delivered_at` is NULL; `next_attempt_at` is when a dispatcher may take it
    (pushed forward while one holds it, and with backoff after a listener failed).
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]


# -- intake's statements ---------------------------------------------------------------------------


def lock_appointment(
    session: Session, vendor: str, identifier_system: str, identifier_value: str
) -> StoredAppointment | None:
    """`vendor`'s appointment under `system|value`, locked until `session`'s transaction ends
    (`FOR UPDATE` on PostgreSQL; on SQLite the writer already holds the file), or None."""
    return session.scalars(
        select(StoredAppointment)
        .where(
            StoredAppointment.vendor == vendor,
            StoredAppointment.identifier_system == identifier_system,
            StoredAppointment.identifier_value == identifier_value,
        )
        .with_for_update()
    ).one_or_none()


def add_appointment(session: Session, row: StoredAppointment) -> None:
    """Insert a new appointment when `session`'s transaction is flushed."""
    session.add(row)


def record_change(
    session: Session,
    row: StoredAppointment,
    *,
    previous_status: str | None,
    vendor: str,
    changed_at: datetime,
    resource: dict[str, Any],
) -> None:
    """Add the history row of `row`'s current version; `row` is written first (its history row
    refers to it)."""
    session.flush()
    session.add(
        AppointmentChange(
            appointment_id=row.id,
            version=row.version,
            status=row.status,
            previous_status=previous_status,
            vendor=vendor,
            changed_at=changed_at,
            resource=resource,
        )
    )


def enqueue_event(
    session: Session, topic: str, payload: dict[str, Any], created_at: datetime
) -> None:
    """Add an outbox row, due at once, in `session`'s transaction: it exists if and only if the
    change it reports does."""
    session.add(
        OutboxMessage(
            topic=topic,
            payload=payload,
            created_at=created_at,
            next_attempt_at=created_at,
            attempts=0,
            last_error=None,
            delivered_at=None,
        )
    )


def get_appointment(engine: Engine, appointment_id: str) -> StoredAppointment | None:
    """The appointment with the platform's id `appointment_id`, or None."""
    with Session(engine, expire_on_commit=False) as session:
        return session.get(StoredAppointment, appointment_id)


def find_appointments(
    engine: Engine, identifier_system: str, identifier_value: str, vendor: str | None
) -> list[StoredAppointment]:
    """The appointments under `system|value`: `vendor`'s only, or (None) every vendor's."""
    query = select(StoredAppointment).where(
        StoredAppointment.identifier_system == identifier_system,
        StoredAppointment.identifier_value == identifier_value,
    )
    if vendor is not None:
        query = query.where(StoredAppointment.vendor == vendor)
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(query))


def appointment_history(engine: Engine, appointment_id: str) -> list[AppointmentChange]:
    """Every accepted version of an appointment, oldest first."""
    with Session(engine, expire_on_commit=False) as session:
        return list(
            session.scalars(
                select(AppointmentChange)
                .where(AppointmentChange.appointment_id == appointment_id)
                .order_by(AppointmentChange.version)
            )
        )


def operator_appointments(
    engine: Engine, operators: list[tuple[str, str]], limit: int = 200
) -> list[StoredAppointment]:
    """The appointments booked by any of `operators` (`(system, value)`: one regulator's
    identifiers), newest start first; the web front's "my appointments"."""
    if not operators:
        return []
    query = (
        select(StoredAppointment)
        .where(
            or_(
                *(
                    and_(
                        StoredAppointment.operator_system == system,
                        StoredAppointment.operator_value == value,
                    )
                    for system, value in operators
                )
            )
        )
        .order_by(StoredAppointment.start_at.desc())
        .limit(limit)
    )
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(query))


def appointment_histories(engine: Engine, ids: list[str]) -> dict[str, list[AppointmentChange]]:
    """Every accepted version of each appointment of `ids`, oldest first."""
    if not ids:
        return {}
    found: dict[str, list[AppointmentChange]] = {i: [] for i in ids}
    with Session(engine, expire_on_commit=False) as session:
        for change in session.scalars(
            select(AppointmentChange)
            .where(AppointmentChange.appointment_id.in_(ids))
            .order_by(AppointmentChange.appointment_id, AppointmentChange.version)
        ):
            found[change.appointment_id].append(change)
    return found


def booked_per_period(
    engine: Engine, bounds: Sequence[datetime]
) -> list[tuple[int, str, str, str, int]]:
    """`(period, vendor, operator_system, operator_value, count)` of the appointments starting in
    each period `i`, `[bounds[i], bounds[i + 1])`, the last one open-ended: one grouped
    statement, whatever the number of appointments (the platform team's monthly chart)."""
    if len(bounds) < 2:
        raise ValueError("booked_per_period needs two bounds at least")
    period = case(
        *((StoredAppointment.start_at < end, index) for index, end in enumerate(bounds[1:])),
        else_=len(bounds) - 1,
    ).label("period")
    query = (
        select(
            period,
            StoredAppointment.vendor,
            StoredAppointment.operator_system,
            StoredAppointment.operator_value,
            func.count(),
        )
        .where(StoredAppointment.start_at >= bounds[0])
        .group_by(
            period,
            StoredAppointment.vendor,
            StoredAppointment.operator_system,
            StoredAppointment.operator_value,
        )
    )
    with Session(engine) as session:
        return [(int(r[0]), r[1], r[2], r[3], int(r[4])) for r in session.execute(query)]


# -- the outbox ---------------------------------------------------------------------------------


def pending_outbox_heads(session: Session, limit: int) -> list[tuple[int, Any, datetime]]:
    """The oldest undelivered events, in id order: (id, payload, next attempt)."""
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.payload, OutboxMessage.next_attempt_at)
        .where(OutboxMessage.delivered_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def lock_due_outbox(session: Session, ids: list[int], at: datetime) -> dict[int, OutboxMessage]:
    """Those of `ids` still undelivered and due at `at`, locked for this transaction; a row
    another dispatcher holds is skipped (PostgreSQL `SKIP LOCKED`), not waited for."""
    return {
        row.id: row
        for row in session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.delivered_at.is_(None),
                OutboxMessage.next_attempt_at <= at,
            )
            .with_for_update(skip_locked=True)
        )
    }


def get_outbox_message(session: Session, message_id: int) -> OutboxMessage | None:
    """One outbox event, to settle or release it."""
    return session.get(OutboxMessage, message_id)


def undelivered_count(engine: Engine) -> int:
    """How many outbox events are not delivered yet."""
    with Session(engine) as session:
        count = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.delivered_at.is_(None))
        )
        return count or 0
