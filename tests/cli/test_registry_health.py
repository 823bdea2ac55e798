"""`sas registry health`: the JSON array is a contract; the table is for people."""

from __future__ import annotations

import json

import anyio
from click.testing import CliRunner

from sas_core.cli.main import cli
from sas_core.registry.circuit import CallSample
from sas_core.registry.health import DatabaseHealth
from sas_core.storage import open_database

CONTRACT = {"territory", "adapter", "circuit", "calls", "errors", "p50_ms", "p95_ms", "last_error"}


def seed() -> None:
    """vendor-a failed five searches in SAS-33 (its circuit opens), vendor-b answered in SAS-20A."""
    engine = open_database()
    health = DatabaseHealth(engine)
    try:
        failed = CallSample("vendor-a", ok=False, duration_ms=7000, error="HTTP 500")
        for _ in range(5):
            anyio.run(health.record, "SAS-33", [failed])
        anyio.run(health.record, "SAS-20A", [CallSample("vendor-b", True, 120.0)])
    finally:
        engine.dispose()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["registry", "health", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_json_is_an_array_of_every_territory_and_adapter() -> None:
    assert run("--format", "json") == (0, "[]\n")
    seed()

    code, out = run("--format", "json")

    assert code == 0
    rows = json.loads(out)
    assert [(r["territory"], r["adapter"], r["circuit"]) for r in rows] == [
        ("SAS-20A", "vendor-b", "closed"),
        ("SAS-33", "vendor-a", "open"),
    ]
    assert all(set(r) >= CONTRACT for r in rows)
    expected = {
        "calls": 5,
        "errors": 5,
        "p50_ms": 7000.0,
        "p95_ms": 7000.0,
        "last_error": "HTTP 500",
        "success_ratio_20": 0.0,
        "consecutive_failures": 5,
    }
    assert {k: rows[1][k] for k in expected} == expected
    assert rows[1]["opened_at"] and rows[1]["next_trial_at"] > rows[1]["opened_at"]


def test_filters_and_the_table() -> None:
    seed()
    code, out = run("--territory", "SAS-33", "--format", "json")
    assert [r["adapter"] for r in json.loads(out)] == ["vendor-a"]
    code, out = run("--adapter", "vendor-b", "--format", "json")
    assert [r["territory"] for r in json.loads(out)] == ["SAS-20A"]
    code, out = run("--territory", "SAS-2A", "--format", "json")  # Corsica's INSEE alias
    assert [r["adapter"] for r in json.loads(out)] == ["vendor-b"]

    code, out = run("--territory", "SAS-33")
    assert code == 0 and "vendor-a" in out and "open" in out and "0/5" in out

    code, out = run("--territory", "33")
    assert code == 2 and "unknown territory '33'" in out
