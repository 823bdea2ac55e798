"""Recording fan-outs and reading back their slots.

A run is stored in one transaction: its outcomes and slots all land, or nothing of it does, so
a reader never sees a run without its slots.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload

from sas_core.slots.models import AdapterOutcome, AdapterStatus, BundleIssue, SearchWindow, Slot
from sas_core.storage.engine import write_session
from sas_core.storage.tables import Base, FetchedSlot, FetchOutcome, FetchRun


class FetchRunSummary(BaseModel):
    """A recorded run and how each adapter did, newest first in `fetch_runs`."""

    model_config = ConfigDict(frozen=True)

    id: int
    kind: str
    started_at: AwareDatetime
    finished_at: AwareDatetime
    window: SearchWindow
    practitioners: tuple[str, ...]
    structures: tuple[str, ...]
    outcomes: tuple[AdapterOutcome, ...]
    plugins: dict[str, str]

    @property
    def slot_count(self) -> int:
        return sum(o.slot_count for o in self.outcomes)


def record_fetch(
    engine: Engine,
    *,
    kind: str,
    window: SearchWindow,
    practitioners: Sequence[str],
    structures: Sequence[str],
    outcomes: Sequence[AdapterOutcome],
    slots: Sequence[Slot],
    plugins: Mapping[str, str] | None = None,
    started_at: datetime,
    finished_at: datetime,
) -> int:
    """Store one fan-out (run, outcome per adapter, slots) atomically and return the run's id.

    `plugins` maps an adapter to the plugin that provides it. Every slot's adapter must have an
    outcome in `outcomes`: that is how a slot's provenance is kept.
    """
    for instant in (started_at, finished_at):
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError(f"run times must be timezone-aware, got {instant.isoformat()}")
    adapters = [o.adapter for o in outcomes]
    if len(set(adapters)) != len(adapters):
        raise ValueError(f"one outcome per adapter expected, got {sorted(adapters)}")
    orphans = sorted({s.adapter for s in slots} - set(adapters))
    if orphans:
        raise ValueError(f"slots from adapters without an outcome in this run: {orphans}")
    plugins = plugins or {}

    with Session(engine) as session, session.begin():
        run = FetchRun(
            kind=kind,
            started_at=started_at,
            finished_at=finished_at,
            window_start=window.start,
            window_end=window.end,
            practitioners=list(practitioners),
            structures=list(structures),
        )
        session.add(run)
        session.flush()
        # Core inserts of plain rows: one executemany each. (ORM bulk inserts split the rows
        # into a statement per run of rows with the same None columns: ~one per slot.)
        connection = session.connection()
        if outcomes:
            connection.execute(
                insert(_table(FetchOutcome)),
                [_outcome_row(run.id, o, plugins.get(o.adapter)) for o in outcomes],
            )
        if slots:
            connection.execute(insert(_table(FetchedSlot)), [_slot_row(run.id, s) for s in slots])
        return run.id


def _table(entity: type[Base]) -> Table:
    return cast(Table, entity.__table__)


def _outcome_row(run_id: int, outcome: AdapterOutcome, plugin: str | None) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "adapter": outcome.adapter,
        "plugin": plugin,
        "status": outcome.status,
        "error": outcome.error,
        "duration_ms": outcome.duration_ms,
        "requests": outcome.requests,
        "slot_count": outcome.slot_count,
        "dropped_slots": outcome.dropped_slots,
        "issues": [issue.model_dump(mode="json") for issue in outcome.issues],
    }


def _slot_row(run_id: int, slot: Slot) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "adapter": slot.adapter,
        "source_id": slot.id,
        "start_at": slot.start,
        "end_at": slot.end,
        "practitioner_idnps": slot.practitioner,
        "structure_idnst": slot.structure,
        "structure_kind": str(slot.structure_kind) if slot.structure_kind else None,
        "place_id": slot.place.id if slot.place else None,
        "place": slot.place.model_dump(mode="json") if slot.place else None,
        "schedule_id": slot.schedule_id,
        "slot_types": [str(t) for t in slot.slot_types],
        "modalities": [str(m) for m in slot.modalities],
        "appointment_type": str(slot.appointment_type) if slot.appointment_type else None,
        "specialties": list(slot.specialties),
        "reasons": list(slot.reasons),
        "booking_url": slot.booking_url,
        "fetched_at": slot.fetched_at,
    }


def latest_slots(
    engine: Engine,
    *,
    adapter: str | None = None,
    practitioner: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Slot]:
    """The slots of each adapter's most recent run, ordered by start.

    "Most recent" is the last run recorded with an outcome for that adapter, even a failed or
    empty one: an adapter that answered nothing last time has no current slots. `start` and
    `end` bound when slots start, both inclusive, like `SearchWindow`.
    """
    latest = (
        select(FetchOutcome.adapter, func.max(FetchOutcome.run_id).label("run_id"))
        .group_by(FetchOutcome.adapter)
        .subquery()
    )
    query = (
        select(FetchedSlot)
        .join(
            latest,
            (FetchedSlot.adapter == latest.c.adapter) & (FetchedSlot.run_id == latest.c.run_id),
        )
        .order_by(FetchedSlot.start_at, FetchedSlot.adapter, FetchedSlot.source_id)
    )
    if adapter is not None:
        query = query.where(FetchedSlot.adapter == adapter)
    if practitioner is not None:
        query = query.where(FetchedSlot.practitioner_idnps == practitioner)
    if start is not None:
        query = query.where(FetchedSlot.start_at >= start)
    if end is not None:
        query = query.where(FetchedSlot.start_at <= end)
    with Session(engine) as session:
        return [_slot_of(row) for row in session.scalars(query)]


def _slot_of(row: FetchedSlot) -> Slot:
    return Slot.model_validate(
        {
            "id": row.source_id,
            "start": row.start_at,
            "end": row.end_at,
            "practitioner": row.practitioner_idnps,
            "structure": row.structure_idnst,
            "structure_kind": row.structure_kind,
            "place": row.place,
            "schedule_id": row.schedule_id,
            "slot_types": row.slot_types,
            "modalities": row.modalities,
            "appointment_type": row.appointment_type,
            "specialties": row.specialties,
            "reasons": row.reasons,
            "booking_url": row.booking_url,
            "adapter": row.adapter,
            "fetched_at": row.fetched_at,
        }
    )


def fetch_runs(engine: Engine, limit: int = 20) -> list[FetchRunSummary]:
    """The last `limit` runs recorded, newest first, each with its outcomes."""
    query = (
        select(FetchRun)
        .options(selectinload(FetchRun.outcomes))
        .order_by(FetchRun.id.desc())
        .limit(limit)
    )
    with Session(engine) as session:
        return [_summary_of(run) for run in session.scalars(query)]


def _summary_of(run: FetchRun) -> FetchRunSummary:
    return FetchRunSummary(
        id=run.id,
        kind=run.kind,
        started_at=run.started_at,
        finished_at=run.finished_at,
        window=SearchWindow(start=run.window_start, end=run.window_end),
        practitioners=tuple(run.practitioners),
        structures=tuple(run.structures),
        outcomes=tuple(
            AdapterOutcome(
                adapter=o.adapter,
                status=cast(AdapterStatus, o.status),  # held to these by a CHECK constraint
                error=o.error,
                duration_ms=o.duration_ms,
                requests=o.requests,
                slot_count=o.slot_count,
                dropped_slots=o.dropped_slots,
                issues=[BundleIssue.model_validate(i) for i in o.issues],
            )
            for o in run.outcomes
        ),
        plugins={o.adapter: o.plugin for o in run.outcomes if o.plugin is not None},
    )


def purge_fetches(
    engine: Engine, *, slots_ended_before: datetime, runs_started_before: datetime
) -> tuple[int, int]:
    """Delete the slots that ended before `slots_ended_before` (no one can book them any more)
    and the runs started before `runs_started_before`, with their outcomes and slots; how many
    slots, then runs, went."""
    with write_session(engine) as session:
        slots = session.execute(delete(FetchedSlot).where(FetchedSlot.end_at < slots_ended_before))
        runs = session.execute(delete(FetchRun).where(FetchRun.started_at < runs_started_before))
        return _count(slots), _count(runs)


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
