"""What the background jobs did: one row per run, which is also how instances agree that a
tick of a job runs once.

A run is claimed by inserting its row, unique per (job, tick): the instance that inserts it
runs the tick, another that comes later for the same tick finds it done. The job's lock
(`sas_core.storage.locks`) keeps runs from overlapping; while holding it, a row still `running`
can only be a run whose instance died, and is marked `interrupted`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from sas_core.storage.engine import write_session
from sas_core.storage.tables import Base, BigId

RUN_STATUSES = ("running", "ok", "failed", "interrupted")
_STATUSES = ", ".join(f"'{s}'" for s in RUN_STATUSES)
#: `detail` is a summary for an operator (what was done, or why it failed), not a traceback.
MAX_DETAIL_CHARS = 2000


class JobRunRow(Base):
    """One run of one background job."""

    __tablename__ = "scheduler_job_runs"
    __table_args__ = (
        UniqueConstraint("job", "tick_at"),
        CheckConstraint(f"status IN ({_STATUSES})", name="status_known"),
        Index("ix_scheduler_job_runs_job_started_at", "job", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job: Mapped[str] = mapped_column(String(50))
    tick_at: Mapped[datetime]
    instance: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(11))
    detail: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class JobRun:
    """A run as `sas scheduler jobs` and the tests read it."""

    id: int
    job: str
    tick_at: datetime
    instance: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    detail: str | None


def _run_of(row: JobRunRow) -> JobRun:
    return JobRun(
        row.id,
        row.job,
        row.tick_at,
        row.instance,
        row.started_at,
        row.finished_at,
        row.status,
        row.detail,
    )


def start_run(
    engine: Engine, job: str, tick_at: datetime, instance: str, now: datetime
) -> int | None:
    """Claim the tick for this instance: the new run's id, or None when the tick already ran.

    Call it holding the job's lock: a run still `running` then is a dead instance's, and is
    marked `interrupted`.
    """
    try:
        with write_session(engine) as session:
            session.execute(
                update(JobRunRow)
                .where(JobRunRow.job == job, JobRunRow.status == "running")
                .values(status="interrupted", finished_at=now)
            )
            row = JobRunRow(
                job=job, tick_at=tick_at, instance=instance, started_at=now, status="running"
            )
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None


def finish_run(engine: Engine, run_id: int, status: str, detail: str | None, now: datetime) -> None:
    with write_session(engine) as session:
        session.execute(
            update(JobRunRow)
            .where(JobRunRow.id == run_id)
            .values(
                status=status,
                detail=(detail or None) and detail[:MAX_DETAIL_CHARS],
                finished_at=now,
            )
        )


def last_runs(engine: Engine, jobs: Sequence[str]) -> dict[str, JobRun]:
    """The latest run of each of `jobs` that ran at all."""
    latest = (
        select(func.max(JobRunRow.id)).where(JobRunRow.job.in_(list(jobs))).group_by(JobRunRow.job)
    )
    with Session(engine) as session:
        rows = session.scalars(select(JobRunRow).where(JobRunRow.id.in_(latest)))
        return {row.job: _run_of(row) for row in rows}


def job_runs(engine: Engine, job: str | None = None) -> list[JobRun]:
    """Every run kept, oldest first (optionally of one job)."""
    query = select(JobRunRow).order_by(JobRunRow.id)
    if job is not None:
        query = query.where(JobRunRow.job == job)
    with Session(engine) as session:
        return [_run_of(row) for row in session.scalars(query)]


def purge_job_runs(engine: Engine, before: datetime) -> int:
    """Delete the finished runs started before `before`; how many went."""
    with write_session(engine) as session:
        result = session.execute(
            delete(JobRunRow).where(JobRunRow.started_at < before, JobRunRow.status != "running")
        )
        return int(getattr(result, "rowcount", 0) or 0)
