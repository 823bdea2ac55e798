"""Fixtures for LRM forwarding: a platform database with a regulator of SAS-33 and its SAMU,
appointments reported through the real intake and outbox, and the local RabbitMQ (skipped,
naming it, when it does not answer) with a Hub stand-in of the test's own names."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from sas_core.accounts.regulators import add_regulator
from sas_core.appointments.forwarding import DeliveryStore
from sas_core.appointments.intake import AppointmentIntake
from sas_core.appointments.outbox import dispatch_outbox
from sas_core.plugins.host import PluginHost
from sas_core.registry.lrms import LrmDirectory
from sas_core.registry.models import LrmRegistration
from sas_core.settings import load_settings
from sas_core.storage import open_database
from sas_core.storage.parties import StoredParties
from sas_lrm import plugin
from sas_lrm.forwarder import Forwarder
from sas_lrm.settings import LrmSettings
from sas_lrm.standin import Answers, FakeLrm, HubStandIn, Topology
from sas_lrm.transport import connect
from tests.conftest import SHARED
from tests.web.conftest import VENDOR_SYSTEM, appointment

HUB_SCHEMAS = SHARED / "spec" / "hub-sante" / "json-schema"
needs_hub_schemas = pytest.mark.skipif(
    not (HUB_SCHEMAS / "EDXL-DE-full.schema.json").is_file(),
    reason=f"the Hub's JSON schemas are not at {HUB_SCHEMAS} (set SAS_SHARED_DIR)",
)
BROKER = ("127.0.0.1", 5672)
BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/"


def broker_answers() -> bool:
    try:
        with socket.create_connection(BROKER, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def broker() -> str:
    """The local RabbitMQ's URL; the test is skipped, naming what is missing, without it."""
    if not broker_answers():
        pytest.skip(
            "RabbitMQ is not answering on 127.0.0.1:5672 (guest/guest): start it with "
            "`rabbitmq-server -detached`"
        )
    return BROKER_URL


@pytest.fixture
def tag() -> str:
    """Names of the test's own: queues and exchanges never collide with a concurrent test."""
    return secrets.token_hex(5)


@pytest.fixture
def samu(tag: str) -> str:
    return f"fr.health.samu330{tag}"


@pytest.fixture
def lrm_settings(tag: str, monkeypatch: pytest.MonkeyPatch) -> LrmSettings:
    """The plugin's settings for this test, in the environment too (the outbox listener reads
    them there): the test's own client id and exchange, short waits."""
    values = {
        "SAS_LRM_AMQP_URL": BROKER_URL,
        "SAS_LRM_CLIENT_ID": f"fr.health.test.ptfsas{tag}",
        "SAS_LRM_EXCHANGE": f"hubsante.{tag}",
        "SAS_LRM_ACK_TIMEOUT_S": "30",
        "SAS_LRM_RETRY_BASE_S": "0.2",
        "SAS_LRM_MAX_ATTEMPTS": "3",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return LrmSettings()


@pytest.fixture
def engine(samu: str) -> Iterator[Engine]:
    """The platform's database (the test's SAS_DATA_DIR), with SAS-33's SAMU registered."""
    engine = open_database(load_settings())
    LrmDirectory(engine).register(LrmRegistration("samu33", "lrm-33.example", samu, "SAS-33"))
    yield engine
    engine.dispose()


@dataclass
class Platform:
    """Appointments reported as a vendor would, told to the LRM plugin through the outbox."""

    engine: Engine
    operator: str
    host: PluginHost = field(default_factory=lambda: PluginHost(trace=False))
    reported: int = 0

    def __post_init__(self) -> None:
        self.host.pm.register(plugin, name="sas-lrm")
        self.intake = AppointmentIntake(self.engine, StoredParties(self.engine))

    def resource(self, value: str, status: str = "booked", **changes: Any) -> bytes:
        body = appointment(value, status=status, **changes)
        body["extension"][0]["valueReference"]["identifier"]["value"] = self.operator
        return json.dumps(body).encode()

    def book(self, value: str, status: str = "booked", **changes: Any) -> str:
        """Create an appointment and run the outbox; its platform id."""
        result = self.intake.create(self.resource(value, status, **changes), "acme")
        self.dispatch()
        return str(result.appointment.id)

    def change(self, value: str, status: str, **changes: Any) -> None:
        body = self.resource(value, status, **changes)
        self.intake.update(f"{VENDOR_SYSTEM}|{value}", body, "acme")
        self.dispatch()

    def dispatch(self) -> None:
        """Run the outbox once (from a thread without an event loop: async tests call the
        platform through `asyncio.to_thread`)."""
        report = asyncio.run(dispatch_outbox(self.engine, self.host))
        assert report.failed == 0, report.errors


@pytest.fixture
def platform(engine: Engine, lrm_settings: LrmSettings) -> Platform:
    regulator = add_regulator(
        engine,
        family="Martin",
        given="Claire",
        email="claire.martin@sas.example",
        territory="SAS-33",
    )
    return Platform(engine, str(regulator.id))


def wait_for(condition: Callable[[], bool], within: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.05)


async def until(condition: Callable[[], bool], within: float = 20.0, what: str = "") -> None:
    """Poll `condition` (in a thread: it reads the database) until true, at most `within` s."""
    deadline = time.monotonic() + within
    while not await asyncio.to_thread(condition):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.05)


@dataclass
class Hub:
    """A running stand-in and forwarder of one test."""

    standin: HubStandIn
    lrm: FakeLrm
    forwarder: Forwarder | None
    store: DeliveryStore

    def counts(self) -> dict[str, int]:
        return self.store.counts()


@asynccontextmanager
async def running_hub(
    engine: Engine,
    settings: LrmSettings,
    samu: str,
    answers: Answers | None = None,
    *,
    forward: bool = True,
) -> AsyncIterator[Hub]:
    """The stand-in (test-named topology) and, with `forward`, the forwarder, until the block
    ends; then everything the stand-in declared is deleted."""
    connection = await connect(settings)
    lrm = FakeLrm(samu, answers or Answers())
    standin = HubStandIn(
        connection,
        clients=[settings.client_id],
        lrms=[lrm],
        topology=Topology.for_exchange(settings.exchange),
    )
    await standin.start()
    stop = asyncio.Event()
    forwarder = Forwarder(engine, settings) if forward else None
    task = asyncio.create_task(forwarder.run(stop, poll_s=0.1)) if forwarder else None
    try:
        yield Hub(standin, lrm, forwarder, DeliveryStore(engine))
    finally:
        stop.set()
        if task is not None:
            await asyncio.wait_for(task, timeout=30)
        await standin.delete()
        await connection.close()


def start_sas(*args: str) -> subprocess.Popen[bytes]:
    """`sas ARGS…` in a process of its own, with the test's environment (its settings)."""
    return subprocess.Popen(
        [sys.executable, "-m", "sas_core.cli", *args],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
