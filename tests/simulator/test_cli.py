"""`sas simulator dataset` in-process, `sas simulator serve` as a real process."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from sas_core.cli.main import cli
from sas_simulator.dataset import build_dataset

from .conftest import search_params

SAS = Path(sys.executable).parent / "sas"


def without_counts(data: dict[str, object]) -> object:
    """The dataset minus what depends on the current hour."""
    people = data["practitioners"]
    assert isinstance(people, list)
    return [
        {**p, "free_slots": None, "places": [{**pl, "free_slots": None} for pl in p["places"]]}
        for p in people
    ]


def test_dataset_json_is_what_build_dataset_gives() -> None:
    result = CliRunner().invoke(
        cli, ["simulator", "dataset", "--seed", "5", "--practitioners", "4", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["seed"] == 5
    assert without_counts(printed) == without_counts(build_dataset(5, 4).as_json())


def test_dataset_table() -> None:
    result = CliRunner().invoke(cli, ["simulator", "dataset", "--practitioners", "3"])
    assert result.exit_code == 0, result.output
    for person in build_dataset(42, 3).practitioners:
        assert person.idnps in result.output
        assert all(place.city in result.output for place in person.places)


def test_user_errors_are_readable(tmp_path: Path) -> None:
    runner = CliRunner()
    bad_count = runner.invoke(cli, ["simulator", "dataset", "--practitioners", "0"])
    assert bad_count.exit_code == 2
    assert "--practitioners" in bad_count.output

    key = tmp_path / "key.pem"
    key.write_text("x")
    lonely_key = runner.invoke(cli, ["simulator", "serve", "--tls-key", str(key)])
    assert lonely_key.exit_code == 2
    assert "--tls-cert and --tls-key go together" in lonely_key.output

    bad_fault = runner.invoke(cli, ["simulator", "serve", "--fault", "explode"])
    assert bad_fault.exit_code == 2
    assert "Traceback" not in bad_fault.output


def test_help_everywhere() -> None:
    for args in (["simulator"], ["simulator", "serve"], ["simulator", "dataset"]):
        result = CliRunner().invoke(cli, [*args, "--help"])
        assert result.exit_code == 0
        assert "Usage:" in result.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_as_a_process() -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            str(SAS),
            "simulator",
            "serve",
            "--port",
            str(port),
            "--seed",
            "3",
            "--practitioners",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}/fhir"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                if httpx.get(f"{base}/metadata").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the simulator never answered"
            time.sleep(0.1)
        assert process.stdout is not None
        assert base in process.stdout.readline()

        person = build_dataset(3, 2).practitioners[0]
        bundle = httpx.get(f"{base}/Slot", params=search_params(person.idnps)).json()
        assert bundle["total"] > 0
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(15)
    assert process.returncode == 0


def test_serve_on_a_busy_port_fails_readably() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["simulator", "serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output
