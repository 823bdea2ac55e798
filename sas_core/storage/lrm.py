"""What forwarding appointments to the SAMUs' regulation software (LRM) stores: the LRMs the
platform knows, one delivery row per message, and the acknowledgements and errors received.

- `lrm_registrations`: an LRM's name, the `origin` it opens the search with (INT_L01), its
  SAMU's Hub client id (`fr.health.samuXXX`) and the territory it regulates — the address book
  of INT_L02 and the allow-list of INT_L01.
- `lrm_deliveries`: one row per (appointment, version), its idempotency key: the same version is
  never recorded, hence never sent, twice. The row holds the payload to send, the recipient, and
  where the message stands (`pending` → `published` → `delivered`, or `failed` / `parked`).
- `lrm_receipts`: each acknowledgement or error received, by its own distribution id, so a
  redelivered one is processed once.

Every statement is here; the services (`sas_core.registry.lrms`,
`sas_core.appointments.forwarding`) open the transactions and decide what to write.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Index,
    Integer,
    String,
    Text,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from sas_core.identifiers import IDNPS_SYSTEM, SAS_TECHNICAL_SYSTEM
from sas_core.storage.accounts import RegulatorRow
from sas_core.storage.columns import JsonDocument
from sas_core.storage.tables import Base, BigId

#: Where a message stands; the last three are final.
DELIVERY_STATES = ("pending", "published", "delivered", "failed", "parked")
FINAL_STATES = ("delivered", "failed", "parked")


class LrmRegistrationRow(Base):
    """An LRM the platform forwards appointments to and accepts searches from."""

    __tablename__ = "lrm_registrations"
    __table_args__ = (Index("ix_lrm_registrations_territory", "territory"),)

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    origin: Mapped[str] = mapped_column(String(200), unique=True)
    hub_client_id: Mapped[str] = mapped_column(String(100))
    territory: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]


class LrmDeliveryRow(Base):
    """One message to an LRM: an appointment at one version, and where its delivery stands.

    `next_attempt_at` is when the forwarder looks at it again: the next try of a pending one,
    the deadline of the final acknowledgement of a published one.
    """

    __tablename__ = "lrm_deliveries"
    __table_args__ = (
        CheckConstraint(
            "state IN ('pending', 'published', 'delivered', 'failed', 'parked')", name="state"
        ),
        Index("ix_lrm_deliveries_appointment", "appointment_id", "version", unique=True),
        Index("ix_lrm_deliveries_state_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    appointment_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    distribution_id: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(10))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class LrmReceiptRow(Base):
    """An acknowledgement or error received, keyed by its own distribution id."""

    __tablename__ = "lrm_receipts"

    distribution_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    referenced: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime]


# -- the registrations ----------------------------------------------------------------------------


def registration(session: Session, name: str) -> LrmRegistrationRow | None:
    return session.get(LrmRegistrationRow, name)


def registration_by_origin(session: Session, origin: str) -> LrmRegistrationRow | None:
    return session.scalars(
        select(LrmRegistrationRow).where(LrmRegistrationRow.origin == origin)
    ).one_or_none()


def add_registration(session: Session, row: LrmRegistrationRow) -> None:
    session.add(row)


def delete_registration(session: Session, row: LrmRegistrationRow) -> None:
    session.delete(row)


def registrations(engine: Engine, territory: str | None = None) -> list[LrmRegistrationRow]:
    """Every registered LRM (of `territory` only, when given), by name."""
    query = select(LrmRegistrationRow).order_by(LrmRegistrationRow.name)
    if territory is not None:
        query = query.where(LrmRegistrationRow.territory == territory)
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(query))


# -- the booking regulator -----------------------------------------------------------------------


def regulator_by_identifier(engine: Engine, system: str, value: str) -> RegulatorRow | None:
    """The regulator an appointment's operator (`system|value`) names: by national id or by the
    platform's technical UUID; None when the platform does not know them."""
    if system == IDNPS_SYSTEM:
        condition = RegulatorRow.national_id == value
    elif system == SAS_TECHNICAL_SYSTEM:
        try:
            condition = RegulatorRow.id == uuid.UUID(value)
        except ValueError:
            return None
    else:
        return None
    with Session(engine, expire_on_commit=False) as session:
        return session.scalars(select(RegulatorRow).where(condition)).one_or_none()


# -- the deliveries -------------------------------------------------------------------------------


def delivery(session: Session, appointment_id: str, version: int) -> LrmDeliveryRow | None:
    return session.scalars(
        select(LrmDeliveryRow).where(
            LrmDeliveryRow.appointment_id == appointment_id, LrmDeliveryRow.version == version
        )
    ).one_or_none()


def delivery_by_distribution_id(session: Session, distribution_id: str) -> LrmDeliveryRow | None:
    """The message the Hub or the LRM refers to (locked for this transaction)."""
    return session.scalars(
        select(LrmDeliveryRow)
        .where(LrmDeliveryRow.distribution_id == distribution_id)
        .with_for_update()
    ).one_or_none()


def add_delivery(session: Session, row: LrmDeliveryRow) -> None:
    session.add(row)


#: The states a forwarder may still move: a claim only ever takes one of these.
OPEN_STATES = ("pending", "published")


