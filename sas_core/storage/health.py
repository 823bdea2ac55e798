"""Adapter health: each (territory, adapter)'s circuit and the calls it counted.

Kept in the platform's database rather than in memory or Redis: it survives a restart, every
instance on one PostgreSQL sees the same circuits (one opened by one instance spares the
vendor the others' searches too), it needs no service beyond the one the platform already has,
and it works the same on the embedded SQLite default.

A circuit changes under its row's lock (PostgreSQL `FOR UPDATE`; SQLite takes the database's
write lock at BEGIN), so two instances never both claim the trial call of a half-open circuit.
The rules themselves are `sas_core.registry.circuit`'s: the functions here apply them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    Index,
    Integer,
    String,
    Text,
    delete,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from sas_core.registry.models import CIRCUIT_STATES, CallSample, Circuit, CircuitState
from sas_core.storage.engine import write_session
from sas_core.storage.tables import Base, BigId

_STATES = ", ".join(f"'{s}'" for s in CIRCUIT_STATES)


class AdapterCircuitRow(Base):
    """The circuit of one adapter in one territory (see `sas_core.registry.models.Circuit`)."""

    __tablename__ = "adapter_circuits"
    __table_args__ = (CheckConstraint(f"state IN ({_STATES})", name="state_known"),)

    territory: Mapped[str] = mapped_column(String(16), primary_key=True)
    adapter: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[str] = mapped_column(String(9))
    consecutive_failures: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime | None]
    trial_started_at: Mapped[datetime | None]
    recent: Mapped[str] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    last_call_at: Mapped[datetime | None]


class AdapterCallRow(Base):
    """One search's call to one adapter: the sliding window's samples (latency, errors)."""

    __tablename__ = "adapter_calls"
    __table_args__ = (Index("ix_adapter_calls_territory_adapter_at", "territory", "adapter", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    territory: Mapped[str] = mapped_column(String(16))
    adapter: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]
    ok: Mapped[bool] = mapped_column(Boolean)
    trial: Mapped[bool] = mapped_column(Boolean)
    duration_ms: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class HealthWindow:
    """One (territory, adapter): its circuit and the calls it counted since the window's start."""

    territory: str
    adapter: str
    circuit: Circuit
    durations_ms: tuple[float, ...]
    errors: int


def _circuit_of(row: AdapterCircuitRow) -> Circuit:
    return Circuit(
        state=cast(CircuitState, row.state),  # held to the states by a CHECK constraint
        consecutive_failures=row.consecutive_failures,
        opened_at=row.opened_at,
        trial_started_at=row.trial_started_at,
        recent=row.recent,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        last_call_at=row.last_call_at,
    )


def _write(row: AdapterCircuitRow, circuit: Circuit) -> None:
    row.state = circuit.state
    row.consecutive_failures = circuit.consecutive_failures
    row.opened_at = circuit.opened_at
    row.trial_started_at = circuit.trial_started_at
    row.recent = circuit.recent
    row.last_error = circuit.last_error
    row.last_error_at = circuit.last_error_at
    row.last_call_at = circuit.last_call_at


def read_circuits(engine: Engine, territory: str, adapters: Sequence[str]) -> dict[str, Circuit]:
    """The stored circuits of `adapters` in `territory` (an adapter never called has none)."""
    with Session(engine) as session:
        rows = session.scalars(
            select(AdapterCircuitRow).where(
                AdapterCircuitRow.territory == territory,
                AdapterCircuitRow.adapter.in_(list(adapters)),
            )
        )
        return {row.adapter: _circuit_of(row) for row in rows}


def _locked(session: Session, territory: str, adapters: Sequence[str]) -> list[AdapterCircuitRow]:
    """The rows of `adapters`, created closed when missing, locked in name order (two
    transactions locking the same rows in one order cannot deadlock)."""
    names = sorted(set(adapters))
    closed = {"territory": territory, "state": "closed", "consecutive_failures": 0, "recent": ""}
    values = [{**closed, "adapter": name} for name in names]
    if values:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(insert(AdapterCircuitRow).values(values).on_conflict_do_nothing())
    rows = session.scalars(
        select(AdapterCircuitRow)
        .where(AdapterCircuitRow.territory == territory, AdapterCircuitRow.adapter.in_(names))
        .order_by(AdapterCircuitRow.adapter)
        .with_for_update()
    )
    return list(rows)


def change_circuit(
    engine: Engine,
    territory: str,
    adapter: str,
    change: Callable[[Circuit], Circuit | None],
) -> Circuit | None:
    """Apply `change` to the circuit under its lock; the circuit written, or None when
    `change` declined (returned None) and nothing was written."""
    with write_session(engine) as session:
        [row] = _locked(session, territory, [adapter])
        changed = change(_circuit_of(row))
        if changed is not None:
            _write(row, changed)
        return changed


def record_calls(
    engine: Engine,
    territory: str,
    samples: Sequence[CallSample],
    after: Callable[[Circuit, CallSample], Circuit],
    at: datetime,
) -> None:
    """Store one search's samples and move each circuit by `after`, in one transaction."""
    if not samples:
        return
    with write_session(engine) as session:
        rows = {
            row.adapter: row for row in _locked(session, territory, [s.adapter for s in samples])
        }
        for sample in samples:
            row = rows[sample.adapter]
            _write(row, after(_circuit_of(row), sample))
            session.add(
                AdapterCallRow(
                    territory=territory,
                    adapter=sample.adapter,
                    at=at,
                    ok=sample.ok,
                    trial=sample.trial,
                    duration_ms=sample.duration_ms,
                    error=sample.error,
                )
            )


def health_windows(
    engine: Engine,
    since: datetime,
    *,
    territory: str | None = None,
    adapter: str | None = None,
) -> list[HealthWindow]:
    """Every known (territory, adapter), optionally one territory or adapter, with the calls
    counted since `since`, ordered by territory then adapter."""
    circuits = select(AdapterCircuitRow).order_by(
        AdapterCircuitRow.territory, AdapterCircuitRow.adapter
    )
    calls = select(
        AdapterCallRow.territory,
        AdapterCallRow.adapter,
        AdapterCallRow.ok,
        AdapterCallRow.duration_ms,
    ).where(AdapterCallRow.at >= since)
    if territory is not None:
        circuits = circuits.where(AdapterCircuitRow.territory == territory)
        calls = calls.where(AdapterCallRow.territory == territory)
    if adapter is not None:
        circuits = circuits.where(AdapterCircuitRow.adapter == adapter)
        calls = calls.where(AdapterCallRow.adapter == adapter)
    with Session(engine) as session:
        durations: dict[tuple[str, str], list[float]] = {}
        errors: dict[tuple[str, str], int] = {}
        for call_territory, call_adapter, ok, duration_ms in session.execute(calls):
            key = (call_territory, call_adapter)
            durations.setdefault(key, []).append(duration_ms)
            errors[key] = errors.get(key, 0) + (0 if ok else 1)
        return [
            HealthWindow(
                territory=row.territory,
                adapter=row.adapter,
                circuit=_circuit_of(row),
                durations_ms=tuple(durations.get((row.territory, row.adapter), ())),
                errors=errors.get((row.territory, row.adapter), 0),
            )
            for row in session.scalars(circuits)
        ]


def purge_calls(engine: Engine, before: datetime) -> int:
    """Delete the samples older than `before` (past every window); how many went."""
    with write_session(engine) as session:
        result = session.execute(delete(AdapterCallRow).where(AdapterCallRow.at < before))
        return int(getattr(result, "rowcount", 0) or 0)
