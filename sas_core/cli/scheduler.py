"""`sas scheduler`: the background jobs, run by a worker of their own (`sas serve` runs them
too), each tick of each job once across every instance on the database."""

from __future__ import annotations

import asyncio
import json
import signal
from typing import Any

import click
from sqlalchemy.engine import Engine

from sas_core.cli.context import open_platform_database, plugin_host
from sas_core.cli.main import EXIT_FAILED
from sas_core.cli.output import echo_table, stderr
from sas_core.registry.directory import RegistryDirectory
from sas_core.registry.health import HealthSettings
from sas_core.scheduling.jobs import DESCRIPTIONS, PlatformJobs, SchedulerSettings, intervals
from sas_core.scheduling.scheduler import JobScheduler
from sas_core.storage.jobs import last_runs


@click.group("scheduler")
def scheduler_group() -> None:
    """Run the background jobs (outbox, account retries, adapter probe, purge)."""


def platform_jobs(engine: Engine) -> PlatformJobs:
    """The jobs over `engine`, the installed plugins and the territory registry; `sas serve`
    runs the same (`sas_core.scheduling.jobs.background_jobs`)."""
    host = plugin_host()
    directory = RegistryDirectory(engine, host)
    return PlatformJobs(engine, host, directory, SchedulerSettings(), HealthSettings())


@scheduler_group.command("run")
@click.option("--once", is_flag=True, help="Run each job once, now, and exit.")
def run(once: bool) -> None:
    """Run the jobs on their intervals until SIGTERM or SIGINT (the runs under way finish).

    Start one on each of several instances sharing a PostgreSQL database: each tick of each
    job runs once among them, and a killed one's jobs are taken over at their next tick.
    """
    engine = open_platform_database()
    try:
        jobs = platform_jobs(engine)
        scheduler = JobScheduler(engine, jobs.jobs())
        failed = asyncio.run(_run(scheduler, jobs, once))
    finally:
        engine.dispose()
    if failed:
        raise SystemExit(EXIT_FAILED)


async def _run(scheduler: JobScheduler, jobs: PlatformJobs, once: bool) -> bool:
    """Whether a job failed (with `--once`; a running schedule logs failures and goes on)."""
    try:
        if once:
            outcomes = await scheduler.run_once()
            for outcome in outcomes:
                click.echo(f"{outcome.job}: {outcome.status}: {outcome.detail or ''}".rstrip())
            return any(o.status == "failed" for o in outcomes)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        names = ", ".join(
            f"{j.name} every {j.interval.total_seconds():g} s" for j in scheduler.jobs
        )
        stderr.print(f"scheduler {scheduler.instance} running: {names}")
        await scheduler.run_until(stop)
        stderr.print("scheduler stopped")
        return False
    finally:
        await jobs.close()


@scheduler_group.command("jobs")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def list_jobs(fmt: str) -> None:
    """The jobs, their intervals and their last run (by any instance)."""
    engine = open_platform_database()
    try:
        every = intervals(SchedulerSettings())
        last = last_runs(engine, list(every))
    finally:
        engine.dispose()
    rows: list[dict[str, Any]] = [
        {
            "job": name,
            "interval_s": interval.total_seconds(),
            "description": DESCRIPTIONS[name],
            "last_run": None
            if name not in last
            else {
                "tick_at": last[name].tick_at.isoformat(),
                "started_at": last[name].started_at.isoformat(),
                "finished_at": _iso(last[name].finished_at),
                "status": last[name].status,
                "instance": last[name].instance,
                "detail": last[name].detail,
            },
        }
        for name, interval in every.items()
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    echo_table(
        ["job", "every (s)", "last run", "status", "instance", "detail"],
        [
            [
                r["job"],
                f"{r['interval_s']:g}",
                r["last_run"] and r["last_run"]["started_at"],
                r["last_run"] and r["last_run"]["status"],
                r["last_run"] and r["last_run"]["instance"],
                r["last_run"] and r["last_run"]["detail"],
            ]
            for r in rows
        ],
        title="background jobs",
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