def claim_due_deliveries(
    session: Session, *, at: datetime, lease_until: datetime, limit: int
) -> list[LrmDeliveryRow]:
    """Lease until `lease_until` up to `limit` messages due at `at`, each its appointment's
    oldest open one (only that one may move: an appointment's versions reach the LRM in their
    order), oldest first; the leased rows.

    Due and head are both filtered in SQL, so open messages waiting for their acknowledgement
    never hide a newer due one. The lease is one compare-and-set `UPDATE … WHERE open AND due
    RETURNING`: of two forwarders that picked the same row, one leases it, the other finds it no
    longer due (PostgreSQL re-checks the WHERE on the row the first one committed); the pick
    skips rows another forwarder holds (`SKIP LOCKED`) rather than waiting for them.
    """
    older = aliased(LrmDeliveryRow)
    due = (
        LrmDeliveryRow.state.in_(OPEN_STATES),
        LrmDeliveryRow.next_attempt_at <= at,
        ~exists().where(
            older.appointment_id == LrmDeliveryRow.appointment_id,
            older.version < LrmDeliveryRow.version,
            older.state.in_(OPEN_STATES),
        ),
    )
    picked = list(
        session.scalars(
            select(LrmDeliveryRow.id)
            .where(*due)
            .order_by(LrmDeliveryRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not picked:
        return []
    leased = session.scalars(
        update(LrmDeliveryRow)
        .where(LrmDeliveryRow.id.in_(picked), *due)
        .values(next_attempt_at=lease_until, updated_at=at)
        .returning(LrmDeliveryRow)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted(leased, key=lambda row: row.id)


def mark_delivery_published(
    session: Session,
    delivery_id: int,
    *,
    leased_until: datetime,
    at: datetime,
    ack_deadline: datetime,
) -> bool:
    """The broker confirmed the message leased until `leased_until`: wait for its final
    acknowledgement until `ack_deadline`; whether it was still as claimed.

    A receipt can overtake the broker's confirm: then the message is final or its next attempt
    moved, the compare fails and it stays as the receipt left it.
    """
    updated = session.execute(
        update(LrmDeliveryRow)
        .where(
            LrmDeliveryRow.id == delivery_id,
            LrmDeliveryRow.state.in_(OPEN_STATES),
            LrmDeliveryRow.next_attempt_at == leased_until,
        )
        .values(
            state="published",
            attempts=LrmDeliveryRow.attempts + 1,
            published_at=at,
            next_attempt_at=ack_deadline,
            updated_at=at,
        )
        .returning(LrmDeliveryRow.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    return updated is not None


def mark_delivery_delivered(
    session: Session, distribution_id: str, at: datetime
) -> LrmDeliveryRow | None:
    """The recipient acknowledged the message (again is harmless); None if it is not ours."""
    row = delivery_by_distribution_id(session, distribution_id)
    if row is not None and row.state != "delivered":
        row.state = "delivered"
        row.delivered_at = at
        row.updated_at = at
    return row


def settle_delivery(
    session: Session,
    delivery_id: int,
    *,
    state: str,
    error: str,
    code: int | None,
    at: datetime,
    next_attempt_at: datetime,
) -> None:
    """Record the outcome of a try; a late error never undoes the recipient's acknowledgement."""
    session.execute(
        update(LrmDeliveryRow)
        .where(LrmDeliveryRow.id == delivery_id, LrmDeliveryRow.state != "delivered")
        .values(
            state=state,
            last_error=error,
            last_error_code=code,
            next_attempt_at=next_attempt_at,
            updated_at=at,
        )
        .execution_options(synchronize_session=False)
    )


def delivery_counts(engine: Engine) -> dict[str, int]:
    """How many messages are in each state (every state named, zero included)."""
    with Session(engine) as session:
        rows = session.execute(
            select(LrmDeliveryRow.state, func.count()).group_by(LrmDeliveryRow.state)
        ).all()
    counts = dict.fromkeys(DELIVERY_STATES, 0)
    counts.update({state: count for state, count in rows})
    return counts


def list_deliveries(
    engine: Engine, *, states: Iterable[str] | None = None, limit: int = 100
) -> list[LrmDeliveryRow]:
    """The newest messages (in `states` when given), newest first."""
    query = select(LrmDeliveryRow).order_by(LrmDeliveryRow.id.desc()).limit(limit)
    if states is not None:
        query = query.where(LrmDeliveryRow.state.in_(list(states)))
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(query))


def deliveries_of(engine: Engine, appointment_id: str) -> list[LrmDeliveryRow]:
    """Every message of one appointment, oldest first."""
    with Session(engine, expire_on_commit=False) as session:
        return list(
            session.scalars(
                select(LrmDeliveryRow)
                .where(LrmDeliveryRow.appointment_id == appointment_id)
                .order_by(LrmDeliveryRow.version)
            )
        )


# -- the receipts ----------------------------------------------------------------------------------


def add_receipt(session: Session, row: LrmReceiptRow) -> bool:
    """Record a receipt; False when one with that distribution id was already recorded."""
    if session.get(LrmReceiptRow, row.distribution_id) is not None:
        return False
    session.add(row)
    return True
