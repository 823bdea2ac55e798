"""`sas slots fetch` as a user runs it: the command line (in-process: exit codes, stdout and stderr
are click's either way) against a real simulator socket."""

from __future__ import annotations

import json
import socket
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from sas_core.cli.main import cli
from sas_simulator.app import create_app
from sas_simulator.dataset import Dataset, build_dataset
from sas_simulator.server import SimulatorServer

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return build_dataset(seed=42, practitioners=10)


@pytest.fixture(scope="module")
def simulator(dataset: Dataset) -> Iterator[SimulatorServer]:
    with SimulatorServer(create_app(dataset)) as server:
        yield server


def sas(*args: str) -> Result:
    """`sas ARGS…`; a crash (a traceback, not an exit code) fails the test."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def fetch(adapter: str, base_url: str, *args: str) -> Result:
    """`sas slots fetch --adapter ADAPTER --base-url URL ARGS… --format json` (unless ARGS say
    otherwise)."""
    fmt = () if "--format" in args else ("--format", "json")
    return sas("slots", "fetch", "--adapter", adapter, "--base-url", base_url, *args, *fmt)


def idnps_list(dataset: Dataset) -> list[str]:
    return [p["idnps"] for p in dataset.as_json()["practitioners"]]


def test_fetch_json_contract_and_storage(
    simulator: SimulatorServer, dataset: Dataset, _isolated_data_dir: Path
) -> None:
    ids = idnps_list(dataset)[:3]
    unprefixed = ids[0][1:]
    run = fetch(
        "sas-fhir",
        simulator.base_url,
        "--rpps",
        unprefixed,
        "--rpps",
        ids[1],
        "--rpps",
        ids[2],
    )
    assert run.exit_code == 0, run.stderr
    doc = json.loads(run.stdout)
    assert set(doc) == {"slots", "outcomes"}
    assert doc["slots"], "the default dataset has free slots in the default window"
    for slot in doc["slots"]:
        start = datetime.fromisoformat(slot["start"])
        end = datetime.fromisoformat(slot["end"])
        assert start.utcoffset() is not None and start < end
        assert slot["practitioner"] in ids
        assert set(slot["slot_types"]) <= {"PUBLIC", "PRO", "SNP"}
        assert slot["adapter"] == "sas-fhir"
        assert "booking_url" in slot
    assert {s["practitioner"] for s in doc["slots"]} == set(ids)
    (outcome,) = doc["outcomes"]
    assert outcome["adapter"] == "sas-fhir"
    assert outcome["status"] == "ok"
    assert outcome["error"] is None
    assert outcome["duration_ms"] >= 0

    database = _isolated_data_dir / "sas.sqlite3"
    assert database.exists()
    with sqlite3.connect(database) as db:
        tables = {r[0] for r in db.execute("select name from sqlite_master where type='table'")}
        slot_table = next(t for t in tables if "slot" in t and "outcome" not in t)
        (stored,) = db.execute(f"select count(*) from {slot_table}").fetchone()
    assert stored == len(doc["slots"])


def test_malformed_rpps_is_refused_before_any_request() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    run = fetch(
        "sas-fhir",
        f"http://127.0.0.1:{port}/fhir",
        "--rpps",
        "12345",
    )
    assert run.exit_code == 2
    doc = json.loads(run.stdout)
    assert doc["slots"] == [] and doc["outcomes"] == []
    assert "'12345'" in doc["error"] and "11 digits" in doc["error"]
    assert "'12345'" in run.stderr
    with pytest.raises(BlockingIOError):
        listener.accept()
    listener.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_vendor_exits_1_and_still_prints_the_document(dataset: Dataset) -> None:
    run = fetch(
        "sas-fhir",
        f"http://127.0.0.1:{free_port()}/fhir",
        "--rpps",
        idnps_list(dataset)[0],
        "--no-store",
    )
    assert run.exit_code == 1
    doc = json.loads(run.stdout)
    assert doc["slots"] == []
    (outcome,) = doc["outcomes"]
    assert outcome["status"] == "error"
    assert outcome["error"]


def test_one_bad_adapter_does_not_hide_the_others_slots(
    simulator: SimulatorServer, dataset: Dataset
) -> None:
    run = sas(
        "slots",
        "fetch",
        "--adapter",
        "sas-fhir",
        "--adapter",
        "no-such-vendor",
        "--base-url",
        simulator.base_url,
        "--rpps",
        idnps_list(dataset)[0],
        "--format",
        "json",
        "--no-store",
    )
    assert run.exit_code == 0, run.stderr
    doc = json.loads(run.stdout)
    outcomes: dict[str, Any] = {o["adapter"]: o for o in doc["outcomes"]}
    assert outcomes["sas-fhir"]["status"] == "ok"
    assert outcomes["no-such-vendor"]["status"] == "error"
    assert "unknown adapter plugin 'no-such-vendor'" in outcomes["no-such-vendor"]["error"]
    assert doc["slots"]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (0, 73, "exceeds"),
        (-50, -48, "in the past"),
        (None, "not-a-date", "not-a-date"),
    ],
)
def test_invalid_windows_are_refused(
    dataset: Dataset, start: int | None, end: int | str, message: str
) -> None:
    now = datetime.now(PARIS)
    args = ["--end", end if isinstance(end, str) else (now + timedelta(hours=end)).isoformat()]
    if start is not None:
        args += ["--start", (now + timedelta(hours=start)).isoformat()]
    run = fetch(
        "sas-fhir",
        "http://127.0.0.1:9/fhir",
        "--rpps",
        idnps_list(dataset)[0],
        *args,
    )
    assert run.exit_code == 2
    assert message in json.loads(run.stdout)["error"]


def test_any_future_window_of_72_hours_is_accepted_with_offsetless_paris_times(
    simulator: SimulatorServer, dataset: Dataset
) -> None:
    start = (datetime.now(PARIS) + timedelta(hours=1)).replace(tzinfo=None, microsecond=0)
    end = start + timedelta(hours=72)
    run = fetch(
        "sas-fhir",
        simulator.base_url,
        "--rpps",
        idnps_list(dataset)[1],
        "--start",
        start.isoformat(),
        "--end",
        end.isoformat(),
        "--no-store",
    )
    assert run.exit_code == 0, run.stderr
    for slot in json.loads(run.stdout)["slots"]:
        begins = datetime.fromisoformat(slot["start"])
        assert start.replace(tzinfo=PARIS) <= begins <= end.replace(tzinfo=PARIS)


def test_table_output_is_readable(simulator: SimulatorServer, dataset: Dataset) -> None:
    run = fetch(
        "sas-fhir",
        simulator.base_url,
        "--rpps",
        idnps_list(dataset)[0],
        "--no-store",
        "--format",
        "table",
    )
    assert run.exit_code == 0, run.stderr
    assert "free slots" in run.stdout
    assert "outcome per adapter" in run.stdout


@pytest.mark.postgres
def test_fetch_stores_into_postgresql_after_db_upgrade(
    simulator: SimulatorServer, dataset: Dataset, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import create_engine, text

    monkeypatch.setenv("SAS_DATABASE_URL", postgres_url)
    idnps = idnps_list(dataset)[0]
    before = fetch("sas-fhir", simulator.base_url, "--rpps", idnps)
    assert before.exit_code == 0
    assert "not stored" in before.stderr and "sas db upgrade" in before.stderr

    upgraded = sas("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.stderr
    run = fetch("sas-fhir", simulator.base_url, "--rpps", idnps)
    assert run.exit_code == 0, run.stderr
    fetched = len(json.loads(run.stdout)["slots"])
    engine = create_engine(postgres_url)
    with engine.connect() as db:
        stored = db.execute(text("select count(*) from fetched_slots")).scalar_one()
        runs = db.execute(text("select count(*) from fetch_runs")).scalar_one()
    engine.dispose()
    assert (stored, runs) == (fetched, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--siret", "3341737484"], "'3341737484'"),
        ([], "at least one --rpps or --siret"),
    ],
)
def test_structures_are_checked_before_any_request(args: list[str], message: str) -> None:
    run = fetch(
        "sas-fhir",
        "http://127.0.0.1:9/fhir",
        *args,
    )
    assert run.exit_code == 2
    assert message in json.loads(run.stdout)["error"]


def test_sos_fetch_by_siret_gives_the_associations_slots(
    simulator: SimulatorServer, dataset: Dataset
) -> None:
    association = dataset.sos[0]
    run = fetch(
        "sas-sos",
        simulator.base_url,
        "--siret",
        association.idnst[1:],
    )
    assert run.exit_code == 0, run.stderr
    assert "not stored" not in run.stderr
    doc = json.loads(run.stdout)
    assert doc["slots"], "every site of the default dataset has free slots every day"
    for slot in doc["slots"]:
        assert slot["structure"] == association.idnst and slot["structure"].startswith("3")
        assert slot["adapter"] == "sas-sos"
        assert slot["practitioner"] is None
    (outcome,) = doc["outcomes"]
    assert (outcome["adapter"], outcome["status"]) == ("sas-sos", "ok")


def test_cpts_fetch_shows_a_slot_once_per_cpts(
    simulator: SimulatorServer, dataset: Dataset
) -> None:
    structures = dataset.as_json()["structures"]
    member = next(
        p["idnps"]
        for p in dataset.as_json()["practitioners"]
        if sum(p["idnps"] in s.get("members", ()) for s in structures) == 2
    )
    both = sorted(s["idnst"] for s in structures if member in s.get("members", ()))
    run = fetch(
        "sas-cpts",
        simulator.base_url,
        "--rpps",
        member,
    )
    assert run.exit_code == 0, run.stderr
    assert "not stored" not in run.stderr
    doc = json.loads(run.stdout)
    cpts_of: dict[str, list[str]] = {}
    for slot in doc["slots"]:
        assert slot["practitioner"] == member and slot["adapter"] == "sas-cpts"
        if slot["structure"] is not None:
            cpts_of.setdefault(slot["id"], []).append(slot["structure"])
    doubled = [sorted(s) for s in cpts_of.values() if len(s) == 2]
    assert doubled, "the two-CPTS member has a slot visible to both every day"
    assert all(s == both for s in doubled)


def test_malformed_siret_is_refused_before_any_request() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        run = fetch(
            "sas-sos",
            f"http://127.0.0.1:{port}/fhir",
            "--siret",
            "3341737484000",
        )
        assert run.exit_code == 2
        doc = json.loads(run.stdout)
        assert doc["slots"] == [] and doc["outcomes"] == []
        assert "'3341737484000'" in doc["error"] and "14 digits" in doc["error"]
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_a_refused_command_line_still_prints_the_json_document() -> None:
    run = fetch("sas-fhir", "http://127.0.0.1:9/fhir", "--rpps", "10101288385", "--bogus")
    assert run.exit_code == 2
    assert json.loads(run.stdout) == {
        "slots": [],
        "outcomes": [],
        "error": "No such option '--bogus'.",
    }


def test_windows_accept_iso_8601_without_seconds(
    simulator: SimulatorServer, dataset: Dataset
) -> None:
    start = (datetime.now(PARIS) + timedelta(days=1)).replace(
        hour=8, minute=0, second=0, microsecond=0, tzinfo=None
    )
    end = start.replace(hour=20)
    run = fetch(
        "sas-fhir",
        simulator.base_url,
        "--rpps",
        idnps_list(dataset)[0],
        "--start",
        start.strftime("%Y-%m-%dT%H:%M"),
        "--end",
        end.strftime("%Y-%m-%dT%H:%M"),
        "--no-store",
    )
    assert run.exit_code == 0, run.stdout + run.stderr
    for slot in json.loads(run.stdout)["slots"]:
        begins = datetime.fromisoformat(slot["start"])
        assert start.replace(tzinfo=PARIS) <= begins <= end.replace(tzinfo=PARIS)
