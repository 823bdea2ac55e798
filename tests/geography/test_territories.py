"""Département → SAS territory (interim mapping until the registry)."""

from __future__ import annotations

import pytest

from sas_core.geography.territories import DEPARTEMENTS, territory_of_departement


def test_one_hundred_and_one_territories_with_corsica_written_as_the_ans_table_does() -> None:
    territories = {territory_of_departement(code) for code in DEPARTEMENTS}
    assert len(territories) == 101
    assert {"SAS-01", "SAS-95", "SAS-20A", "SAS-20B", "SAS-971", "SAS-976"} <= territories
    assert territory_of_departement("2a") == "SAS-20A"


@pytest.mark.parametrize("code", ["20", "975", "96", "1", ""])
def test_codes_without_territory_are_refused(code: str) -> None:
    with pytest.raises(ValueError, match="not the code of a département"):
        territory_of_departement(code)
