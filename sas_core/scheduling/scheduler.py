"""Running the background jobs on APScheduler 3, each tick of each job once per cluster.

Every platform instance runs the same schedule (`sas serve`, or `sas scheduler run` as a
worker). A job's ticks fall on the same instants everywhere — whole multiples of its interval
since `EPOCH` — and when one comes, an instance runs the job only if it

1. takes the job's lock (`sas_core.storage.locks`: a PostgreSQL advisory lock held on a
   connection of its own for the whole run; a lock in the process on SQLite), so two runs of a
   job never overlap, whichever instances run them; and
2. claims the tick's row in the job-runs table (`sas_core.storage.jobs`), unique per
   (job, tick), so an instance that gets the lock after the run of that tick is over does not
   run it again.

An instance killed mid-run loses its lock with its connection: another takes the job over at
its next tick and marks the dead run `interrupted`. The jobs themselves stay safe to run twice
(the outbox and the account queue claim their rows, the breaker its trial): the lock saves
work and vendors' patience, it is not what keeps the data right.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from sas_core.storage.jobs import finish_run, start_run
from sas_core.storage.locks import JobLock

#: Ticks are aligned on this instant, so every instance's ticks of a job coincide.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
#: How long a stop waits for the runs under way before cutting them.
STOP_GRACE = timedelta(seconds=30)

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)
# APScheduler logs every run at INFO; our own log says what each run came to.
logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)


def utcnow() -> datetime:
    return datetime.now(UTC)


def this_instance() -> str:
    """`host:pid`: which instance ran what, in the job-runs table."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Job:
    """A background job: `run` does one pass and returns a one-line summary of it."""

    name: str
    interval: timedelta
    run: Callable[[], Awaitable[str]]
    description: str


@dataclass(frozen=True)
class JobOutcome:
    """What a tick came to here: `ok`/`failed` (run here), `busy` (another instance is running
    the job), `done` (the tick already ran elsewhere), `interrupted` (cut by a stop)."""

    job: str
    status: Literal["ok", "failed", "busy", "done", "interrupted"]
    detail: str | None = None


def tick_of(now: datetime, interval: timedelta) -> datetime:
    """The tick `now` belongs to: the last whole multiple of `interval` since `EPOCH`."""
    return EPOCH + interval * ((now - EPOCH) // interval)


class JobScheduler:
    """The jobs of one instance, run on its event loop."""

    def __init__(
        self,
        engine: Engine,
        jobs: Sequence[Job],
        *,
        instance: str | None = None,
        clock: Clock = utcnow,
        stop_grace: timedelta = STOP_GRACE,
    ) -> None:
        self.engine = engine
        self.jobs = list(jobs)
        self.instance = instance or this_instance()
        self.clock = clock
        self.stop_grace = stop_grace
        self._running: set[asyncio.Task[object]] = set()

    async def run_job(self, job: Job, tick_at: datetime | None = None) -> JobOutcome:
        """Run `job` for its current tick (or `tick_at`) if the lock and the tick are ours."""
        tick = tick_at or tick_of(self.clock(), job.interval)
        async with _held(JobLock(self.engine, job.name)) as held:
            if not held:
                return JobOutcome(job.name, "busy")
            run_id = await asyncio.to_thread(
                start_run, self.engine, job.name, tick, self.instance, self.clock()
            )
            if run_id is None:
                return JobOutcome(job.name, "done")
            try:
                detail = await job.run()
            except asyncio.CancelledError:
                await asyncio.shield(self._finish(run_id, "interrupted", "stopped"))
                raise
            except Exception as exc:
                log.exception("job %s failed", job.name)
                outcome = JobOutcome(job.name, "failed", f"{type(exc).__name__}: {exc}")
            else:
                outcome = JobOutcome(job.name, "ok", detail)
            await self._finish(run_id, outcome.status, outcome.detail)
            return outcome

    async def _finish(self, run_id: int, status: str, detail: str | None) -> None:
        await asyncio.to_thread(finish_run, self.engine, run_id, status, detail, self.clock())

    async def run_once(self) -> list[JobOutcome]:
        """Each job once, now, one after the other (still never beside another instance's run
        of it); `sas scheduler run --once`."""
        return [await self.run_job(job, tick_at=self.clock()) for job in self.jobs]

    async def run_until(self, stop: asyncio.Event) -> None:
        """Run the schedule until `stop` is set, then let the runs under way finish (at most
        `stop_grace`, after which they are cut and recorded `interrupted`)."""
        scheduler = AsyncIOScheduler(timezone=UTC)
        for job in self.jobs:
            seconds = job.interval.total_seconds()
            scheduler.add_job(
                self._tick,
                IntervalTrigger(seconds=seconds, start_date=EPOCH, timezone=UTC),
                args=[job],
                id=job.name,
                name=job.name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(int(seconds), 1),
            )
        scheduler.start()
        try:
            await stop.wait()
        finally:
            scheduler.pause()
            if self._running:
                await asyncio.wait(set(self._running), timeout=self.stop_grace.total_seconds())
            for task in set(self._running):
                task.cancel()
            if self._running:
                await asyncio.wait(set(self._running))
            scheduler.shutdown(wait=False)

    async def _tick(self, job: Job) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            outcome = await self.run_job(job)
            log.debug("job %s: %s %s", job.name, outcome.status, outcome.detail or "")
        except Exception:  # the lock or the runs table failed: try again next tick
            log.exception("job %s could not run", job.name)
        finally:
            self._running.discard(task)


@contextlib.asynccontextmanager
async def _held(lock: JobLock) -> AsyncIterator[bool]:
    """`lock` for the duration of the block, taken and freed off the event loop."""
    held = await asyncio.to_thread(lock.acquire)
    try:
        yield held
    finally:
        if held:
            await asyncio.shield(asyncio.to_thread(lock.release))


class SchedulerThread:
    """A `JobScheduler` on an event loop of its own, beside a server (`sas serve`): a slow job
    never holds a request, and the jobs' HTTP clients belong to this loop."""

    def __init__(
        self, scheduler: JobScheduler, *, on_exit: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        self.scheduler = scheduler
        self.on_exit = on_exit
        self._started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="sas-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._started.wait()

    def stop(self) -> None:
        """Stop the schedule and wait for the runs under way (see `JobScheduler.run_until`)."""
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._started.set()
        try:
            await self.scheduler.run_until(self._stop)
        finally:
            if self.on_exit is not None:
                await self.on_exit()
