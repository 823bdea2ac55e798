"""The breaker's contract, as an operator meets it: `sas slots fetch --territory` processes
against a vendor that fails, then recovers; the vendor counts the searches it receives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sas_core.cli.main import cli
from sas_simulator.app import create_app
from sas_simulator.dataset import build_dataset
from sas_simulator.server import SimulatorServer
from tests.registry.conftest import CountingSearches, set_faults

#: The cool-down is read by each process: 10 minutes while the test wants the circuit to stay
#: open, whatever a process's start-up costs, and 0.1 s once the test wants it tried.
LONG, SHORT = "600", "0.1"


@pytest.fixture
def vendor() -> Iterator[tuple[SimulatorServer, CountingSearches]]:
    counting = CountingSearches(create_app(build_dataset(practitioners=2)))
    with SimulatorServer(counting) as server:  # type: ignore[arg-type]
        yield server, counting


@pytest.fixture
def territory(_isolated_data_dir: Path, vendor: tuple[SimulatorServer, CountingSearches]) -> str:
    """SAS-33 served by one vendor, `vendor-a`, in connected-test (the registry calls it)."""
    server, _ = vendor
    where = ("--territory", "SAS-33", "--adapter", "vendor-a")
    for args in (
        ("enable", *where, "--plugin", "sas-fhir", "--set", f"base_url={server.base_url}"),
        ("set", "--adapter", "vendor-a", "--timeout", "8"),
        ("state", *where, "connected-test", "--reason", "the breaker's test"),
    ):
        result = CliRunner().invoke(cli, ["registry", *args])
        assert result.exit_code == 0, result.output
    return "SAS-33"


def sas(*args: str, cool_down: str = LONG) -> subprocess.Popen[str]:
    env = {**os.environ, "SAS_HEALTH_COOLDOWN_S": cool_down}
    return subprocess.Popen(
        [sys.executable, "-m", "sas_core.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, Any]:
    out, err = process.communicate(timeout=60)
    assert out, err
    return process.returncode, json.loads(out)


def fetch(territory: str, cool_down: str = LONG) -> subprocess.Popen[str]:
    practitioner = build_dataset(practitioners=2).practitioners[0].idnps
    args = ("--territory", territory, "--rpps", practitioner, "--format", "json")
    return sas("slots", "fetch", *args, cool_down=cool_down)


def outcome(document: dict[str, Any]) -> dict[str, Any]:
    [only] = document["outcomes"]
    assert only["adapter"] == "vendor-a"
    return dict(only)


def health(territory: str) -> dict[str, Any]:
    code, document = finish(sas("registry", "health", "--territory", territory, "--format", "json"))
    assert code == 0
    [row] = document
    return dict(row)


@pytest.mark.slow
def test_five_failures_open_the_circuit_then_a_single_trial_closes_it(
    vendor: tuple[SimulatorServer, CountingSearches], territory: str
) -> None:
    server, counting = vendor
    set_faults(server, mode="http-500")
    for attempt in range(1, 6):
        code, document = finish(fetch(territory))
        assert (code, outcome(document)["status"]) == (1, "error")
        assert counting.searches == attempt

    code, document = finish(fetch(territory))

    skipped = outcome(document)
    assert code == 1 and counting.searches == 5, "no request while the circuit is open"
    assert skipped["status"] == "skipped" and skipped["requests"] == 0
    assert (
        "circuit open" in skipped["error"] and "5 consecutive failed searches" in skipped["error"]
    )
    row = health(territory)
    assert {k: row[k] for k in ("territory", "adapter", "circuit", "calls", "errors")} == {
        "territory": "SAS-33",
        "adapter": "vendor-a",
        "circuit": "open",
        "calls": 5,
        "errors": 5,
    }
    assert "HTTP 500" in row["last_error"] and row["p50_ms"] is not None
    assert row["p95_ms"] >= row["p50_ms"] and row["success_ratio_20"] == 0.0

    # The vendor recovers, slowly: two searches after the cool-down, one trial call.
    set_faults(server, latency_ms=4000)
    first, second = fetch(territory, SHORT), fetch(territory, SHORT)
    results = [finish(first), finish(second)]

    assert counting.searches == 6, "the half-open circuit lets one trial call through"
    statuses = sorted(outcome(document)["status"] for _, document in results)
    assert statuses == ["ok", "skipped"]
    [waiting] = [outcome(d) for _, d in results if outcome(d)["status"] == "skipped"]
    assert "circuit open (half-open" in waiting["error"]
    assert health(territory)["circuit"] == "closed"

    set_faults(server)
    code, document = finish(fetch(territory))
    assert (code, outcome(document)["status"], counting.searches) == (0, "ok", 7)
    assert document["slots"]
