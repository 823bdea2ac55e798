"""Intake throughput: acknowledged Appointment POSTs per second at concurrency 50 (INT_R03).

A real `sas serve --insecure-dev` process on a fresh database (the SQLite default, and
PostgreSQL through `SAS_DATABASE_URL` on a throwaway database) receives N valid
FrAppointmentSAS, each under its own identifier, as the simulator reports bookings
(`sas_simulator.booking.appointment_resource`), from an async httpx client keeping
`concurrency` requests in flight. Acknowledged = answered 201 or 200; the figure is
acknowledged / wall time, the median of `--repeat` runs after a warm-up run; any POST not
acknowledged (a 4xx, a 5xx, no answer) fails the bench. Client, server and database share the
machine, whose load average before the runs is reported with the figures. Run with
`make bench` or `python -m bench.intake`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import orjson
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bench.machine import describe_machine
from sas_core.clock import PARIS
from sas_core.fhir.media_types import FHIR_JSON
from sas_simulator.booking import appointment_resource
from sas_simulator.dataset import build_dataset
from sas_simulator.sso import VendorUser

RESULTS = Path(__file__).resolve().parent / "results"
#: The maintenance database through which a throwaway benchmark database is created.
ADMIN_URL = os.environ.get(
    "SAS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
FHIR = {"Content-Type": FHIR_JSON}


def appointment_bodies(count: int, run: str) -> list[bytes]:
    """`count` serialised appointments on the simulator's free slots, identifiers unique to
    `run`; the operator is a regulator the platform does not know (stored for review)."""
    dataset = build_dataset(seed=42, practitioners=10, acceptance=False)
    pairs = [
        (practitioner, slot)
        for practitioner in dataset.practitioners
        for schedule in dataset.schedules_of(practitioner)
        for slot in schedule.free_slots
    ]
    operator = VendorUser("b6e39355-8a61-4556-b340-36f7b95fec6a", None, None, None, None)
    created = datetime.now(PARIS)
    bodies = []
    for i in range(count):
        practitioner, slot = pairs[i % len(pairs)]
        resource = appointment_resource(f"{run}-{i}", slot, practitioner, operator, created)
        bodies.append(orjson.dumps(resource))
    return bodies


@dataclass(frozen=True)
class Run:
    acknowledged: int
    statuses: dict[str, int]
    wall_s: float
    latencies_s: list[float]

    @property
    def ack_per_s(self) -> float:
        return self.acknowledged / self.wall_s


async def post_all(base: str, bodies: list[bytes], concurrency: int) -> Run:
    """POST every body with `concurrency` requests in flight; answers counted by status code,
    requests that got no answer by the transport error's name."""
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    queue = iter(bodies)
    # Idle connections are dropped before the server's 5 s keep-alive ends (uvicorn's default):
    # a POST sent as the server closes its connection gets no answer, as with any HTTP/1.1 pool.
    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=2
    )
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def worker() -> None:
            for body in queue:
                sent = time.perf_counter()
                try:
                    answer = await client.post("/Appointment", content=body, headers=FHIR)
                    statuses[str(answer.status_code)] += 1
                except httpx.TransportError as exc:
                    statuses[type(exc).__name__] += 1
                latencies.append(time.perf_counter() - sent)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    acknowledged = statuses["201"] + statuses["200"]
    return Run(acknowledged, dict(statuses), wall, latencies)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def platform(data_dir: Path, database_url: str | None) -> Iterator[str]:
    """A `sas serve --insecure-dev` process on `database_url` (default: SQLite in `data_dir`);
    yields its FHIR base URL."""
    env = {**os.environ, "SAS_DATA_DIR": str(data_dir)}
    env.pop("SAS_DATABASE_URL", None)
    if database_url is not None:
        env["SAS_DATABASE_URL"] = database_url
        subprocess.run(
            [sys.executable, "-m", "sas_core.cli", "db", "upgrade"],
            env=env,
            check=True,
            capture_output=True,
        )
    port = free_port()
    command = [sys.executable, "-m", "sas_core.cli", "serve", "--port", str(port)]
    # The server's stderr goes to a file: a pipe nobody reads would block it once full.
    log = data_dir / "serve.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [*command, "--insecure-dev"], env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
    base = f"http://127.0.0.1:{port}/fhir"
    try:
        deadline = time.monotonic() + 60
        while not _up(base):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"sas serve did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/metadata", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """The URL of a `sas_bench_<random>` database, dropped afterwards."""
    admin = create_engine(
        ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    name = f"sas_bench_{secrets.token_hex(6)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        admin.dispose()
        raise
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def measure(base: str, requests: int, concurrency: int, repeat: int) -> list[Run]:
    """A warm-up run, then `repeat` measured ones, each on identifiers of its own."""
    runs = []
    for index in range(repeat + 1):
        bodies = appointment_bodies(requests, f"bench-{secrets.token_hex(4)}")
        run = asyncio.run(post_all(base, bodies, concurrency))
        if index:
            runs.append(run)
    return runs


def summary(
    database: str, runs: list[Run], requests: int, concurrency: int, load: float
) -> dict[str, object]:
    latencies = sorted(x for run in runs for x in run.latencies_s)
    statuses: Counter[str] = Counter()
    for run in runs:
        statuses.update(run.statuses)
    return {
        "database": database,
        "requests": requests,
        "concurrency": concurrency,
        "runs": len(runs),
        "median_ack_per_s": statistics.median(run.ack_per_s for run in runs),
        "ack_per_s": [round(run.ack_per_s, 1) for run in runs],
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "statuses": dict(statuses),
        "not_acknowledged": sum(statuses.values()) - sum(run.acknowledged for run in runs),
        "load_average_before": load,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--requests", type=int, default=1000, help="POSTs per run")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    reports = []
    for database in databases:
        with tempfile.TemporaryDirectory(prefix="sas-bench-") as data_dir, ExitStack() as stack:
            url = None
            if database == "postgresql":
                try:
                    url = stack.enter_context(throwaway_postgres())
                except OperationalError as error:
                    reason = str(error.orig).strip().splitlines()[0]
                    print(f"PostgreSQL unreachable at {ADMIN_URL}, skipped ({reason})")
                    continue
            base = stack.enter_context(platform(Path(data_dir), url))
            load = os.getloadavg()[0]
            runs = measure(base, args.requests, args.concurrency, args.repeat)
        reports.append(summary(database, runs, args.requests, args.concurrency, load))

    report = {"machine": describe_machine(), "results": reports}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "intake.json").write_text(json.dumps(report, indent=2))
    print(f"machine: {report['machine']}")
    print(
        f"{args.requests} Appointment POSTs per run at concurrency {args.concurrency}, "
        f"median of {args.repeat} after a warm-up"
    )
    for r in reports:
        print(
            f"  {r['database']:<10} {r['median_ack_per_s']:7.1f} ack/s "
            f"(runs {r['ack_per_s']}), p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms, "
            f"answers {r['statuses']}, load average before {r['load_average_before']:.1f}"
        )
    if any(r["not_acknowledged"] for r in reports):
        raise SystemExit("some POSTs were not acknowledged")


if __name__ == "__main__":
    main()
