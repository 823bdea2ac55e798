"""The outbox: a failing listener is retried and told in the end; a restart loses nothing; a
hanging listener is cut; a sync one runs off the loop; an appointment's events stay in order."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest
from sqlalchemy.engine import Engine

from sas_core import AppointmentEvent, hookimpl
from sas_core.appointments import outbox
from sas_core.appointments.intake import AppointmentIntake
from sas_core.appointments.outbox import DispatchReport, dispatch_outbox, pending_count
from sas_core.plugins.host import PluginHost
from sas_core.storage import create_engine_for, upgrade
from sas_core.storage.parties import StoredParties
from tests.web.conftest import VENDOR_SYSTEM, appointment


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


def host_with(*listeners: object) -> PluginHost:
    host = PluginHost(trace=False)
    for n, listener in enumerate(listeners):
        host.pm.register(listener, name="flaky" if n == 0 else f"listener-{n}")
    return host


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'outbox.sqlite3'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def report_booked_then_cancelled(engine: Engine) -> None:
    intake = AppointmentIntake(engine, StoredParties(engine))
    intake.create(json.dumps(appointment()).encode(), "acme")
    cancelled = json.dumps(appointment(status="cancelled")).encode()
    intake.update(f"{VENDOR_SYSTEM}|a-1", cancelled, "acme")


def dispatch(engine: Engine, host: PluginHost, after: timedelta = timedelta()) -> DispatchReport:
    at = datetime.now(UTC) + after
    return anyio.run(lambda: dispatch_outbox(engine, host, now=at))


class Hanging:
    @hookimpl
    async def sas_appointment_reported(self, event: AppointmentEvent) -> None:
        await asyncio.sleep(3600)


class Blocking:
    """A synchronous listener: where it runs, and it may block for a while."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.threads: list[threading.Thread] = []

    @hookimpl
    def sas_appointment_reported(self, event: AppointmentEvent) -> None:
        self.threads.append(threading.current_thread())
        time.sleep(self.seconds)


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


def test_a_hanging_listener_is_cut_retried_later_and_others_are_told(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "LISTENER_TIMEOUT", timedelta(seconds=0.2))
    AppointmentIntake(engine, StoredParties(engine)).create(
        json.dumps(appointment()).encode(), "acme"
    )
    other = Flaky(failures=0)

    report = dispatch(engine, host_with(Hanging(), other))

    assert (report.delivered, report.failed) == (0, 1)
    assert "'flaky' gave no answer within 0.2 s" in report.errors[0]
    assert [e.kind for e in other.told] == ["created"]
    assert pending_count(engine) == 1
    assert dispatch(engine, host_with(Flaky(failures=0))).delivered == 0  # backed off
    assert dispatch(engine, host_with(other), after=timedelta(seconds=6)).delivered == 1


def test_a_sync_listener_runs_off_the_event_loop(engine: Engine) -> None:
    report_booked_then_cancelled(engine)
    listener = Blocking(0)

    assert dispatch(engine, host_with(listener)).delivered == 2
    assert len(listener.threads) == 2
    assert all(t is not threading.main_thread() for t in listener.threads)
    assert all(t.daemon for t in listener.threads)  # a hung one never holds up the exit


def test_a_hanging_sync_listener_fails_the_event_at_its_timeout(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "LISTENER_TIMEOUT", timedelta(seconds=0.3))
    AppointmentIntake(engine, StoredParties(engine)).create(
        json.dumps(appointment()).encode(), "acme"
    )
    started = time.monotonic()

    report = dispatch(engine, host_with(Blocking(30)))

    assert report.failed == 1 and "gave no answer within 0.3 s" in report.errors[0]
    assert time.monotonic() - started < 5


def test_an_appointments_events_are_delivered_in_order_behind_a_failing_one(
    engine: Engine,
) -> None:
    report_booked_then_cancelled(engine)
    listener = Flaky(failures=1)

    first = dispatch(engine, host_with(listener))
    # The cancellation is due, the creation backs off: the cancellation waits behind it.
    early = dispatch(engine, host_with(listener), after=timedelta(seconds=1))
    later = dispatch(engine, host_with(listener), after=timedelta(seconds=10))

    assert (first.delivered, first.failed) == (0, 1)
    assert (early.delivered, early.failed) == (0, 0)
    assert later.delivered == 2
    assert [(e.kind, e.appointment.status) for e in listener.told] == [
        ("created", "booked"),
        ("updated", "cancelled"),
    ]
