"""The scheduler in one process: ticks, the job lock, the tick's row, failures and stops."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from sas_core.scheduling.scheduler import EPOCH, Job, JobScheduler, SchedulerThread, tick_of
from sas_core.storage import create_engine_for
from sas_core.storage.jobs import job_runs, start_run
from sas_core.storage.locks import JobLock

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 4, 8, 0, 7, 250000, tzinfo=UTC)


def job(name: str = "tidy", seconds: float = 5, work: float = 0.0, fail: bool = False) -> Job:
    async def run() -> str:
        await asyncio.sleep(work)
        if fail:
            raise RuntimeError("the hub is down")
        return "tidied"

    return Job(name, timedelta(seconds=seconds), run, "a test job")


def test_ticks_are_whole_intervals_since_the_epoch() -> None:
    assert tick_of(NOW, timedelta(seconds=5)) == NOW.replace(second=5, microsecond=0)
    assert tick_of(NOW, timedelta(hours=1)) == NOW.replace(minute=0, second=0, microsecond=0)
    assert (tick_of(NOW, timedelta(seconds=7)) - EPOCH) % timedelta(seconds=7) == timedelta(0)


async def test_a_tick_runs_once_and_its_run_is_recorded(engine: Engine) -> None:
    tidy = job()
    first = JobScheduler(engine, [tidy], instance="one", clock=lambda: NOW)
    second = JobScheduler(engine, [tidy], instance="two", clock=lambda: NOW)

    assert (await first.run_job(tidy)).status == "ok"
    assert (await second.run_job(tidy)).status == "done"

    [run] = job_runs(engine)
    assert (run.job, run.instance, run.status, run.detail) == ("tidy", "one", "ok", "tidied")
    assert run.tick_at == NOW.replace(second=5, microsecond=0)
    assert run.finished_at is not None


async def test_a_job_held_elsewhere_is_busy_and_a_failure_is_recorded(engine: Engine) -> None:
    tidy = job(fail=True)
    scheduler = JobScheduler(engine, [tidy], instance="one", clock=lambda: NOW)
    elsewhere = JobLock(engine, "tidy")
    assert elsewhere.acquire()
    try:
        assert (await scheduler.run_job(tidy)).status == "busy"
    finally:
        elsewhere.release()
    assert job_runs(engine) == []

    outcome = await scheduler.run_job(tidy)

    assert (outcome.status, outcome.detail) == ("failed", "RuntimeError: the hub is down")
    assert [(r.status, r.detail) for r in job_runs(engine)] == [
        ("failed", "RuntimeError: the hub is down")
    ]


async def test_the_run_of_a_dead_instance_is_marked_interrupted(engine: Engine) -> None:
    tidy = job()
    dead = start_run(engine, "tidy", NOW - timedelta(minutes=1), "dead:1", NOW)
    scheduler = JobScheduler(engine, [tidy], instance="alive:2", clock=lambda: NOW)

    assert (await scheduler.run_job(tidy)).status == "ok"

    assert [(r.id == dead, r.instance, r.status) for r in job_runs(engine)] == [
        (True, "dead:1", "interrupted"),
        (False, "alive:2", "ok"),
    ]


def test_one_lock_holder_at_a_time_across_engines(database_url: str) -> None:
    """Two engines stand for two instances (on PostgreSQL, two sessions)."""
    first_engine, second_engine = create_engine_for(database_url), create_engine_for(database_url)
    try:
        first, second = JobLock(first_engine, "purge"), JobLock(second_engine, "purge")
        other_job = JobLock(second_engine, "outbox")
        assert first.acquire()
        assert not second.acquire()
        assert other_job.acquire()
        other_job.release()
        first.release()
        assert second.acquire()
        second.release()
    finally:
        first_engine.dispose()
        second_engine.dispose()


HOLDER = """
import sys, time
from sas_core.storage import create_engine_for
from sas_core.storage.locks import JobLock
assert JobLock(create_engine_for(sys.argv[1]), "adapter-probe").acquire()
print("held", flush=True)
time.sleep(600)
"""


@pytest.mark.postgres
def test_a_killed_holders_lock_is_freed_with_its_connection(postgres_url: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, postgres_url], stdout=subprocess.PIPE, text=True
    )
    engine = create_engine_for(postgres_url)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        taker = JobLock(engine, "adapter-probe")
        assert not taker.acquire()

        holder.send_signal(signal.SIGKILL)
        holder.wait(10)

        deadline = time.monotonic() + 10
        while not taker.acquire():
            assert time.monotonic() < deadline, "PostgreSQL kept a dead session's lock"
            time.sleep(0.05)
        taker.release()
    finally:
        holder.kill()
        holder.wait(10)
        engine.dispose()


async def test_a_stop_lets_runs_finish_within_the_grace_and_cuts_the_others(
    engine: Engine,
) -> None:
    quick, slow = job("quick", seconds=1, work=0.5), job("slow", seconds=1, work=30)
    scheduler = JobScheduler(engine, [quick, slow], stop_grace=timedelta(seconds=1.5))
    stop = asyncio.Event()
    running = asyncio.create_task(scheduler.run_until(stop))
    for _ in range(100):
        if {r.job for r in job_runs(engine)} == {"quick", "slow"}:
            break
        await asyncio.sleep(0.05)

    stop.set()
    await asyncio.wait_for(running, 10)

    runs = job_runs(engine)
    assert {r.status for r in runs if r.job == "quick"} == {"ok"}
    assert [r.status for r in runs if r.job == "slow"] == ["interrupted"]
    assert all(r.finished_at is not None for r in runs)


def test_a_scheduler_thread_runs_beside_a_server(engine: Engine) -> None:
    closed: list[bool] = []

    async def on_exit() -> None:
        closed.append(True)

    thread = SchedulerThread(JobScheduler(engine, [job(seconds=1)]), on_exit=on_exit)
    thread.start()
    try:
        for _ in range(60):
            if job_runs(engine):
                break
            time.sleep(0.05)
    finally:
        thread.stop()
    assert [r.status for r in job_runs(engine)][:1] == ["ok"]
    assert closed == [True]
