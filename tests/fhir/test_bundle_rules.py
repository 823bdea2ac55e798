"""Digest §15.2, rule by rule, on small hand-made bundles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from sas_core import Address, AppointmentType, BundleIssue, Modality, Place, Slot, SlotType
from sas_core.fhir import BundleError, parse_slot_bundle
from tests.fhir.conftest import (
    FETCHED_AT,
    OTHER_RPPS,
    QUERY,
    bundle_of,
    practitioner_resource,
    role_resource,
    schedule_resource,
    slot_resource,
)


def parse(bundle: Any, now: datetime | None = None) -> tuple[list[Slot], list[BundleIssue]]:
    return parse_slot_bundle(bundle, adapter="vendor", query=QUERY, fetched_at=FETCHED_AT, now=now)


def resources(bundle: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == rtype]


def test_valid_bundle_maps_every_field(valid_bundle: dict[str, Any]) -> None:
    slots, issues = parse(orjson.dumps(valid_bundle))
    assert issues == []
    assert slots == [
        Slot(
            id="s1",
            start=datetime(2024, 6, 12, 14, 40, tzinfo=UTC),
            end=datetime(2024, 6, 12, 15, 0, tzinfo=UTC),
            practitioner="810000000001",
            place=Place(
                id="urn:oid:1.2.3|place-1",
                address=Address(line="1 rue de la Paix", city="PARIS", postal_code="75002"),
                latitude=48.87,
                longitude=2.33,
                phone="+33100000000",
                structure="1750000001",
            ),
            schedule_id="sch1",
            slot_types=(SlotType.SNP,),
            modalities=(Modality.AMB,),
            appointment_type=AppointmentType.ROUTINE,
            specialties=("SM54",),
            reasons=("Renouvellement",),
            booking_url="https://vendor.example/agenda/1",
            adapter="vendor",
            fetched_at=FETCHED_AT,
        )
    ]


def test_constructed_slots_equal_validated_ones(valid_bundle: dict[str, Any]) -> None:
    slots, _ = parse(valid_bundle)
    for slot in slots:
        assert slot == Slot.model_validate(slot.model_dump())


def test_bytes_str_and_mapping_inputs_agree(valid_bundle: dict[str, Any]) -> None:
    raw = orjson.dumps(valid_bundle)
    assert parse(raw) == parse(raw.decode()) == parse(valid_bundle)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": "busy"}, "not 'free'"),
        ({"start": None}, "unusable start/end"),
        ({"end": "tomorrow"}, "unusable start/end"),
        ({"end": "2024-06-12T16:40:00.000+02:00"}, "is not before end"),
        ({"end": "2024-06-12T16:00:00.000+02:00"}, "is not before end"),
        ({"start": "2024-06-11T10:00:00.000+02:00"}, "outside the requested window"),
        (
            {"start": "2024-06-14T11:00:00.000+02:00", "end": "2024-06-14T11:20:00.000+02:00"},
            "outside the requested window",
        ),
        ({"schedule": None}, "no schedule reference"),
        ({"schedule": {"reference": "Schedule/elsewhere"}}, "not in the bundle"),
        ({"id": None}, "no id"),
    ],
)
def test_slot_is_dropped(valid_bundle: dict[str, Any], change: dict[str, Any], reason: str) -> None:
    resources(valid_bundle, "Slot")[0].update(change)
    slots, issues = parse(valid_bundle)
    assert slots == []
    assert len(issues) == 1
    assert issues[0].dropped
    assert reason in issues[0].reason
    assert issues[0].resource.startswith("Slot/")


def test_slot_in_the_past_is_dropped_only_when_now_is_given(valid_bundle: dict[str, Any]) -> None:
    later = datetime(2024, 6, 12, 15, 0, tzinfo=UTC)
    slots, issues = parse(valid_bundle, now=later)
    assert slots == [] and issues[0].dropped and "in the past" in issues[0].reason
    assert len(parse(valid_bundle, now=FETCHED_AT)[0]) == 1


def test_slot_of_a_practitioner_not_asked_for_is_dropped(valid_bundle: dict[str, Any]) -> None:
    resources(valid_bundle, "Practitioner")[0]["identifier"][0]["value"] = OTHER_RPPS
    slots, issues = parse(valid_bundle)
    assert slots == []
    assert issues == [
        BundleIssue(
            resource="Slot/s1", reason=f"practitioner {OTHER_RPPS} was not asked for", dropped=True
        )
    ]


@pytest.mark.parametrize(
    "identifier",
    [
        [],
        [{"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "810000000001"}],
        [{"system": "urn:oid:1.2.250.1.71.4.2.1", "value": "81000"}],
    ],
)
def test_slot_without_a_valid_idnps_is_dropped(
    valid_bundle: dict[str, Any], identifier: list[dict[str, str]]
) -> None:
    resources(valid_bundle, "Practitioner")[0]["identifier"] = identifier
    resources(valid_bundle, "PractitionerRole")[0].pop("practitioner")
    slots, issues = parse(valid_bundle)
    assert slots == []
    assert [i.dropped for i in issues] == [True]
    assert "no Practitioner with a valid IDNPS" in issues[0].reason


def test_practitioner_found_through_the_role_when_the_schedule_omits_it(
    valid_bundle: dict[str, Any],
) -> None:
    resources(valid_bundle, "Schedule")[0]["actor"] = [{"reference": "PractitionerRole/r1"}]
    slots, issues = parse(valid_bundle)
    assert [s.practitioner for s in slots] == ["810000000001"]
    assert issues == []


def test_schedule_naming_two_practitioners_is_dropped(valid_bundle: dict[str, Any]) -> None:
    valid_bundle["entry"].append(
        {"fullUrl": "urn:uuid:p2", "resource": practitioner_resource("p2", OTHER_RPPS)}
    )
    resources(valid_bundle, "Schedule")[0]["actor"].append({"reference": "Practitioner/p2"})
    slots, issues = parse(valid_bundle)
    assert slots == [] and "several practitioners" in issues[0].reason


def test_references_resolve_by_absolute_full_url(valid_bundle: dict[str, Any]) -> None:
    base = "https://vendor.example/fhir"
    resources(valid_bundle, "Slot")[0]["schedule"]["reference"] = f"{base}/Schedule/sch1"
    resources(valid_bundle, "Schedule")[0]["actor"] = [
        {"reference": f"{base}/Practitioner/p1"},
        {"reference": f"{base}/PractitionerRole/r1"},
    ]
    for e in valid_bundle["entry"]:  # ids that differ from the URL: only fullUrl can match
        e["resource"]["id"] = "x" + e["resource"]["id"]
    slots, issues = parse(valid_bundle)
    assert [s.practitioner for s in slots] == ["810000000001"]
    assert [s.schedule_id for s in slots] == ["xsch1"]
    assert issues == []


def test_unknown_slot_type_code_is_ignored_and_reported(valid_bundle: dict[str, Any]) -> None:
    slot = resources(valid_bundle, "Slot")[0]
    slot["meta"]["security"].append({"system": slot["meta"]["security"][0]["system"], "code": "X"})
    slots, issues = parse(valid_bundle)
    assert slots[0].slot_types == (SlotType.SNP,)
    assert issues == [
        BundleIssue(
            resource="Slot/s1",
            reason="meta.security code 'X' is not a slot type here; ignored",
            dropped=False,
        )
    ]


def test_service_type_outside_amb_hh_vr_is_ignored_and_reported(
    valid_bundle: dict[str, Any],
) -> None:
    slot = resources(valid_bundle, "Slot")[0]
    slot["serviceType"].append(
        {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "EMER"}]}
    )
    slots, issues = parse(valid_bundle)
    assert slots[0].modalities == (Modality.AMB,)
    assert [(i.reason, i.dropped) for i in issues] == [
        ("serviceType code 'EMER' is not AMB, HH or VR; ignored", False)
    ]


def test_total_mismatch_is_reported_and_slots_kept(valid_bundle: dict[str, Any]) -> None:
    valid_bundle["total"] = 3
    slots, issues = parse(valid_bundle)
    assert len(slots) == 1
    assert issues == [
        BundleIssue(
            resource="Bundle", reason="total is 3 but the bundle holds 1 Slots", dropped=False
        )
    ]


def test_location_not_contained_is_reported_and_followed(valid_bundle: dict[str, Any]) -> None:
    role = resources(valid_bundle, "PractitionerRole")[0]
    location = role.pop("contained")[0]
    location["id"] = "loc9"
    valid_bundle["entry"].append({"fullUrl": "urn:uuid:loc9", "resource": location})
    role["location"] = [{"reference": "Location/loc9"}]
    slots, issues = parse(valid_bundle)
    assert slots[0].place is not None and slots[0].place.id == "urn:oid:1.2.3|place-1"
    assert [(i.resource, i.dropped) for i in issues] == [("PractitionerRole/r1", False)]
    assert "not a contained '#' reference" in issues[0].reason


def test_missing_contained_location_leaves_place_unknown(valid_bundle: dict[str, Any]) -> None:
    resources(valid_bundle, "PractitionerRole")[0]["location"] = [{"reference": "#nowhere"}]
    slots, issues = parse(valid_bundle)
    assert slots[0].place is None
    assert not issues[0].dropped


@pytest.mark.parametrize(
    "identifier",
    [
        {"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "12345"},
        {"system": "urn:oid:9.9.9", "value": "1750000001"},
        "1750000001",
    ],
)
def test_malformed_organization_identifier_keeps_the_slot(
    valid_bundle: dict[str, Any], identifier: Any
) -> None:
    resources(valid_bundle, "PractitionerRole")[0]["organization"] = {"identifier": identifier}
    slots, issues = parse(valid_bundle)
    assert len(slots) == 1 and slots[0].place is not None and slots[0].place.structure is None
    assert [(i.resource, i.dropped) for i in issues] == [("PractitionerRole/r1", False)]
    assert "malformed organization identifier" in issues[0].reason


def test_one_issue_per_role_however_many_slots(valid_bundle: dict[str, Any]) -> None:
    resources(valid_bundle, "PractitionerRole")[0]["organization"] = {
        "identifier": {"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "bad"}
    }
    valid_bundle["entry"].append(
        {
            "fullUrl": "urn:uuid:s2",
            "resource": slot_resource(
                "s2", start="2024-06-12T17:00:00+02:00", end="2024-06-12T17:20:00+02:00"
            ),
        }
    )
    valid_bundle["total"] = 2
    slots, issues = parse(valid_bundle)
    assert len(slots) == 2 and len(issues) == 1


@pytest.mark.parametrize("comment", ["", "   "])
def test_blank_comment_gives_no_booking_url(valid_bundle: dict[str, Any], comment: str) -> None:
    resources(valid_bundle, "Slot")[0]["comment"] = comment
    slots, issues = parse(valid_bundle)
    assert slots[0].booking_url is None
    assert issues == [
        BundleIssue(
            resource="Slot/s1", reason="blank comment: the slot has no booking URL", dropped=False
        )
    ]


def test_missing_comment_is_reported_except_on_walk_in_slots(valid_bundle: dict[str, Any]) -> None:
    slot = resources(valid_bundle, "Slot")[0]
    del slot["comment"]
    assert [i.reason for i in parse(valid_bundle)[1]] == ["no comment: the slot has no booking URL"]
    slot["appointmentType"]["coding"][0]["code"] = "WALKIN"
    slots, issues = parse(valid_bundle)
    assert slots[0].appointment_type is AppointmentType.WALKIN and issues == []


def test_entry_without_full_url_is_reported_and_kept(valid_bundle: dict[str, Any]) -> None:
    for e in valid_bundle["entry"]:
        del e["fullUrl"]
    slots, issues = parse(valid_bundle)
    assert len(slots) == 1
    assert {i.resource for i in issues} == {
        "Slot/s1",
        "Schedule/sch1",
        "Practitioner/p1",
        "PractitionerRole/r1",
    }
    assert all(i.reason == "entry has no fullUrl" and not i.dropped for i in issues)


def test_duplicate_slot_is_dropped(valid_bundle: dict[str, Any]) -> None:
    valid_bundle["entry"].append(dict(valid_bundle["entry"][0]))
    valid_bundle["total"] = 2
    slots, issues = parse(valid_bundle)
    assert len(slots) == 1
    assert [(i.resource, i.dropped) for i in issues] == [("Slot/s1", True)]


def test_empty_answer_is_a_success() -> None:
    assert parse({"resourceType": "Bundle", "type": "searchset", "total": 0}) == ([], [])


def test_slots_of_two_schedules_share_one_practitioner() -> None:
    bundle = bundle_of(
        slot_resource("a"),
        slot_resource("b", schedule={"reference": "Schedule/sch2"}),
        schedule_resource(),
        schedule_resource("sch2", rid="r2"),
        practitioner_resource(),
        role_resource(),
        role_resource("r2"),
    )
    slots, issues = parse(bundle)
    assert [(s.id, s.schedule_id, s.practitioner) for s in slots] == [
        ("a", "sch1", "810000000001"),
        ("b", "sch2", "810000000001"),
    ]
    assert issues == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html>Bad gateway</html>", "not JSON"),
        (b"", "not JSON"),
        (b"[]", "JSON list"),
        ('"Bundle"', "JSON str"),
        (b'{"resourceType": "Patient"}', "'Patient' resource, not a Bundle"),
        (
            b'{"resourceType": "OperationOutcome", "issue": [{"diagnostics": "unknown RPPS"}]}',
            "unknown RPPS",
        ),
        (b'{"resourceType": "Bundle", "type": "collection"}', "'collection', not 'searchset'"),
        (b'{"resourceType": "Bundle"}', "None, not 'searchset'"),
        (b'{"resourceType": "Bundle", "type": "searchset", "entry": {}}', "entry is not a list"),
    ],
)
def test_unusable_answers_raise_bundle_error(data: bytes | str, message: str) -> None:
    with pytest.raises(BundleError, match=message.replace("[", r"\[")):
        parse(data)


def test_bundle_error_is_a_value_error() -> None:
    assert issubclass(BundleError, ValueError)


def test_naive_fetched_at_is_refused(valid_bundle: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_slot_bundle(
            valid_bundle, adapter="v", query=QUERY, fetched_at=datetime(2024, 6, 12, 8, 0)
        )


def test_unusable_entries_are_reported(valid_bundle: dict[str, Any]) -> None:
    valid_bundle["entry"].append({"fullUrl": "urn:uuid:x"})
    slots, issues = parse(valid_bundle)
    assert len(slots) == 1
    assert issues == [
        BundleIssue(resource="Bundle", reason="entry 4 has no resource", dropped=False)
    ]


def test_unprefixed_rpps_is_normalised(valid_bundle: dict[str, Any]) -> None:
    resources(valid_bundle, "Practitioner")[0]["identifier"][0]["value"] = "10000000001"
    assert [s.practitioner for s in parse(valid_bundle)[0]] == ["810000000001"]


def test_schedule_without_role_keeps_its_slots_without_place(valid_bundle: dict[str, Any]) -> None:
    resources(valid_bundle, "Schedule")[0]["actor"] = [{"reference": "Practitioner/p1"}]
    slots, issues = parse(valid_bundle)
    assert slots[0].place is None and slots[0].structure is None
    assert [(i.resource, i.dropped) for i in issues] == [("Schedule/sch1", False)]
