"""`sas slots fetch --territory`: the adapters the registry calls there, with their registry
settings, against a real simulator socket, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sas_core.cli.main import cli
from sas_simulator.app import create_app
from sas_simulator.dataset import Dataset, build_dataset
from sas_simulator.server import SimulatorServer

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return build_dataset(seed=42, practitioners=10)


@pytest.fixture(scope="module")
def simulator(dataset: Dataset) -> Iterator[SimulatorServer]:
    with SimulatorServer(create_app(dataset)) as server:
        yield server


def sas(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def registry(*args: str) -> None:
    result = sas("registry", *args)
    assert result.exit_code == 0, result.stderr


def closed_port_url() -> str:
    """A URL nobody answers on: an adapter that must not be asked."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/fhir"


def place(territory: str, adapter: str, plugin: str, url: str, *states: str) -> None:
    registry("enable", "--territory", territory, "--adapter", adapter, "--plugin", plugin,
             "--set", f"base_url={url}", "--timeout", "3")  # fmt: skip
    for state in states:
        registry("state", "--territory", territory, "--adapter", adapter, state, "--reason", "t")


@pytest.fixture
def territories(simulator: SimulatorServer, database: str) -> None:
    """SAS-33: vendor-a (sas-fhir, connected-test) and vendor-sos (sas-sos, production) are
    called; vendor-b (onboarding), vendor-d (disabled) are not. SAS-75: vendor-c only."""
    nobody = closed_port_url()
    place("SAS-33", "vendor-a", "sas-fhir", simulator.base_url, "connected-test")
    place("SAS-33", "vendor-sos", "sas-sos", simulator.base_url, "connected-test", "production")
    place("SAS-33", "vendor-b", "sas-fhir", nobody)
    place("SAS-33", "vendor-d", "sas-cpts", nobody, "connected-test")
    registry("disable", "--territory", "SAS-33", "--adapter", "vendor-d")
    place("SAS-75", "vendor-c", "sas-fhir", nobody, "connected-test")
    place("SAS-20A", "vendor-a", "sas-fhir", simulator.base_url, "connected-test")


def fetch(*args: str) -> tuple[int, dict[str, Any]]:
    result = sas("slots", "fetch", *args, "--format", "json")
    document: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, document


@pytest.mark.usefixtures("territories")
def test_a_territory_search_asks_its_live_adapters_routed_by_use_case(dataset: Dataset) -> None:
    ids = [p["idnps"] for p in dataset.as_json()["practitioners"]][:3]

    code, document = fetch("--territory", "SAS-33", *(a for i in ids for a in ("--rpps", i)))

    assert code == 0
    assert [o["adapter"] for o in document["outcomes"]] == ["vendor-a"]
    assert document["outcomes"][0]["status"] == "ok"
    assert document["slots"] and {s["adapter"] for s in document["slots"]} == {"vendor-a"}
    assert {s["practitioner"] for s in document["slots"]} == set(ids)


@pytest.mark.usefixtures("territories")
def test_sos_associations_are_asked_of_the_sos_adapter_only(dataset: Dataset) -> None:
    sos = [s["idnst"] for s in dataset.as_json()["structures"] if s["kind"] == "sos"]

    code, document = fetch("--territory", "SAS-33", "--siret", sos[0])

    assert code == 0
    assert [o["adapter"] for o in document["outcomes"]] == ["vendor-sos"]
    assert {s["structure"] for s in document["slots"]} == {sos[0]}


@pytest.mark.usefixtures("territories")
def test_corsica_by_its_insee_alias_and_a_territory_with_nothing_to_ask(dataset: Dataset) -> None:
    rpps = dataset.as_json()["practitioners"][0]["idnps"]
    code, document = fetch("--territory", "SAS-2A", "--rpps", rpps)
    assert code == 0 and [o["adapter"] for o in document["outcomes"]] == ["vendor-a"]

    code, document = fetch("--territory", "SAS-69", "--rpps", rpps)
    assert code == 1
    assert document["slots"] == [] and document["outcomes"] == []
    assert "no adapter to ask in SAS-69" in document["error"]

    code, document = fetch("--territory", "SAS-75", "--rpps", rpps)
    assert code == 1, "vendor-c is called, and fails"
    assert document["outcomes"][0]["adapter"] == "vendor-c"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--territory", "SAS-99"], "unknown territory 'SAS-99'"),
        (["--territory", "SAS-33", "--adapter", "sas-fhir"], "does not go with --adapter"),
        (["--territory", "SAS-33", "--base-url", "http://x/fhir"], "does not go with"),
        ([], "--adapter NAME (with --base-url) or --territory CODE"),
    ],
)
def test_a_territory_search_refuses_what_does_not_fit(args: list[str], message: str) -> None:
    code, document = fetch(*args, "--rpps", "81234567890")
    assert code == 2
    assert message in document["error"]
