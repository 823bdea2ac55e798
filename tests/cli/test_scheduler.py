"""`sas scheduler` as an operator runs it, and several instances on one PostgreSQL: real
processes, each tick of each job once among them, no overlap, a killed one taken over."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from sas_core.appointments.intake import AppointmentIntake
from sas_core.appointments.outbox import pending_count
from sas_core.cli.main import cli
from sas_core.storage import create_engine_for, open_database, upgrade
from sas_core.storage.jobs import JobRun, job_runs
from sas_core.storage.parties import StoredParties
from sas_simulator.app import create_app
from sas_simulator.dataset import build_dataset
from sas_simulator.faults import Faults
from sas_simulator.server import SimulatorServer
from tests.web.conftest import appointment

JOBS = ["outbox", "account-retries", "adapter-probe", "purge"]
#: Every job every second (the probe every 2), so a few seconds show several ticks.
FAST = {
    "SAS_SCHEDULER_OUTBOX_INTERVAL_S": "1",
    "SAS_SCHEDULER_ACCOUNT_RETRIES_INTERVAL_S": "1",
    "SAS_SCHEDULER_PROBE_INTERVAL_S": "2",
    "SAS_SCHEDULER_PURGE_INTERVAL_S": "1",
}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["scheduler", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_once_runs_every_job_and_jobs_lists_their_last_run() -> None:
    engine = open_database()
    try:
        AppointmentIntake(engine, StoredParties(engine)).create(
            json.dumps(appointment()).encode(), "acme"
        )
        assert pending_count(engine) == 1

        code, out = run("run", "--once")

        assert code == 0, out
        assert [line.split(":")[0] for line in out.splitlines()] == JOBS
        assert "outbox: ok: 1 delivered" in out
        assert pending_count(engine) == 0
    finally:
        engine.dispose()
    code, out = run("jobs", "--format", "json")
    listed = json.loads(out)
    assert [(j["job"], j["interval_s"]) for j in listed] == [
        ("outbox", 5.0),
        ("account-retries", 30.0),
        ("adapter-probe", 60.0),
        ("purge", 3600.0),
    ]
    assert all(j["last_run"]["status"] == "ok" for j in listed)
    assert all(j["description"] for j in listed)
    code, out = run("jobs")
    assert code == 0 and "account-retries" in out and "ok" in out


def scheduler(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sas_core.cli", "scheduler", "run", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return err


def assert_once_per_tick_without_overlap(runs: list[JobRun]) -> None:
    for name in JOBS:
        mine = sorted((r for r in runs if r.job == name), key=lambda r: r.started_at)
        ticks = [r.tick_at for r in mine]
        assert len(ticks) == len(set(ticks)), f"{name} ran a tick twice"
        for before, after in itertools.pairwise(mine):
            assert before.finished_at is not None
            assert before.finished_at <= after.started_at, f"{name}: two runs overlapped"


@pytest.fixture
def cluster(postgres_url: str, _isolated_data_dir: Path) -> Iterator[dict[str, str]]:
    """The environment of instances sharing one PostgreSQL, at the head revision."""
    upgrade(postgres_url)
    yield {"SAS_DATABASE_URL": postgres_url, **FAST}


@pytest.mark.slow
@pytest.mark.postgres
def test_two_instances_run_each_tick_once_without_overlap(cluster: dict[str, str]) -> None:
    engine = create_engine_for(cluster["SAS_DATABASE_URL"])
    first, second = scheduler(cluster), scheduler(cluster)
    try:
        pids = {str(first.pid), str(second.pid)}
        wait_for(
            lambda: len([r for r in job_runs(engine) if r.job == "outbox"]) >= 6,
            60,
            "six ticks of the outbox",
        )
    finally:
        for process in (first, second):
            stop(process)
    runs = job_runs(engine)
    engine.dispose()

    assert_once_per_tick_without_overlap(runs)
    assert {r.instance.rsplit(":", 1)[1] for r in runs} <= pids
    assert {r.status for r in runs} == {"ok"}, "a graceful stop leaves no run behind"
    assert {r.job for r in runs} == set(JOBS)


@pytest.fixture
def slow_vendor(cluster: dict[str, str]) -> Iterator[SimulatorServer]:
    """A vendor taking 3 s per search, called in SAS-33 (the cluster's registry, connected-test):
    a probe holds its lock that long."""
    with SimulatorServer(create_app(build_dataset(practitioners=2))) as server:
        server.set_faults(Faults(latency_ms=3000))
        where = ("--territory", "SAS-33", "--adapter", "vendor-a")
        for args in (
            ("enable", *where, "--plugin", "sas-fhir", "--set", f"base_url={server.base_url}"),
            ("set", "--adapter", "vendor-a", "--timeout", "8"),
            ("state", *where, "connected-test", "--reason", "the scheduler's test"),
        ):
            result = CliRunner().invoke(cli, ["registry", *args], env=cluster)
            assert result.exit_code == 0, result.output
        yield server


@pytest.mark.slow
@pytest.mark.postgres
def test_a_killed_instance_is_taken_over_at_the_next_tick(
    cluster: dict[str, str], slow_vendor: SimulatorServer
) -> None:
    engine = create_engine_for(cluster["SAS_DATABASE_URL"])
    processes = {str(p.pid): p for p in (scheduler(cluster), scheduler(cluster))}

    def running_probe() -> JobRun | None:
        runs = job_runs(engine)
        instances = {r.instance.rsplit(":", 1)[1] for r in runs}
        probing = [r for r in runs if r.job == "adapter-probe" and r.status == "running"]
        # Both instances are up (each ran something) and one is in the middle of a probe.
        return probing[0] if probing and instances == set(processes) else None

    try:
        wait_for(lambda: running_probe() is not None, 60, "a probe under way, both up")
        killed = running_probe()
        assert killed is not None
        victim = killed.instance.rsplit(":", 1)[1]
        processes[victim].send_signal(signal.SIGKILL)
        processes[victim].wait(10)
        [survivor] = [pid for pid in processes if pid != victim]

        def taken_over() -> bool:
            return any(
                r.job == "adapter-probe"
                and r.status == "ok"
                and r.instance.endswith(f":{survivor}")
                and r.started_at > killed.started_at
                for r in job_runs(engine)
            )

        wait_for(taken_over, 30, "the survivor's probe")
        stop(processes[survivor])
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait(10)
    runs = job_runs(engine)
    engine.dispose()

    [dead] = [r for r in runs if r.id == killed.id]
    assert (dead.status, dead.finished_at is not None) == ("interrupted", True)
    assert_once_per_tick_without_overlap(runs)


@pytest.mark.slow
def test_sqlite_single_instance_stops_gracefully_on_sigterm(_isolated_data_dir: Path) -> None:
    process = scheduler(FAST)
    engine = open_database()
    try:
        wait_for(lambda: {r.job for r in job_runs(engine)} == set(JOBS), 60, "every job")
    finally:
        err = stop(process)
    runs = job_runs(engine)
    engine.dispose()
    assert "scheduler stopped" in err
    assert {r.status for r in runs} == {"ok"}
    assert_once_per_tick_without_overlap(runs)


@pytest.mark.slow
def test_sas_serve_runs_the_jobs(_isolated_data_dir: Path) -> None:
    """The platform delivers its outbox by the scheduler: an appointment reported over HTTP is
    delivered by the `outbox` job of the serving process, which stops cleanly."""
    port = free_port()
    serving = subprocess.Popen(
        [sys.executable, "-m", "sas_core.cli", "serve", "--port", str(port), "--insecure-dev"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **FAST},
    )
    base = f"http://127.0.0.1:{port}/fhir"
    engine = open_database()
    try:
        wait_for(lambda: answers(f"{base}/metadata"), 60, "the platform")
        created = httpx.post(
            f"{base}/Appointment",
            content=json.dumps(appointment()),
            headers={"Content-Type": "application/fhir+json"},
        )
        assert created.status_code == 201
        wait_for(lambda: pending_count(engine) == 0, 30, "the outbox job")
    finally:
        stop(serving)
    runs = job_runs(engine)
    engine.dispose()
    assert {r.instance for r in runs} == {f"{r.instance.split(':')[0]}:{serving.pid}" for r in runs}
    assert any(r.job == "outbox" and r.detail == "1 delivered" for r in runs)
    assert {r.status for r in runs} == {"ok"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(url: str) -> bool:
    try:
        return httpx.get(url).status_code == 200
    except httpx.TransportError:
        return False
