"""The platform's background jobs: each calls a flow's service, on its own interval
(`SchedulerSettings`, `SAS_SCHEDULER_*`):

- `outbox`, every 5 s: deliver the appointment events due to the listeners;
- `account-retries`, every 30 s: send the regulator accounts whose retry is due (INT_R02);
- `adapter-probe`, every 60 s: search every enabled adapter once, through its circuit;
- `purge`, every hour: delete ended slots, and fetch runs, health samples and job runs past
  their retention.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import Engine

from sas_core.accounts.retries import retry_due
from sas_core.appointments.outbox import dispatch_outbox
from sas_core.plugins.host import PluginHost
from sas_core.registry.adapters_file import ServedDirectory
from sas_core.registry.directory import RegistryDirectory
from sas_core.registry.health import DatabaseHealth, HealthSettings
from sas_core.scheduling.scheduler import Job, JobScheduler, SchedulerThread, utcnow
from sas_core.slots.probe import probe_adapters
from sas_core.storage.health import purge_calls
from sas_core.storage.jobs import purge_job_runs
from sas_core.storage.slots import purge_fetches


class SchedulerSettings(BaseSettings):
    """The background jobs' intervals and how long their records are kept (`SAS_SCHEDULER_*`).

    Each field's docstring is its description in the generated settings reference.
    """

    model_config = SettingsConfigDict(env_prefix="SAS_SCHEDULER_", use_attribute_docstrings=True)

    outbox_interval_s: float = Field(default=5.0, gt=0)
    """Seconds between two deliveries of the appointment outbox to its listeners."""
    account_retries_interval_s: float = Field(default=30.0, gt=0)
    """Seconds between two sends of the regulator-account calls whose retry is due (INT_R02)."""
    probe_interval_s: float = Field(default=60.0, gt=0)
    """Seconds between two health probes: one cheap search of every adapter called in each
    territory, through its circuit."""
    purge_interval_s: float = Field(default=3600.0, gt=0)
    """Seconds between two purges of ended slots and of what is past its retention."""
    retention_days: float = Field(default=30.0, gt=0)
    """Days fetch runs (with their outcomes and slots) and job runs are kept before the purge
    deletes them."""


#: Each job and what it is for (`sas scheduler jobs`).
DESCRIPTIONS = {
    "outbox": "deliver the appointment events due to the listeners",
    "account-retries": "send the regulator accounts whose retry is due",
    "adapter-probe": "search every enabled adapter once, through its circuit",
    "purge": "delete ended slots and what is past its retention",
}


def intervals(settings: SchedulerSettings) -> dict[str, timedelta]:
    """Each job's interval, in the order the jobs run with `--once`."""
    return {
        "outbox": timedelta(seconds=settings.outbox_interval_s),
        "account-retries": timedelta(seconds=settings.account_retries_interval_s),
        "adapter-probe": timedelta(seconds=settings.probe_interval_s),
        "purge": timedelta(seconds=settings.purge_interval_s),
    }


def _counted(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nothing to do"


@dataclass
class PlatformJobs:
    """The jobs over one database, the installed plugins and the enabled adapters; `clock`
    says when "now" is (what is due, what has ended)."""

    engine: Engine
    host: PluginHost
    directory: ServedDirectory
    settings: SchedulerSettings
    health: HealthSettings
    clock: Callable[[], datetime] = utcnow

    def jobs(self) -> list[Job]:
        runs = {
            "outbox": self.deliver_outbox,
            "account-retries": self.retry_accounts,
            "adapter-probe": self.probe_adapters,
            "purge": self.purge,
        }
        return [
            Job(name, interval, runs[name], DESCRIPTIONS[name])
            for name, interval in intervals(self.settings).items()
        ]

    async def deliver_outbox(self) -> str:
        report = await dispatch_outbox(self.engine, self.host, now=self.clock())
        return _counted(+Counter(delivered=report.delivered, failed=report.failed))

    async def retry_accounts(self) -> str:
        reports = await retry_due(self.engine, self.host, self.directory, clock=self.clock)
        return _counted(Counter(r.outcome for r in reports))

    async def probe_adapters(self) -> str:
        outcomes = await probe_adapters(
            self.host,
            self.directory,
            DatabaseHealth(self.engine, self.health.policy(), clock=self.clock),
            practitioner=self.health.probe_rpps,
            structure=self.health.probe_siret,
            now=self.clock(),
        )
        return _counted(Counter(o.status for found in outcomes.values() for o in found))

    async def purge(self) -> str:
        now = self.clock()
        kept_since = now - timedelta(days=self.settings.retention_days)
        slots, runs = purge_fetches(
            self.engine, slots_ended_before=now, runs_started_before=kept_since
        )
        calls = purge_calls(self.engine, now - self.health.window)
        job_runs = purge_job_runs(self.engine, kept_since)
        return (
            f"{slots} ended slots, {runs} fetch runs, {calls} health samples, "
            f"{job_runs} job runs deleted"
        )

    async def close(self) -> None:
        """Release the adapters' connections (on the loop the jobs ran on): those of the
        territories served now and, from the registry, every adapter handed out meanwhile
        (an account retry may have reached one no longer called anywhere)."""
        adapters = {
            adapter.name: adapter
            for territory in self.directory.served_territories()
            for adapter in self.directory.adapters_for(territory)
        }
        if isinstance(self.directory, RegistryDirectory):
            adapters.update(self.directory.built)
        for adapter in adapters.values():
            await self.host.close_adapter(adapter)


def background_jobs(
    engine: Engine,
    host: PluginHost,
    directory: ServedDirectory,
    settings: SchedulerSettings | None = None,
    health: HealthSettings | None = None,
) -> SchedulerThread:
    """The jobs on a thread of their own, for `sas serve` (start it, stop it at the end)."""
    jobs = PlatformJobs(
        engine, host, directory, settings or SchedulerSettings(), health or HealthSettings()
    )
    return SchedulerThread(JobScheduler(engine, jobs.jobs()), on_exit=jobs.close)
