"""Place-name keys: the spellings a regulator types fold to one key."""

from __future__ import annotations

import pytest

from sas_core.geography.names import name_key


@pytest.mark.parametrize(
    ("typed", "official"),
    [
        ("saint etienne", "Saint-Étienne"),
        ("ST ETIENNE", "Saint-Étienne"),
        ("Ste-Foy-lès-Lyon", "Sainte-Foy-lès-Lyon"),
        ("L'HAY LES ROSES", "L'Haÿ-les-Roses"),
        ("oeuilly", "Œuilly"),
        ("  Châlons   en Champagne ", "Châlons-en-Champagne"),
    ],
)
def test_typed_spellings_meet_the_official_name(typed: str, official: str) -> None:
    assert name_key(typed) == name_key(official)


def test_different_names_stay_different() -> None:
    assert name_key("Saint-Denis") != name_key("Sainte-Denise")
