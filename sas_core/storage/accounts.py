"""Regulators, the state of their account at each vendor, and the audit trail of every call.

The sync state row of a (regulator, adapter) *is* the retry queue (digest §7.1): `retrying` rows
with a due `next_attempt_at` are what `retry_due` sends again, so a restart loses nothing. A row
is marked `pending` (with a short lease in `next_attempt_at`) before its call goes out, so a
process that dies mid-call leaves it to be picked up again rather than forgotten. Every claim and
every result write bumps the row's `version` and is conditional on the version it read, so two
overlapping triggers (two logins, a login and a deactivation) never both call the vendor.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from sas_core.accounts.models import Regulator
from sas_core.storage.tables import Base, BigId

#: pending: a call is (or was, before a crash) in flight; synced: the vendor has the account as
#: last sent; retrying: a transient failure, queued for `next_attempt_at`; rejected: refused
#: by the vendor, needs a person.
SyncState = Literal["pending", "synced", "retrying", "rejected"]
SYNC_STATES: tuple[SyncState, ...] = ("pending", "synced", "retrying", "rejected")


class RegulatorRow(Base):
    """A regulator as the platform knows them; `id` is the SAS technical id (digest §3)."""

    __tablename__ = "regulators"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    national_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    family: Mapped[str] = mapped_column(String(200))
    given: Mapped[str] = mapped_column(String(200))
    # The regulator's SAS login (digest §7.5): one account per address.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    active: Mapped[bool] = mapped_column(Boolean)
    territory: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]


class RegulatorAccountRow(Base):
    """What one vendor (adapter) was last told about one regulator, and how that went.

    `vendor_key` (`system|value`) is the identifier the vendor is known to hold the account
    under — the `?identifier=` of the next conditional PUT; it stays on the old value until a
    re-keying PUT succeeds (digest §7.3). `fingerprint` is the hash of the last body sent.
    `version` is bumped by every claim and result write: each is a compare-and-set on it.
    """

    __tablename__ = "regulator_accounts"
    __table_args__ = (
        UniqueConstraint("regulator_id", "adapter"),
        CheckConstraint(
            "state IN ('pending', 'synced', 'retrying', 'rejected')", name="state_known"
        ),
        CheckConstraint("attempts >= 0", name="attempts_counted"),
        Index("ix_regulator_accounts_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    regulator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("regulators.id", ondelete="CASCADE"))
    adapter: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(10))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    vendor_key: Mapped[str | None] = mapped_column(String(300))
    vendor_location: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_http_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class RegulatorAccountCall(Base):
    """Audit trail: one row per call to a vendor. No body, no certificate, no secret."""

    __tablename__ = "regulator_account_calls"
    __table_args__ = (
        Index("ix_regulator_account_calls_regulator_id_at", "regulator_id", "at"),
        CheckConstraint(
            "outcome IN ('created', 'updated', 'rejected', 'retry')", name="outcome_known"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    regulator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("regulators.id", ondelete="CASCADE"))
    adapter: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(10))
    http_method: Mapped[str | None] = mapped_column(String(10))
    matched_on: Mapped[str | None] = mapped_column(String(300))
    http_status: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(10))
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float] = mapped_column(Float)


class RegulatorNotFoundError(LookupError):
    """No regulator has that id."""


class RegulatorConflictError(ValueError):
    """Another regulator already has that e-mail or national id (both are unique)."""


def regulator_of(row: RegulatorRow) -> Regulator:
    return Regulator(
        id=row.id,
        national_id=row.national_id,
        family=row.family,
        given=row.given,
        email=row.email,
        active=row.active,
        territory=row.territory,
    )


def load_regulator_row(
    session: Session, regulator_id: uuid.UUID, *, for_update: bool = False
) -> RegulatorRow:
    """The regulator's row; `for_update` locks it (PostgreSQL) so that the account calls of one
    regulator decide and record one at a time."""
    row = session.get(RegulatorRow, regulator_id, with_for_update=for_update)
    if row is None:
        raise RegulatorNotFoundError(f"no regulator {regulator_id}")
    return row


def save_regulator(engine: Engine, regulator: Regulator, now: datetime) -> Regulator:
    """Insert or replace `regulator`; a taken e-mail or national id is a conflict, named."""
    with Session(engine) as session, session.begin():
        for column, value in (
            ("email", str(regulator.email)),
            ("national_id", regulator.national_id),
        ):
            if value is None:
                continue
            other = session.scalar(
                select(RegulatorRow.id).where(
                    getattr(RegulatorRow, column) == value, RegulatorRow.id != regulator.id
                )
            )
            if other is not None:
                label = "e-mail" if column == "email" else "national id"
                raise RegulatorConflictError(f"{label} {value!r} is already regulator {other}'s")
        row = session.get(RegulatorRow, regulator.id)
        if row is None:
            row = RegulatorRow(id=regulator.id, created_at=now)
            session.add(row)
        row.national_id = regulator.national_id
        row.family = regulator.family
        row.given = regulator.given
        row.email = str(regulator.email)
        row.active = regulator.active
        row.territory = regulator.territory
        row.updated_at = now
    return regulator


def account_rows(session: Session, regulator_id: uuid.UUID) -> list[RegulatorAccountRow]:
    return list(
        session.scalars(
            select(RegulatorAccountRow)
            .where(RegulatorAccountRow.regulator_id == regulator_id)
            .order_by(RegulatorAccountRow.adapter)
        )
    )
