"""`sas geocode`: the printed contract, the exit codes, the radius table option."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sas_core.cli.main import cli

CONTRACT_KEYS = ["lat", "lon", "kind", "departement", "territory", "radius_km"]
ALLOWED_EXTRA_KEYS = {"label", "insee", "postcode"}


def geocode(*args: str) -> Result:
    return CliRunner().invoke(cli, ["geocode", *args])


def test_json_is_exactly_the_contract() -> None:
    result = geocode("Bobigny", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert list(document)[: len(CONTRACT_KEYS)] == CONTRACT_KEYS
    assert set(document) - set(CONTRACT_KEYS) <= ALLOWED_EXTRA_KEYS
    assert document["kind"] == "city"
    assert (document["departement"], document["territory"], document["radius_km"]) == (
        "93",
        "SAS-93",
        10,
    )
    assert (document["insee"], document["postcode"]) == ("93008", "93000")


@pytest.mark.parametrize(
    ("words", "kind", "territory"),
    [
        (["75015", "Paris"], "postcode", "SAS-75"),
        (["2A"], "departement", "SAS-20A"),
        (["974"], "departement", "SAS-974"),
        (["12 rue de la Paix, 75002 Paris"], "address", "SAS-75"),
    ],
)
def test_every_kind_of_place(words: list[str], kind: str, territory: str) -> None:
    result = geocode(*words, "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["kind"], document["territory"]) == (kind, territory)


def test_an_address_says_on_stderr_that_it_is_the_communes_centre() -> None:
    result = geocode("12 rue de la Paix, 75002 Paris", "--format", "json")
    assert "online geocoder" in result.stderr
    assert json.loads(result.stdout)["kind"] == "address"


def test_table_is_one_readable_line() -> None:
    result = geocode("Bobigny")
    assert result.exit_code == 0
    assert result.stdout.count("\n") == 1
    assert "93000 Bobigny" in result.stdout and "SAS-93" in result.stdout
    assert "radius 10 km" in result.stdout


def test_an_ambiguous_name_exits_2_with_the_candidates() -> None:
    result = geocode("Saint-Denis", "--format", "json")
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert {"93066", "97411"} <= {c["insee"] for c in document["candidates"]}
    assert "Saint-Denis (93)" in result.stderr


@pytest.mark.parametrize(
    ("words", "said"),
    [
        ([], "the place is empty"),
        ([""], "the place is empty"),
        (["Trifouillis-les-Oies"], "no commune or département is named"),
        (["99999"], "99999 is not the postcode of any commune"),
    ],
)
def test_what_cannot_be_located_exits_2_with_a_message(words: list[str], said: str) -> None:
    result = geocode(*words)
    assert result.exit_code == 2
    assert said in result.stderr
    assert "Traceback" not in result.output


def test_the_official_radius_table_option(official_radius_table: Path) -> None:
    result = geocode("Bobigny", "--format", "json", "--radius-table", str(official_radius_table))
    assert json.loads(result.stdout)["radius_km"] == 5
    result = geocode("93", "--format", "json", "--radius-table", str(official_radius_table))
    assert json.loads(result.stdout)["radius_km"] == 22


def test_the_radius_table_setting(
    official_radius_table: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAS_RADIUS_TABLE", str(official_radius_table))
    assert json.loads(geocode("Bobigny", "--format", "json").stdout)["radius_km"] == 5


def test_an_unusable_radius_table_is_refused(tmp_path: Path) -> None:
    table = tmp_path / "radii.csv"
    table.write_text("code,label\n93,Seine-Saint-Denis\n")
    result = geocode("Bobigny", "--radius-table", str(table))
    assert result.exit_code == 2
    assert "missing column(s)" in result.stderr


def test_a_real_process_keeps_stdout_for_the_json() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "sas_core.cli", "geocode", "Saint-Denis", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert json.loads(completed.stdout)["error"].startswith("'Saint-Denis' names")
    assert "Traceback" not in completed.stderr
