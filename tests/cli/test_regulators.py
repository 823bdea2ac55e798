"""`sas regulators` as an operator runs it: the command line (in-process: the exit codes and the
output are click's either way), a data dir, the territory registry, and a simulated vendor over a
real socket. `show --format json` is a contract checked exactly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from sas_core.cli.main import cli
from sas_simulator.app import create_app
from sas_simulator.dataset import build_dataset
from sas_simulator.faults import Faults
from sas_simulator.server import SimulatorServer


def sas(*args: str, env: dict[str, str] | None = None) -> Result:
    """`sas regulators ARGS…`; a crash (a traceback, not an exit code) fails the test."""
    result = CliRunner().invoke(cli, ["regulators", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@pytest.fixture
def vendor() -> Iterator[SimulatorServer]:
    with SimulatorServer(create_app(build_dataset(practitioners=2))) as server:
        yield server


@pytest.fixture
def registered_vendor(vendor: SimulatorServer) -> SimulatorServer:
    """vendor-a serves SAS-33, in the registry, in connected-test."""
    for args in (
        ["enable", "--territory", "SAS-33", "--adapter", "vendor-a", "--plugin", "sas-fhir",
         "--set", f"base_url={vendor.base_url}", "--timeout", "3"],
        ["state", "--territory", "SAS-33", "--adapter", "vendor-a", "connected-test",
         "--reason", "test"],
    ):  # fmt: skip
        result = CliRunner().invoke(cli, ["registry", *args])
        assert result.exit_code == 0, result.stderr
    return vendor


def add(*extra: str, email: str = "jules.marius@test.fr") -> str:
    run = sas(
        "add", "--family", "Marius", "--given", "Jules", "--email", email, "--territory", "SAS-33",
        *extra,
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    return run.stdout.strip()


def show(*args: str) -> list[dict[str, Any]]:
    run = sas("show", *args, "--format", "json")
    assert run.exit_code == 0, run.stderr
    data: list[dict[str, Any]] = json.loads(run.stdout)
    return data


@pytest.mark.usefixtures("registered_vendor")
def test_add_sync_update_deactivate_and_show(vendor: SimulatorServer) -> None:
    rid = add()
    [before] = show()
    assert before["id"] == rid and before["active"] is True and before["accounts"] == []

    synced = sas("sync", rid, "--login")
    assert synced.exit_code == 0, synced.stderr
    assert "vendor-a: create created HTTP 201" in synced.stderr
    assert "account sync" in synced.stdout
    [after] = show(rid)
    [account] = after["accounts"]
    assert account["adapter"] == "vendor-a" and account["state"] == "synced"

    unchanged = sas("sync")
    assert "vendor-a: unchanged" in unchanged.stderr
    assert sas("update", rid, "--national-id", "810002673899").exit_code == 0
    rekeyed = sas("sync")
    assert "vendor-a: update updated HTTP 200" in rekeyed.stderr
    withdrawn = sas("deactivate", rid)
    assert withdrawn.exit_code == 0, withdrawn.stderr
    assert "deactivate updated HTTP 200" in withdrawn.stderr

    [gone] = show(rid)
    assert gone["active"] is False
    assert gone["accounts"][0]["vendor_key"] == "urn:oid:1.2.250.1.71.4.2.1|810002673899"
    vendor_side = httpx.get(f"{vendor.root_url}/_sim/accounts").json()
    assert [w["method"] for w in vendor_side["writes"]] == ["POST", "PUT", "PUT"]
    assert vendor_side["accounts"][0]["active"] is False
    table = sas("show", env={"COLUMNS": "250"})
    assert "│ vendor-a │ synced" in table.stdout


@pytest.mark.usefixtures("registered_vendor")
def test_a_move_to_another_territory_withdraws_the_account_at_once(vendor: SimulatorServer) -> None:
    rid = add()
    assert sas("sync", rid, "--login").exit_code == 0

    moved = sas("update", rid, "--territory", "SAS-75")

    assert moved.exit_code == 0, moved.stderr
    assert "vendor-a: deactivate updated HTTP 200" in moved.stderr
    vendor_side = httpx.get(f"{vendor.root_url}/_sim/accounts").json()
    assert [w["method"] for w in vendor_side["writes"]] == ["POST", "PUT"]
    assert vendor_side["accounts"][0]["active"] is False
    [shown] = show(rid)
    assert shown["territory"] == "SAS-75" and shown["active"] is True
    assert "vendor-a: unchanged" in sas("sync", rid).stderr


@pytest.mark.usefixtures("registered_vendor")
def test_a_failing_vendor_shows_retrying_and_every_call_failed_exits_1(
    vendor: SimulatorServer,
) -> None:
    rid = add()
    vendor.set_faults(Faults(mode="http-500"))

    run = sas("sync", rid)

    assert run.exit_code == 1
    assert "retry HTTP 500" in run.stderr
    [regulator] = show()
    [account] = regulator["accounts"]
    assert account["state"] == "retrying"
    assert account["next_attempt_at"] is not None
    assert "HTTP 500" in account["last_error"]


@pytest.mark.usefixtures("registered_vendor")
def test_a_rejection_is_shown(vendor: SimulatorServer) -> None:
    first = add("--national-id", "810002673899")
    assert sas("sync", first).exit_code == 0
    # The vendor already has an active account with this e-mail: the POST is refused (409).
    second = add(email="second@test.fr")
    httpx.put(
        f"{vendor.base_url}/Practitioner",
        params={"identifier": "urn:oid:1.2.250.1.213.3.6|seed"},
        json={
            "resourceType": "Practitioner",
            "identifier": [
                {
                    "type": {
                        "coding": [
                            {
                                "system": "http://interopsante.org/fhir/CodeSystem/fr-v2-0203",
                                "code": "INTRN",
                            }
                        ]
                    },
                    "system": "urn:oid:1.2.250.1.213.3.6",
                    "value": "seed",
                }
            ],
            "active": True,
            "name": [{"family": "X", "given": ["Y"]}],
            "telecom": [{"system": "email", "value": "second@test.fr"}],
        },
    ).raise_for_status()

    run = sas("sync", second)

    assert run.exit_code == 1
    [shown] = show(second)
    assert shown["accounts"][0]["state"] == "rejected"
    assert shown["accounts"][0]["last_http_status"] == 409
    assert "rejected: HTTP 409 Conflict" in sas("show", second, env={"COLUMNS": "400"}).stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["show", "not-a-uuid"], 2, "is not a regulator id"),
        (["show", "00000000-0000-0000-0000-000000000000"], 1, "no regulator"),
        (["update", "00000000-0000-0000-0000-000000000000", "--family", "X"], 1, "no regulator"),
        (["update", "00000000-0000-0000-0000-000000000000"], 2, "nothing to change"),
        (
            ["add", "--family", "A", "--given", "B", "--email", "nope", "--territory", "SAS-33"],
            2,
            "email",
        ),
        (
            ["add", "--family", "A", "--given", "B", "--email", "a@b.fr", "--territory", "33"],
            2,
            "unknown territory '33'",
        ),
    ],
)
def test_readable_errors_and_exit_codes(args: list[str], code: int, message: str) -> None:
    result = CliRunner().invoke(cli, ["regulators", *args])
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_show_json_is_an_empty_array_without_regulators() -> None:
    assert show() == []


def test_show_json_of_an_unknown_regulator_is_an_empty_array_and_exit_1() -> None:
    run = sas("show", "00000000-0000-0000-0000-000000000000", "--format", "json")
    assert run.exit_code == 1
    assert json.loads(run.stdout) == []
    assert "no regulator 00000000-0000-0000-0000-000000000000" in run.stderr
