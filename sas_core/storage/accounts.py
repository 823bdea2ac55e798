"""Regulators, the state of their account at each vendor, and the audit trail of every call.

The sync state row of a (regulator, adapter) *is* the retry queue (digest §7.1): `retrying` rows
with a due `next_attempt_at` are what `retry_due` sends again, so a restart loses nothing. A row
is marked `pending` (with a short lease in `next_attempt_at`) before its call goes out, so a
process that dies mid-call leaves it to be picked up again rather than forgotten. Every claim and
every result write bumps the row's `version` and is conditional on the version it read, so two
overlapping triggers (two logins, a login and a deactivation) never both call the vendor.

The statements of the account flow (`sas_core.accounts`) are all here. Reads take the engine and
return rows or regulators, whole. A decision and its write are one transaction the sync engine
opens with `write_session` and hands to the functions taking a `session`: `lock_regulator` first
(so the calls of one regulator decide and record one at a time), then `open_account` or
`claim_account` before a call, `add_account_call` and `settle_account` after it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
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
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from sas_core.accounts.models import Regulator
from sas_core.storage.engine import write_session
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


def store_login(engine: Engine, regulator_id: uuid.UUID, at: datetime | None) -> Regulator:
    """The regulator, with `at` stored as their last login if they are active (a deactivated
    regulator cannot log in: nothing is stored); None stores nothing."""
    with write_session(engine) as session:
        row = load_regulator_row(session, regulator_id)
        if row.active and at is not None:
            row.last_login_at = at
        return regulator_of(row)


def mark_inactive(session: Session, regulator_id: uuid.UUID, at: datetime) -> None:
    """Store the regulator as deactivated (digest §7.4), in the caller's transaction."""
    row = load_regulator_row(session, regulator_id)
    row.active = False
    row.updated_at = at


def lock_regulator(session: Session, regulator_id: uuid.UUID) -> Regulator:
    """The regulator as stored now, their row locked until the transaction ends (PostgreSQL;
    SQLite's writers take turns anyway)."""
    return regulator_of(load_regulator_row(session, regulator_id, for_update=True))


def read_regulator(engine: Engine, regulator_id: uuid.UUID) -> Regulator:
    """The regulator; `RegulatorNotFoundError` when no regulator has that id."""
    with Session(engine) as session:
        return regulator_of(load_regulator_row(session, regulator_id))


def regulator_territories(engine: Engine) -> list[tuple[uuid.UUID, str | None, str | None]]:
    """`(technical id, national id, territory)` of every regulator: whose territory an
    appointment's operator is, for the platform team's figures."""
    query = select(RegulatorRow.id, RegulatorRow.national_id, RegulatorRow.territory)
    with Session(engine) as session:
        return [(r[0], r[1], r[2]) for r in session.execute(query)]


def regulators_with_accounts(
    engine: Engine, *, active_only: bool = False
) -> list[tuple[Regulator, list[RegulatorAccountRow]]]:
    """Every regulator (by family then given name) with their account rows (by adapter)."""
    with Session(engine) as session:
        query = select(RegulatorRow).order_by(RegulatorRow.family, RegulatorRow.given)
        if active_only:
            query = query.where(RegulatorRow.active.is_(True))
        return [
            (regulator_of(row), account_rows(session, row.id)) for row in session.scalars(query)
        ]


def account_rows(session: Session, regulator_id: uuid.UUID) -> list[RegulatorAccountRow]:
    """The regulator's account rows, one per adapter that was ever sent the account."""
    return list(
        session.scalars(
            select(RegulatorAccountRow)
            .where(RegulatorAccountRow.regulator_id == regulator_id)
            .order_by(RegulatorAccountRow.adapter)
        )
    )


def read_account_rows(engine: Engine, regulator_id: uuid.UUID) -> list[RegulatorAccountRow]:
    """`account_rows` in a transaction of its own, for a read that writes nothing after."""
    with Session(engine) as session:
        return account_rows(session, regulator_id)


def _account_row(
    session: Session, regulator_id: uuid.UUID, adapter: str
) -> RegulatorAccountRow | None:
    """The regulator's account row at `adapter`, None before the account was first sent there."""
    return session.scalar(
        select(RegulatorAccountRow).where(
            RegulatorAccountRow.regulator_id == regulator_id,
            RegulatorAccountRow.adapter == adapter,
        )
    )


