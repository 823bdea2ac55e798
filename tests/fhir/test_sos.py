"""SOS Médecins answers (digest §6.3–§6.4, §15.2) on small hand-made bundles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sas_core import BundleIssue, SearchWindow, Slot, SlotQuery, SlotType, StructureKind
from sas_core.fhir import (
    CPTS_READER,
    SOS_READER,
    StructureReader,
    dropped_slot_count,
    parse_slot_bundle,
)
from sas_core.fhir.codes import (
    FR_LOCATION_IDENTIFIER_TYPE,
    IDNST_SYSTEM,
    TRE_R314_TYPE_CRENEAU,
)
from tests.fhir.conftest import FETCHED_AT, bundle_of, practitioner_resource, slot_resource

ASSOCIATION = "334173748400020"
OTHER = "392080466300010"
QUERY = SlotQuery(
    window=SearchWindow(
        start=datetime(2024, 6, 12, 8, 0, tzinfo=UTC), end=datetime(2024, 6, 14, 8, 0, tzinfo=UTC)
    ),
    structures=(ASSOCIATION,),
)


def schedule() -> dict[str, Any]:
    return {"resourceType": "Schedule", "id": "sch1", "actor": [{"reference": "Location/pfg1"}]}


def location(**overrides: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "id": "pfg1",
        "identifier": [
            {
                "type": {"coding": [{"system": FR_LOCATION_IDENTIFIER_TYPE, "code": "INTRN"}]},
                "system": "https://editeur.example",
                "value": "pfg1",
            }
        ],
        "name": "Centre de consultation Rennes Nord",
        "telecom": [{"system": "phone", "value": "+33193246789"}],
        "address": {"line": ["320 avenue Patton"], "city": "RENNES", "postalCode": "35700"},
        "position": {"latitude": 48.13, "longitude": -1.68},
        "managingOrganization": {"reference": "Organization/a1"},
    }
    resource.update(overrides)
    return resource


def association(value: str = ASSOCIATION) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": "a1",
        "identifier": [
            {
                "type": {"coding": [{"system": FR_LOCATION_IDENTIFIER_TYPE, "code": "IDNST"}]},
                "system": IDNST_SYSTEM,
                "value": value,
            }
        ],
        "name": "SOS Médecins Rennes",
    }


def sos_slot(slot_id: str = "s1", **overrides: Any) -> dict[str, Any]:
    slot = slot_resource(slot_id, **overrides)
    del slot["specialty"]
    return slot


def parse(*resources: dict[str, Any]) -> tuple[list[Slot], list[BundleIssue]]:
    bundle = bundle_of(*resources)
    return parse_slot_bundle(
        bundle, adapter="v", query=QUERY, fetched_at=FETCHED_AT, structures=SOS_READER
    )


def test_a_site_slot_is_offered_through_its_association() -> None:
    slots, issues = parse(sos_slot(), schedule(), location(), association())
    assert issues == []
    (slot,) = slots
    assert (slot.practitioner, slot.structure, slot.structure_kind) == (
        None,
        ASSOCIATION,
        StructureKind.SOS,
    )
    place = slot.place
    assert place is not None
    assert (place.id, place.name, place.phone, place.structure) == (
        "https://editeur.example|pfg1",
        "Centre de consultation Rennes Nord",
        "+33193246789",
        ASSOCIATION,
    )
    assert (place.address.city, place.latitude) == ("RENNES", 48.13)
    assert slot == Slot.model_validate(slot.model_dump())


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"managingOrganization": None}, "has no managingOrganization reference"),
        (
            {"managingOrganization": {"reference": "Organization/gone"}},
            "managingOrganization Organization/gone is not in the bundle",
        ),
    ],
)
def test_a_site_without_its_association_drops_its_slots(
    change: dict[str, Any], reason: str
) -> None:
    slots, issues = parse(sos_slot("s1"), sos_slot("s2"), schedule(), location(**change))
    assert slots == []
    assert [(i.resource, i.dropped) for i in issues] == [
        ("Location/pfg1", True),
        ("Slot/s1", True),
        ("Slot/s2", True),
    ]
    assert all(reason in i.reason for i in issues)
    assert dropped_slot_count(issues) == 2


def test_a_slot_without_its_schedule_is_dropped() -> None:
    slots, issues = parse(sos_slot(), location(), association())
    assert slots == [] and dropped_slot_count(issues) == 1
    assert "not in the bundle" in issues[0].reason


def test_slots_outside_the_window_are_dropped_and_counted() -> None:
    """A plain `_revinclude` returns every slot of a matched Schedule (§6.2)."""
    late = {"start": "2024-06-15T10:00:00.000+02:00", "end": "2024-06-15T10:20:00.000+02:00"}
    slots, issues = parse(
        sos_slot("s1"),
        sos_slot("s2", **late),
        sos_slot("s3", status="busy"),
        schedule(),
        location(),
        association(),
    )
    assert [s.id for s in slots] == ["s1"]
    assert dropped_slot_count(issues) == 2


def test_an_association_not_asked_for_is_dropped() -> None:
    slots, issues = parse(sos_slot(), schedule(), location(), association(OTHER))
    assert slots == []
    assert issues == [
        BundleIssue(resource="Slot/s1", reason=f"structure {OTHER} was not asked for", dropped=True)
    ]


def test_sos_slot_types_are_public_and_snp_only() -> None:
    security = [
        {"system": TRE_R314_TYPE_CRENEAU, "code": code} for code in ("PUBLIC", "PRO", "CPTS")
    ]
    slots, issues = parse(
        sos_slot(meta={"security": security}), schedule(), location(), association()
    )
    assert slots[0].slot_types == (SlotType.PUBLIC,)
    assert [i.reason for i in issues] == [
        "meta.security code 'PRO' is not a slot type here; ignored",
        "meta.security code 'CPTS' is not a slot type here; ignored",
    ]


@pytest.mark.parametrize("structures", [None, CPTS_READER, SOS_READER], ids=repr)
def test_an_empty_answer_is_a_success(structures: StructureReader | None) -> None:
    """FAQ: `total` 0 and no entry, although the SOS/CPTS bundle profiles want ≥ 4 (§16.4)."""
    empty = {"resourceType": "Bundle", "type": "searchset", "total": 0}
    for query in (QUERY, SlotQuery(window=QUERY.window, practitioners=("810000000001",))):
        assert parse_slot_bundle(
            empty, adapter="v", query=query, fetched_at=FETCHED_AT, structures=structures
        ) == ([], [])


@pytest.mark.parametrize(
    "site", [location(), location(managingOrganization=None)], ids=["managed", "unmanaged"]
)
def test_a_practitioners_site_is_only_its_place(site: dict[str, Any]) -> None:
    """A practitioner's slot is never attributed to the association managing a Location actor
    of its schedule, nor are its slots said to be dropped for that association."""
    practitioners = SlotQuery(window=QUERY.window, practitioners=("810000000001",))
    schedule = {
        "resourceType": "Schedule",
        "id": "sch1",
        "actor": [{"reference": "Practitioner/p1"}, {"reference": "Location/pfg1"}],
    }
    bundle = bundle_of(sos_slot(), schedule, practitioner_resource(), site, association())

    slots, issues = parse_slot_bundle(
        bundle, adapter="v", query=practitioners, fetched_at=FETCHED_AT
    )

    assert issues == []
    [slot] = slots
    assert (slot.practitioner, slot.structure, slot.structure_kind) == ("810000000001", None, None)
    assert slot.place is not None
    assert (slot.place.id, slot.place.structure) == ("https://editeur.example|pfg1", None)
