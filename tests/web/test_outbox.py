"""The outbox: a failing listener is retried and told in the end; a restart loses nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest

from sas_core import AppointmentEvent, hookimpl
from sas_core.appointment_intake import AppointmentIntake
from sas_core.outbox import dispatch_outbox, pending_count
from sas_core.plugins import PluginHost
from sas_core.storage import create_engine_for, upgrade
from sas_core.storage.parties import StoredParties
from tests.web.conftest import appointment


class Flaky:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.told: list[AppointmentEvent] = []

    @hookimpl
    async def sas_appointment_reported(self, event: AppointmentEvent) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("hub unreachable")
        self.told.append(event)


def host_with(listener: Flaky) -> PluginHost:
    host = PluginHost(trace=False)
    host.pm.register(listener, name="flaky")
    return host


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_failing_listener_is_retried_across_a_restart(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        request.getfixturevalue("postgres_url")
        if database == "postgres"
        else f"sqlite:///{tmp_path / 'outbox.sqlite3'}"
    )
    engine = create_engine_for(url)
    upgrade(engine)
    AppointmentIntake(engine, StoredParties(engine)).create(
        json.dumps(appointment()).encode(), "acme"
    )
    listener = Flaky(failures=1)
    report = anyio.run(lambda: dispatch_outbox(engine, host_with(listener)))
    assert (report.delivered, report.failed) == (0, 1) and "hub unreachable" in report.errors[0]
    assert pending_count(engine) == 1
    engine.dispose()

    restarted = create_engine_for(url)  # a new process: new engine, same database
    later = datetime.now(UTC) + timedelta(minutes=10)
    report = anyio.run(lambda: dispatch_outbox(restarted, host_with(listener), now=later))
    assert report.delivered == 1 and pending_count(restarted) == 0
    assert [e.kind for e in listener.told] == ["created"]
    assert listener.told[0].appointment.adapter == "acme"
    restarted.dispose()
