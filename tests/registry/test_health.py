"""The database-backed breaker: circuits shared by instances, kept across restarts, one trial
call whoever asks; and the figures of the health report."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import anyio
from sqlalchemy.engine import Engine

from sas_core.registry.circuit import Admission, BreakerPolicy, CallSample
from sas_core.registry.health import DatabaseHealth, HealthSettings, health_report, percentile
from sas_core.storage import create_engine_for

T0 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
POLICY = BreakerPolicy(cooldown=timedelta(seconds=60))


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def admit(health: DatabaseHealth, *adapters: str) -> dict[str, Admission]:
    return dict(anyio.run(lambda: health.admit("SAS-33", adapters)))


def record(health: DatabaseHealth, *samples: CallSample) -> None:
    anyio.run(lambda: health.record("SAS-33", samples))


def fail(health: DatabaseHealth, times: int, adapter: str = "vendor-a") -> None:
    for n in range(times):
        record(health, CallSample(adapter, ok=False, duration_ms=100.0 * (n + 1), error=f"e{n}"))


def test_five_failures_open_the_circuit_for_every_instance_and_after_a_restart(
    engine: Engine, database_url: str
) -> None:
    clock = Clock()
    health = DatabaseHealth(engine, POLICY, clock=clock)
    assert admit(health, "vendor-a", "vendor-b") == {
        "vendor-a": Admission("vendor-a", allowed=True),
        "vendor-b": Admission("vendor-b", allowed=True),
    }
    fail(health, 5)
    record(health, CallSample("vendor-b", ok=True, duration_ms=50))

    other = create_engine_for(database_url)  # another instance, or this one restarted
    try:
        verdicts = admit(DatabaseHealth(other, POLICY, clock=clock), "vendor-a", "vendor-b")
    finally:
        other.dispose()
    assert verdicts["vendor-b"].allowed
    assert not verdicts["vendor-a"].allowed
    assert verdicts["vendor-a"].reason is not None
    assert verdicts["vendor-a"].reason.startswith("circuit open since 2026-12-04T08:00:00Z")
    assert "(last error: e4)" in verdicts["vendor-a"].reason


def test_one_trial_call_however_many_searches_ask_at_once(engine: Engine) -> None:
    clock = Clock()
    fail(DatabaseHealth(engine, POLICY, clock=clock), 5)
    clock.now = T0 + timedelta(seconds=61)
    searches = 8
    barrier = threading.Barrier(searches)
    verdicts: list[Admission] = []

    def search() -> None:
        health = DatabaseHealth(engine, POLICY, clock=clock)
        barrier.wait()
        verdicts.append(admit(health, "vendor-a")["vendor-a"])

    threads = [threading.Thread(target=search) for _ in range(searches)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted((v.allowed, v.trial) for v in verdicts) == [(False, False)] * 7 + [(True, True)]
    refused = [v.reason for v in verdicts if not v.allowed]
    assert all(r and "half-open" in r and "trial call is under way" in r for r in refused)
    [row] = health_report(engine, now=clock.now)
    assert row.circuit.state == "half-open"


def test_the_trial_closes_the_circuit_or_opens_it_for_another_cool_down(engine: Engine) -> None:
    clock = Clock()
    health = DatabaseHealth(engine, POLICY, clock=clock)
    fail(health, 5)

    clock.now = T0 + timedelta(seconds=61)
    [trial] = admit(health, "vendor-a").values()
    record(health, CallSample("vendor-a", ok=False, duration_ms=7000, error="down", trial=True))
    assert not admit(health, "vendor-a")["vendor-a"].allowed  # a new cool-down from now

    clock.now += timedelta(seconds=61)
    [trial] = admit(health, "vendor-a").values()
    assert trial.trial
    record(health, CallSample("vendor-a", ok=True, duration_ms=80, trial=True))

    assert admit(health, "vendor-a")["vendor-a"] == Admission("vendor-a", allowed=True)
    [row] = health_report(engine, now=clock.now)
    assert (row.circuit.state, row.circuit.consecutive_failures) == ("closed", 0)


def test_the_report_counts_the_sliding_window(engine: Engine) -> None:
    clock = Clock()
    health = DatabaseHealth(engine, POLICY, clock=clock)
    fail(health, 3)  # 100, 200, 300 ms at T0
    clock.now = T0 + timedelta(minutes=20)
    for ms in (10, 20, 30, 40):
        record(health, CallSample("vendor-a", ok=True, duration_ms=ms))
    record(health, CallSample("vendor-a", ok=False, duration_ms=7000, error="timeout"))

    [row] = health_report(engine, HealthSettings(window_s=600), now=clock.now)

    document = row.as_dict()
    assert {k: document[k] for k in ("territory", "adapter", "circuit", "calls", "errors")} == {
        "territory": "SAS-33",
        "adapter": "vendor-a",
        "circuit": "closed",
        "calls": 5,
        "errors": 1,
    }
    assert (document["p50_ms"], document["p95_ms"]) == (30.0, 7000.0)
    assert document["last_error"] == "timeout"
    assert document["success_ratio_20"] == 0.5  # 000 1111 0 over the last 8
    assert document["consecutive_failures"] == 1
    assert health_report(engine, territory="SAS-75") == []
    assert health_report(engine, adapter="vendor-b") == []


def test_percentile_is_a_latency_some_call_had() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0], 95) == 5.0
    assert [percentile([float(n) for n in range(1, 101)], r) for r in (50, 95)] == [50.0, 95.0]
