"""What a crash costs: a broker restarted mid-stream loses nothing and the LRM integrates no
version twice; a platform process killed mid-way is resumed by the next one from the database."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque

import pytest
from sqlalchemy.engine import Engine

from sas_core.appointments.forwarding import DeliveryStore
from sas_lrm.settings import LrmSettings
from sas_lrm.standin import Answers, FakeLrm

from .conftest import Platform, running_hub, start_sas, until

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


def assert_each_version_integrated_once_in_order(lrm: FakeLrm, store: DeliveryStore) -> None:
    assert len(lrm.integrated) == len(set(lrm.integrated))
    for appointment_id, versions in lrm.appointments.items():
        methods = [v["method"] for v in versions]
        assert methods[0] == "CreateAppointment", appointment_id
        assert set(methods[1:]) <= {"UpdateAppointment"}, appointment_id
        assert [v["status"] for v in versions] == ["booked", "cancelled"], appointment_id


@pytest.fixture
def rabbitmqctl_available(broker: str) -> None:
    try:
        rabbitmqctl("status")
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"rabbitmqctl cannot drive the local RabbitMQ ({exc})")


async def test_a_broker_restart_mid_stream_loses_nothing_and_duplicates_nothing(
    rabbitmqctl_available: None,
    platform: Platform,
    engine: Engine,
    lrm_settings: LrmSettings,
    samu: str,
) -> None:
    count = 12
    stop_booking = threading.Event()

    def book_steadily() -> None:
        """Appointments keep coming while the broker goes down and comes back."""
        for n in range(count):
            platform.book(f"r-{n}")
            platform.change(f"r-{n}", "cancelled")
            if stop_booking.wait(0.25):
                return

    async with running_hub(engine, lrm_settings, samu) as hub:
        booking = threading.Thread(target=book_steadily)
        booking.start()
        await until(lambda: hub.counts()["delivered"] >= 4, what="the stream under way")
        await asyncio.to_thread(rabbitmqctl, "stop_app")
        await asyncio.sleep(1)
        await asyncio.to_thread(rabbitmqctl, "start_app")
        await asyncio.to_thread(rabbitmqctl, "await_startup")
        await asyncio.to_thread(booking.join)
        await until(
            lambda: hub.counts()["delivered"] == 2 * count, within=120, what="every version"
        )
    counts = hub.counts()
    assert counts["failed"] == counts["parked"] == counts["pending"] == 0
    assert len(hub.lrm.appointments) == count
    assert_each_version_integrated_once_in_order(hub.lrm, hub.store)


def start_forwarder() -> subprocess.Popen[bytes]:
    """`sas lrm forward` in a process of its own (the settings are the test's environment)."""
    return start_sas("lrm", "forward")


async def test_a_killed_forwarder_is_resumed_by_the_next_one(
    broker: str,
    platform: Platform,
    engine: Engine,
    lrm_settings: LrmSettings,
    samu: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAS_LRM_ACK_TIMEOUT_S", "2")
    count = 4
    ids = [await asyncio.to_thread(platform.book, f"k-{n}") for n in range(count)]
    # The LRM integrates each first copy but its acknowledgement is lost, so the first process
    # dies with every message published and none delivered.
    answers = Answers(script=deque(["silent"] * count))
    async with running_hub(engine, lrm_settings, samu, answers, forward=False) as hub:
        first = start_forwarder()
        try:
            await until(lambda: hub.counts()["published"] == count, what="all published")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        assert hub.counts()["delivered"] == 0
        second = start_forwarder()
        try:
            await until(lambda: hub.counts()["delivered"] == count, what="resumed and delivered")
        finally:
            second.send_signal(signal.SIGTERM)
            _, errors = second.communicate(timeout=30)
        assert second.returncode == 0, errors.decode()
    assert sorted(hub.lrm.appointments) == sorted(ids)
    assert all(len(v) == 1 for v in hub.lrm.appointments.values())
    assert len(hub.lrm.received) == 2 * count  # each sent twice, integrated once


def test_the_stand_in_command_says_when_no_broker_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAS_LRM_AMQP_URL", "amqp://guest:guest@127.0.0.1:9/")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "sas_core.cli", "lrm", "ping"],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )
    assert result.returncode == 1
    assert "no broker answers at amqp://127.0.0.1:9/" in result.stderr
    assert "guest" not in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - started < 30
