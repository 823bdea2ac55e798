"""Purging what the platform no longer needs: ended slots, old runs, old health samples, old
job runs (the scheduler's purge job), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from sas_core.registry.circuit import CallSample
from sas_core.storage import fetch_runs, latest_slots, record_fetch
from sas_core.storage.health import health_windows, purge_calls, record_calls
from sas_core.storage.jobs import finish_run, job_runs, purge_job_runs, start_run
from sas_core.storage.slots import purge_fetches
from tests.storage.samples import T0, WINDOW, outcome, slot

OLD = datetime(2025, 5, 1, 6, 0, tzinfo=UTC)
RECENT = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)


def record(engine: Engine, started_at: datetime, adapter: str) -> int:
    slots = [slot(n, adapter=adapter) for n in range(4)]
    return record_fetch(
        engine,
        kind="cli",
        window=WINDOW,
        practitioners=[],
        structures=[],
        outcomes=[outcome(adapter, slots=len(slots))],
        slots=slots,
        started_at=started_at,
        finished_at=started_at + timedelta(seconds=1),
    )


def test_ended_slots_and_old_runs_go_the_rest_stays(migrated: Engine) -> None:
    record(migrated, OLD, "alpha")
    recent = record(migrated, RECENT, "beta")
    # slot(n) starts at T0 + 1 h + 15 min × n and lasts 15 min: two of beta's have ended.
    now = T0 + timedelta(hours=1, minutes=31)

    slots, runs = purge_fetches(
        migrated, slots_ended_before=now, runs_started_before=RECENT - timedelta(days=1)
    )

    assert (runs, slots) == (1, 2 + 2)  # alpha's run; two ended slots of each run
    assert [r.id for r in fetch_runs(migrated)] == [recent]
    assert [s.id for s in latest_slots(migrated)] == ["slot-2", "slot-3"]


def test_health_samples_and_job_runs_past_their_retention_go(migrated: Engine) -> None:
    sample = CallSample("vendor-a", ok=True, duration_ms=10)
    record_calls(migrated, "SAS-33", [sample], lambda circuit, _: circuit, OLD)
    record_calls(migrated, "SAS-33", [sample], lambda circuit, _: circuit, RECENT)
    old_run = start_run(migrated, "purge", OLD, "host:1", OLD)
    assert old_run is not None
    finish_run(migrated, old_run, "ok", "done", OLD)
    live = start_run(migrated, "probe", OLD, "host:1", OLD)

    assert purge_calls(migrated, RECENT - timedelta(hours=1)) == 1
    assert purge_job_runs(migrated, RECENT) == 1

    [window] = health_windows(migrated, OLD)
    assert window.durations_ms == (10.0,)
    assert [(r.id, r.status) for r in job_runs(migrated)] == [(live, "running")]
