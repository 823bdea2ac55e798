from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from sas_core import SearchWindow, SlotQuery
from sas_core.fhir import CPTS_INCLUDES, schedule_search_params
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
    params = slot_search_params(query, CPTS_INCLUDES)
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


def test_sos_schedule_search_parameters_exactly() -> None:
    query = SlotQuery(window=WINDOW, structures=("334173748400020", "340426662900033"))
    assert schedule_search_params(query) == [
        ("_revinclude", "Slot:schedule"),
        ("_include", "Schedule:actor:Location"),
        ("_include:iterate", "Location:organization"),
        ("_has:Slot:schedule:start", "ge2024-06-12T16:20:00.000+02:00"),
        ("_has:Slot:schedule:start", "le2024-06-15T16:20:00.000+02:00"),
        ("_has:Slot:schedule:status", "free"),
        (
            "actor:Location.organization.identifier",
            "urn:oid:1.2.250.1.71.4.2.2|334173748400020,urn:oid:1.2.250.1.71.4.2.2|340426662900033",
        ),
    ]


def test_sos_search_encodes_like_the_ig_example() -> None:
    query = SlotQuery(window=WINDOW, structures=("334173748400020",))
    url = httpx.URL("https://vendor.example/fhir/Schedule", params=schedule_search_params(query))
    assert str(url) == (
        "https://vendor.example/fhir/Schedule?_revinclude=Slot%3Aschedule"
        "&_include=Schedule%3Aactor%3ALocation&_include%3Aiterate=Location%3Aorganization"
        "&_has%3ASlot%3Aschedule%3Astart=ge2024-06-12T16%3A20%3A00.000%2B02%3A00"
        "&_has%3ASlot%3Aschedule%3Astart=le2024-06-15T16%3A20%3A00.000%2B02%3A00"
        "&_has%3ASlot%3Aschedule%3Astatus=free"
        "&actor%3ALocation.organization.identifier=urn%3Aoid%3A1.2.250.1.71.4.2.2%7C334173748400020"
    )


def test_practitioner_queries_are_not_schedule_searches() -> None:
    query = SlotQuery(window=WINDOW, practitioners=("810002909371",))
    with pytest.raises(ValueError, match="practitioners are searched via Slot"):
        schedule_search_params(query)


def test_a_structure_other_than_an_sos_association_is_refused() -> None:
    query = SlotQuery(window=WINDOW, structures=("334173748400020", "1750000000"))
    with pytest.raises(ValueError, match=r"'1750000000' is not an SOS Médecins association"):
        schedule_search_params(query)
