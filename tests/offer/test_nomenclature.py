"""What a regulator types in the specialty field, mapped to TRE_R38 codes."""

from __future__ import annotations

import pytest

from sas_core.offer.nomenclature import SPECIALTIES, specialty_code


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("médecine générale", "SM54"),
        ("  Medecine   GENERALE ", "SM54"),
        ("pédiatrie", "SM40"),
        ("PEDIATRIE", "SM40"),
        ("Psychiatrie de l’enfant et de l’adolescent", "SM43"),
        ("gynecologie obstetrique", "SM20"),
        ("sm40", "SM40"),
        ("SM999", "SM999"),  # well-formed: the directory decides whether it knows it
        ("pédiatre", None),
        ("", None),
    ],
)
def test_labels_and_codes_map_to_tre_r38(typed: str, code: str | None) -> None:
    assert specialty_code(typed) == code


def test_every_label_of_the_excerpt_maps_to_its_code() -> None:
    assert all(specialty_code(label) == code for code, label in SPECIALTIES.items())