def due_account_rows(
    engine: Engine, at: datetime, *, regulator_ids: Sequence[uuid.UUID] | None = None
) -> list[RegulatorAccountRow]:
    """The retry queue at `at`: `retrying` rows whose wait is over and `pending` ones whose lease
    ran out (their process died mid-call), the longest due first; only `regulator_ids`' if given."""
    with Session(engine) as session:
        query = select(RegulatorAccountRow).where(
            RegulatorAccountRow.state.in_(("retrying", "pending")),
            or_(
                RegulatorAccountRow.next_attempt_at.is_(None),
                RegulatorAccountRow.next_attempt_at <= at,
            ),
        )
        if regulator_ids is not None:
            query = query.where(RegulatorAccountRow.regulator_id.in_(list(regulator_ids)))
        return list(session.scalars(query.order_by(RegulatorAccountRow.next_attempt_at)))


def open_account(
    session: Session,
    regulator_id: uuid.UUID,
    adapter: str,
    *,
    fingerprint: str,
    at: datetime,
    lease_until: datetime,
) -> None:
    """Add the account's first row at `adapter`, already claimed (`pending`, version 1) for the
    call about to send the body `fingerprint` hashes.

    Flushed at once: when another call added the row first, the unique (regulator, adapter)
    raises `IntegrityError` here, and that other call is the one sending.
    """
    session.add(
        RegulatorAccountRow(
            regulator_id=regulator_id,
            adapter=adapter,
            state="pending",
            fingerprint=fingerprint,
            attempts=1,
            last_attempt_at=at,
            next_attempt_at=lease_until,
            version=1,
        )
    )
    session.flush()


def claim_account(
    session: Session,
    account_id: int,
    version: int,
    *,
    fingerprint: str,
    at: datetime,
    lease_until: datetime,
) -> bool:
    """Mark the row `pending` until `lease_until` for a call that sends the body `fingerprint`
    hashes, if it is still at `version` and no live lease holds it; whether it was claimed.

    One `UPDATE … WHERE version = … RETURNING`, so the compare and the set are atomic on SQLite
    and PostgreSQL alike: of two calls that read the same version, one claims, the other finds
    nothing to update. The claim bumps the version, attempts count the call.
    """
    claimed = session.execute(
        update(RegulatorAccountRow)
        .where(
            RegulatorAccountRow.id == account_id,
            RegulatorAccountRow.version == version,
            or_(
                RegulatorAccountRow.state != "pending",
                RegulatorAccountRow.next_attempt_at.is_(None),
                RegulatorAccountRow.next_attempt_at <= at,
            ),
        )
        .values(
            state="pending",
            fingerprint=fingerprint,
            attempts=RegulatorAccountRow.attempts + 1,
            last_attempt_at=at,
            next_attempt_at=lease_until,
            version=RegulatorAccountRow.version + 1,
        )
        .returning(RegulatorAccountRow.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    return claimed is not None


@dataclass(frozen=True)
class CallResult:
    """What one call to the vendor leaves in the account row (`settle_account`)."""

    state: SyncState
    http_status: int | None
    error: str | None
    next_attempt_at: datetime | None = None
    #: Set when the vendor holds the account now (`synced`): under what key, where (kept as it
    #: was when the vendor gave none) and since when.
    vendor_key: str | None = None
    vendor_location: str | None = None
    synced_at: datetime | None = None


def settle_account(
    session: Session, regulator_id: uuid.UUID, adapter: str, version: int, result: CallResult
) -> RegulatorAccountRow | None:
    """Write a call's result to the account row if it is still at `version` (its claim's),
    bumping the version; the row as written, or None when a later claim took the row over
    after the lease ran out (that call's result stands).

    The caller holds the regulator's lock (`lock_regulator`), which every claim and result write
    of that regulator takes first: the version read here cannot move before the commit.
    """
    row = _account_row(session, regulator_id, adapter)
    if row is None or row.version != version:
        return None
    row.version += 1
    row.state = result.state
    row.last_http_status = result.http_status
    row.last_error = result.error
    row.next_attempt_at = result.next_attempt_at
    if result.state == "synced":
        row.vendor_key = result.vendor_key
        row.vendor_location = result.vendor_location or row.vendor_location
        row.attempts = 0
        row.synced_at = result.synced_at
    return row


def add_account_call(session: Session, call: RegulatorAccountCall) -> None:
    """Add one call to the audit trail, in the transaction that records its result."""
    session.add(call)


def read_account_calls(engine: Engine, regulator_id: uuid.UUID) -> list[RegulatorAccountCall]:
    """The audit trail of one regulator, oldest first."""
    with Session(engine, expire_on_commit=False) as session:
        return list(
            session.scalars(
                select(RegulatorAccountCall)
                .where(RegulatorAccountCall.regulator_id == regulator_id)
                .order_by(RegulatorAccountCall.id)
            )
        )
