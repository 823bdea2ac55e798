from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sas_core import SearchWindow, SlotQuery
from sas_core.fhir.search import slot_search_params

WINDOW = SearchWindow(
    start=datetime(2024, 6, 12, 14, 20, tzinfo=UTC), end=datetime(2024, 6, 15, 14, 20, tzinfo=UTC)
)


def test_int_r01_parameters_exactly() -> None:
    query = SlotQuery(window=WINDOW, practitioners=("810002909371", "10001288385"))
    assert slot_search_params(query) == [
        ("_include", "Slot:schedule"),
        ("_include:iterate", "Schedule:actor"),
        ("start", "ge2024-06-12T16:20:00.000+02:00"),
        ("start", "le2024-06-15T16:20:00.000+02:00"),
        (
            "schedule.actor:Practitioner.identifier",
            "urn:oid:1.2.250.1.71.4.2.1|810002909371,urn:oid:1.2.250.1.71.4.2.1|810001288385",
        ),
        ("status", "free"),
    ]


def test_cpts_variant_adds_the_int_r04_includes_after_the_r01_ones() -> None:
    query = SlotQuery(window=WINDOW, practitioners=("810002909371",))
    params = slot_search_params(query, cpts=True)
    assert params[:4] == [
        ("_include", "Slot:schedule"),
        ("_include:iterate", "Schedule:actor"),
        ("_include", "Slot:service-type-reference"),
        ("_include:iterate", "HealthcareService:organization"),
    ]
    assert params[4:] == slot_search_params(query)[2:]


def test_structure_queries_are_not_slot_searches() -> None:
    query = SlotQuery(window=WINDOW, structures=("334173748400020",))
    with pytest.raises(ValueError, match="Schedule"):
        slot_search_params(query)
