"""The 101 SAS territories: codes, names, aliases and the département mapping."""

from __future__ import annotations

import csv

import pytest

from sas_core.registry.territories import (
    TERRITORIES,
    check_territory,
    territory,
    territory_of_department,
)
from tests.conftest import SHARED

RADIUS_FILE = SHARED / "data" / "sas_search_radius_by_department_2025.csv"


def test_there_are_101_territories_with_unique_codes_and_names() -> None:
    assert len(TERRITORIES) == 101
    assert len({t.code for t in TERRITORIES}) == 101
    assert len({t.name for t in TERRITORIES}) == 101
    assert [t.code for t in TERRITORIES[18:22]] == ["SAS-19", "SAS-20A", "SAS-20B", "SAS-21"]
    assert TERRITORIES[-1].code == "SAS-976"


@pytest.mark.skipif(
    not RADIUS_FILE.exists(),
    reason=f"the SAS search-radius table is not at {RADIUS_FILE} (set SAS_SHARED_DIR)",
)
def test_codes_and_names_match_the_sas_search_radius_table() -> None:
    with RADIUS_FILE.open(encoding="utf-8", newline="") as handle:
        published = {row["territory name"]: row for row in csv.DictReader(handle)}
    assert {t.code: t.name for t in TERRITORIES} == {
        code: row["label"] for code, row in published.items()
    }
    for code, row in published.items():
        assert territory_of_department(row["code"]) == code


@pytest.mark.parametrize(
    ("given", "official"),
    [
        ("SAS-01", "SAS-01"),
        ("SAS-2A", "SAS-20A"),
        ("SAS-2B", "SAS-20B"),
        ("SAS-20A", "SAS-20A"),
        ("SAS-95", "SAS-95"),
        ("SAS-971", "SAS-971"),
        ("SAS-976", "SAS-976"),
    ],
)
def test_official_codes_and_corsican_aliases(given: str, official: str) -> None:
    assert check_territory(given) == official


@pytest.mark.parametrize(
    "code", ["SAS-00", "SAS-1", "SAS-20", "SAS-96", "SAS-975", "SAS-977", "33", "sas-33", ""]
)
def test_anything_else_is_refused_naming_the_value_and_the_rule(code: str) -> None:
    with pytest.raises(ValueError) as caught:
        check_territory(code)
    assert f"unknown territory {code!r}" in str(caught.value)
    assert "SAS-01 … SAS-95" in str(caught.value) and "SAS-2A" in str(caught.value)


@pytest.mark.parametrize(
    ("department", "code"),
    [("01", "SAS-01"), ("1", "SAS-01"), ("2A", "SAS-20A"), ("2b", "SAS-20B"), ("20A", "SAS-20A"),
     ("75", "SAS-75"), ("974", "SAS-974")],
)  # fmt: skip
def test_department_to_territory(department: str, code: str) -> None:
    assert territory_of_department(department) == code


@pytest.mark.parametrize("department", ["0", "00", "20", "96", "975", "2C", "SAS-33"])
def test_unknown_departments_are_refused(department: str) -> None:
    with pytest.raises(ValueError, match=f"unknown département {department!r}"):
        territory_of_department(department)


def test_a_territory_knows_its_name() -> None:
    assert territory("SAS-2A").name == "Corse-du-Sud"
    assert territory("SAS-75").name == "Paris"
