"""Appointment intake under load and across a crash, on SQLite and PostgreSQL.

The slow tests run `sas serve --insecure-dev` as a process of its own on real sockets: 400
concurrent POSTs are all acknowledged and found, and a server killed (SIGKILL) in the middle of
concurrent POSTs loses none it acknowledged. These are correctness tests; throughput is
`bench/intake.py`'s.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event

from sas_core.appointments.intake import AppointmentIntake
from sas_core.storage import create_engine_for, upgrade
from sas_core.storage.parties import StoredParties
from tests.web.conftest import VENDOR_SYSTEM, appointment

FHIR = {"Content-Type": "application/fhir+json"}
CONCURRENCY = 50
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest) -> str | None:
    """None for the SQLite default (the data directory's file, which `sas serve` migrates
    itself), else a migrated, empty PostgreSQL database."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_url")
    engine = create_engine_for(url)
    upgrade(engine)
    engine.dispose()
    return url


def test_a_request_holds_one_pooled_connection_at_a_time(
    database_url: str | None, tmp_path: Path
) -> None:
    # Holding one while waiting for another is what deadlocked the pool from ~16 requests on.
    engine = create_engine_for(database_url or f"sqlite:///{tmp_path / 'intake.sqlite3'}")
    upgrade(engine)
    held = peak = 0
    guard = threading.Lock()

    def checkout(*_: object) -> None:
        nonlocal held, peak
        with guard:
            held += 1
            peak = max(peak, held)

    def checkin(*_: object) -> None:
        nonlocal held
        with guard:
            held -= 1

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    intake = AppointmentIntake(engine, StoredParties(engine))
    try:
        body = json.dumps(appointment()).encode()
        assert intake.create(body, "acme").outcome == "created"
        assert intake.create(body, "acme").outcome == "unchanged"
        cancelled = json.dumps(appointment(status="cancelled")).encode()
        assert intake.update(f"{VENDOR_SYSTEM}|a-1", cancelled, "acme").outcome == "updated"
    finally:
        engine.dispose()
    assert peak == 1


class ServeProcess:
    """`sas serve --insecure-dev` on a loopback port, as a process; its stderr in a file."""

    def __init__(self, data_dir: Path, database_url: str | None, log: Path) -> None:
        self.env = {**os.environ, "SAS_DATA_DIR": str(data_dir)}
        self.env.pop("SAS_DATABASE_URL", None)
        if database_url is not None:
            self.env["SAS_DATABASE_URL"] = database_url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/fhir"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "sas_core.cli", "serve", "--host", "127.0.0.1"]
        with self.log.open("ab") as stderr:
            self.process = subprocess.Popen(
                [*command, "--port", str(self.port), "--insecure-dev"],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        deadline = time.monotonic() + 60
        while not self.answers():
            assert self.process.poll() is None, f"sas serve exited:\n{self.log.read_text()}"
            assert time.monotonic() < deadline, f"sas serve did not start:\n{self.log.read_text()}"
            time.sleep(0.1)

    def answers(self) -> bool:
        try:
            return httpx.get(f"{self.base}/metadata", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; the caller waits for the exit."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    def wait(self) -> None:
        assert self.process is not None
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def serve_process(database_url: str | None, tmp_path: Path) -> Iterator[ServeProcess]:
    server = ServeProcess(tmp_path / "sas-data", database_url, tmp_path / "serve.log")
    try:
        yield server
    finally:
        server.stop()


def body(value: str) -> bytes:
    return json.dumps(appointment(value)).encode()


def client(base: str) -> httpx.AsyncClient:
    """A pool of CONCURRENCY connections, each dropped when idle for 2 s: before the server's
    5 s keep-alive ends, so no request goes out on a connection the server is closing."""
    limits = httpx.Limits(
        max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY, keepalive_expiry=2
    )
    return httpx.AsyncClient(base_url=base, limits=limits, timeout=60)


async def found_ids(base: str, values: list[str]) -> dict[str, list[str]]:
    """Per identifier value, the ids `GET Appointment?identifier=` finds, searched concurrently."""
    found: dict[str, list[str]] = {}
    pending = iter(values)
    async with client(base) as http:

        async def worker() -> None:
            for value in pending:
                answer = await http.get(
                    "/Appointment", params={"identifier": f"{VENDOR_SYSTEM}|{value}"}
                )
                assert answer.status_code == 200, answer.text
                found[value] = [e["resource"]["id"] for e in answer.json()["entry"]]

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.anyio
async def test_concurrent_posts_are_all_acknowledged_and_found(
    serve_process: ServeProcess,
) -> None:
    serve_process.start()
    values = [f"load-{i}" for i in range(400)]
    statuses: dict[str, int] = {}
    locations: dict[str, str] = {}
    pending = iter(values)
    async with client(serve_process.base) as http:

        async def worker() -> None:
            for value in pending:
                answer = await http.post("/Appointment", content=body(value), headers=FHIR)
                statuses[value] = answer.status_code
                locations[value] = answer.headers.get("location", "")

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))

    refused = {v: s for v, s in statuses.items() if s != 201}
    assert not refused, f"{refused}\n{serve_process.log.read_text()[-3000:]}"
    found = await found_ids(serve_process.base, values)
    for value in values:
        assert found[value] == [locations[value].rsplit("/", 1)[1]], value


@pytest.mark.slow
@pytest.mark.anyio
async def test_a_server_killed_mid_load_loses_no_acknowledged_appointment(
    serve_process: ServeProcess,
) -> None:
    serve_process.start()
    acknowledged: dict[str, str] = {}  # identifier value -> platform id, answered 201/200
    unanswered: list[str] = []
    failures: list[str] = []
    # Kill once 200 are acknowledged (or at the first failure, which the test then reports).
    kill_now, killed = asyncio.Event(), asyncio.Event()
    counter = iter(range(1_000_000))
    async with client(serve_process.base) as http:

        async def worker() -> None:
            while not killed.is_set():
                value = f"crash-{next(counter)}"
                try:
                    answer = await http.post("/Appointment", content=body(value), headers=FHIR)
                except httpx.TransportError as exc:
                    if killed.is_set():
                        unanswered.append(value)
                    else:
                        failures.append(f"{value}: {exc!r}")
                        kill_now.set()
                    return
                if answer.status_code in (200, 201):
                    acknowledged[value] = answer.headers["location"].rsplit("/", 1)[1]
                    if len(acknowledged) >= 200:
                        kill_now.set()
                else:
                    failures.append(f"{value}: {answer.status_code} {answer.text}")
                    kill_now.set()
                    return

        async def killer() -> None:
            await kill_now.wait()
            # No await between the two: a request cut by the kill is "unanswered", not a failure.
            serve_process.kill()
            killed.set()
            await asyncio.to_thread(serve_process.wait)

        await asyncio.gather(killer(), *(worker() for _ in range(CONCURRENCY)))

    assert not failures, failures
    assert unanswered, "the kill should have cut requests in flight"
    serve_process.start()
    found = await found_ids(serve_process.base, [*acknowledged, *unanswered])
    lost = {v: i for v, i in acknowledged.items() if found[v] != [i]}
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged appointments lost"
    # A request cut by the kill may or may not have landed, but never twice.
    assert all(len(found[v]) <= 1 for v in unanswered)
