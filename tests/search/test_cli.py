"""`sas search`: the JSON contract, the streamed lines, and bad input, on a directory filled from
the simulated vendor's dataset with the registry enabling that vendor, on a real socket."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sas_core.cli.main import cli
from sas_core.offer.models import (
    DirectoryPractitioner,
    DirectoryStructure,
    OfferPlace,
    SasParticipation,
    StructureKind,
)
from sas_core.search.models import CARD_STATUSES
from sas_core.settings import load_settings
from sas_core.storage import open_database
from sas_core.storage.offer import write_directory
from sas_simulator.app import create_app
from sas_simulator.dataset import Dataset, build_dataset
from sas_simulator.server import SimulatorServer

from .conftest import place_id

REPO = Path(__file__).resolve().parents[2]
#: The middle of France, whose circle holds the simulated places; the vendor is enabled in SAS-33.
NEAR = ["--near", "Clermont-Ferrand", "--radius", "500", "--territory", "SAS-33"]


def sas(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def simulator(dataset: Dataset) -> Iterator[SimulatorServer]:
    with SimulatorServer(create_app(dataset)) as server:
        yield server


def fill_directory(dataset: Dataset) -> None:
    """The dataset's practitioners (every other one participating) and SOS associations, their
    agendas held by `vendor-a` and `vendor-sos`."""
    practitioners = [
        DirectoryPractitioner(
            idnps=p.idnps,
            family=p.family,
            given=p.given,
            profession="10",
            specialties=p.specialties,
            places=tuple(
                OfferPlace(
                    id=place_id(place.id),
                    line=place.line,
                    postal_code=place.postal_code,
                    city=place.city,
                    insee=None,
                    latitude=place.latitude,
                    longitude=place.longitude,
                    adapter="vendor-a",
                )
                for place in p.places
            ),
            participation=SasParticipation(participates=i % 2 == 0),
        )
        for i, p in enumerate(dataset.practitioners)
    ]
    structures = [
        DirectoryStructure(
            idnst=a.idnst,
            kind=StructureKind.SOS,
            name=a.name,
            places=tuple(
                OfferPlace(
                    id=place_id(site.id),
                    line=site.line,
                    postal_code=site.postal_code,
                    city=site.city,
                    insee=None,
                    latitude=site.latitude,
                    longitude=site.longitude,
                    adapter="vendor-sos",
                )
                for site in a.sites
            ),
            participation=SasParticipation(participates=True),
        )
        for a in dataset.sos
    ]
    engine = open_database(load_settings())
    with write_directory(engine) as writer:
        writer.clear()
        writer.add_practitioners(practitioners)
        writer.add_structures(structures)
    engine.dispose()


@pytest.fixture
def platform(simulator: SimulatorServer, dataset: Dataset) -> None:
    for adapter, plugin in (("vendor-a", "sas-cpts"), ("vendor-sos", "sas-sos")):
        for args in (
            [
                "enable",
                "--territory",
                "SAS-33",
                "--adapter",
                adapter,
                "--plugin",
                plugin,
                "--set",
                f"base_url={simulator.base_url}",
                "--timeout",
                "5",
            ],
            [
                "state",
                "--territory",
                "SAS-33",
                "--adapter",
                adapter,
                "connected-test",
                "--reason",
                "test",
            ],
        ):
            result = sas("registry", *args)
            assert result.exit_code == 0, result.output
    fill_directory(dataset)


def search(*args: str) -> tuple[int, dict[str, Any]]:
    result = sas("search", *args, "--format", "json")
    assert "Traceback" not in result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, document


@pytest.mark.usefixtures("platform")
def test_the_json_contract(dataset: Dataset, simulator: SimulatorServer) -> None:
    code, document = search(*NEAR, "--seed", "5")

    assert code == 0
    assert set(document) >= {"center", "radius_km", "seed", "results"}
    assert set(document["center"]) == {"lat", "lon"} and document["seed"] == 5
    assert document["radius_km"] == 500
    results = document["results"]
    assert results
    for result in results:
        assert result["kind"] in ("practitioner", "structure")
        prefix = "8" if result["kind"] == "practitioner" else "3"
        assert result["id"].startswith(prefix)
        assert isinstance(result["distance_km"], float) and result["distance_km"] <= 500
        assert isinstance(result["participates"], bool)
        assert result["status"] in CARD_STATUSES
        assert isinstance(result["slots"], list)
    assert {r["status"] for r in results} == {"slots"}
    code, refused = search(*NEAR, "--specialty", "SM999")
    assert code == 2 and "unknown specialty code 'SM999'" in refused["error"]
    assert "Clermont-Ferrand" in refused["error"], "what was understood"
    assert {r["kind"] for r in results} == {"practitioner", "structure"}

    one = next(r for r in results if r["kind"] == "practitioner")
    fetched = sas(
        "slots",
        "fetch",
        "--adapter",
        "sas-cpts",
        "--base-url",
        simulator.base_url,
        "--rpps",
        one["id"],
        "--format",
        "json",
        "--no-store",
    )
    slot_keys = set(json.loads(fetched.stdout)["slots"][0])
    assert set(one["slots"][0]) == slot_keys, "slots as `sas slots fetch` prints them"


@pytest.mark.usefixtures("platform")
def test_the_same_seed_gives_the_same_list_another_seed_another() -> None:
    def order(seed: str) -> list[str]:
        _, document = search(*NEAR, "--seed", seed)
        return [f"{r['id']} {r['place_id']}" for r in document["results"]]

    first = order("1")
    assert order("1") == first
    assert order("2") != first


@pytest.mark.usefixtures("platform")
def test_jsonl_streams_the_header_then_one_line_per_card() -> None:
    result = sas("search", *NEAR, "--seed", "3", "--format", "jsonl")
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    header, cards = lines[0], lines[1:]
    assert set(header) >= {"center", "radius_km", "seed"} and "results" not in header
    assert header["seed"] == 3
    assert cards and all(c["status"] in CARD_STATUSES for c in cards)
    _, document = search(*NEAR, "--seed", "3")
    assert [c["id"] for c in cards] == [r["id"] for r in document["results"]]


@pytest.mark.usefixtures("platform")
def test_filters_and_table() -> None:
    code, document = search(*NEAR, "--seed", "3", "--filter", "type:sos")
    assert code == 0 and {r["type"] for r in document["results"]} == {"sos"}
    table = sas("search", *NEAR, "--seed", "3", "--limit", "5")
    assert table.exit_code == 0 and "seed 3" in table.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--near", "Trifouillis-les-Oies"], "no commune or département is named"),
        (["--near", ""], "the place is empty"),
        (["--near", "Bordeaux", "--radius", "0"], "radius 0 km is out of range"),
        (["--near", "Bordeaux", "--radius", "900"], "radius 900 km is out of range"),
        (["--near", "Bordeaux", "--territory", "SAS-99"], "unknown territory 'SAS-99'"),
        (["--near", "Bordeaux", "--filter", "open-now"], "unknown filter 'open-now'"),
        (["--near", "Bordeaux", "--within", "5 days"], "not a duration"),
        (["--near", "Bordeaux", "--within", "100h"], "out of range"),
    ],
)
def test_bad_input_exits_2_saying_what_was_not_understood(args: list[str], said: str) -> None:
    code, document = search(*args)
    assert code == 2
    assert said in document["error"]
    assert document["results"] == []


def test_an_ambiguous_place_lists_its_candidates() -> None:
    code, document = search("--near", "Saint-Denis")
    assert code == 2
    assert {"93066", "97411"} <= {c["insee"] for c in document["candidates"]}


def test_an_empty_directory_says_how_to_fill_it() -> None:
    result = sas("search", "--near", "Bordeaux")
    assert result.exit_code == 1
    assert "sas directory generate" in result.stderr


@pytest.mark.usefixtures("platform")
def test_a_territory_radius_override_is_used() -> None:
    assert sas("registry", "radius", "SAS-33", "--city", "250").exit_code == 0
    listed = json.loads(sas("registry", "radius", "--format", "json").stdout)
    assert listed == [{"territory": "SAS-33", "city_radius_km": 250.0, "county_radius_km": None}]
    _, document = search("--near", "Bordeaux", "--seed", "1")
    enlarged = 250 + 125
    assert document["radius_km"] == (enlarged if document["enlarged"] else 250)
    assert sas("registry", "radius", "SAS-33", "--clear").exit_code == 0
    _, document = search("--near", "Bordeaux", "--seed", "1")
    assert document["radius_km"] not in (250, enlarged)
    refused = sas("registry", "radius", "SAS-33", "--city", "-3")
    assert refused.exit_code == 2 and "out of range" in refused.stderr


@pytest.mark.slow
def test_from_a_fresh_data_dir_with_the_demo_registry_and_simulators() -> None:
    """The issue's contract as written: `sas directory generate`, `sas registry apply
    registry/`, the demo vendors running (here on free ports, the registry's base URLs pointed
    at them), then `sas search` answers with live slots and a status for every card."""
    assert sas("directory", "generate", "--seed", "1", "--size", "300").exit_code == 0
    applied = sas("registry", "apply", str(REPO / "registry"))
    assert applied.exit_code == 0, applied.output
    vendors = {"editeur-a": (42, 30), "editeur-b": (7, 20), "editeur-sos": (11, 1)}
    with contextlib.ExitStack() as stack:
        for adapter, (seed, practitioners) in vendors.items():
            dataset = build_dataset(seed=seed, practitioners=practitioners)
            server = stack.enter_context(SimulatorServer(create_app(dataset)))
            pointed = sas(
                "registry", "set", "--adapter", adapter, "--set", f"base_url={server.base_url}"
            )
            assert pointed.exit_code == 0, pointed.output

        code, document = search(*NEAR, "--seed", "11", "--limit", "200")
        _, with_slots = search(*NEAR, "--seed", "11", "--filter", "with-slots")

    assert code == 0 and document["seed"] == 11
    statuses = {r["status"] for r in document["results"]}
    assert {"slots", "not-connected"} <= statuses <= set(CARD_STATUSES)
    assert with_slots["results"]
    assert {r["adapter"] for r in with_slots["results"]} & set(vendors)
    for result in with_slots["results"]:
        assert result["slots"] and result["id"][0] in "813"
