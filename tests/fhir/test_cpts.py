"""INT_R04 (digest §5.2–§5.5, §15.2): CPTS links on small hand-made bundles."""

from __future__ import annotations

from typing import Any

import pytest

from sas_core import BundleIssue, Slot, StructureKind
from sas_core.fhir import (
    CPTS_READER,
    StructureReader,
    cpts_from_organization,
    dropped_slot_count,
    parse_slot_bundle,
)
from sas_core.fhir.codes import (
    CPTS_CATEGORY_CODE,
    FR_CORE_CS_V2_0203,
    FR_LOCATION_IDENTIFIER_TYPE,
    FR_V2_0203,
    IDNST_SYSTEM,
    SLOT_SERVICE_TYPE_EXTENSION,
    TRE_R66_CATEGORIE_ETABLISSEMENT,
    V3_ACT_CODE,
)
from tests.fhir.conftest import (
    FETCHED_AT,
    QUERY,
    bundle_of,
    practitioner_resource,
    role_resource,
    schedule_resource,
    slot_resource,
)

CPTS_1, CPTS_2 = "1950047225", "1950046227"


def cpts_entry(service: str = "hs1", **extension: Any) -> dict[str, Any]:
    return {
        "extension": [
            {
                "url": SLOT_SERVICE_TYPE_EXTENSION,
                "valueReference": {"reference": f"HealthcareService/{service}"},
                **extension,
            }
        ],
        "coding": [{"system": TRE_R66_CATEGORIE_ETABLISSEMENT, "code": CPTS_CATEGORY_CODE}],
    }


def service(sid: str = "hs1", org: str = "o1") -> dict[str, Any]:
    return {
        "resourceType": "HealthcareService",
        "id": sid,
        "providedBy": {"reference": f"Organization/{org}"},
    }


def organization(
    oid: str = "o1", value: str = CPTS_1, type_system: str = FR_CORE_CS_V2_0203
) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": oid,
        "identifier": [
            {
                "type": {"coding": [{"system": type_system, "code": "IDNST"}]},
                "system": IDNST_SYSTEM,
                "value": value,
            }
        ],
        "name": f"CPTS {oid}",
    }


def cpts_slot(*entries: dict[str, Any], slot_id: str = "s1") -> dict[str, Any]:
    slot = slot_resource(slot_id)
    slot["serviceType"] = [*slot["serviceType"], *entries]
    return slot


def parse(
    *resources: dict[str, Any], structures: StructureReader | None = CPTS_READER
) -> tuple[list[Slot], list[BundleIssue]]:
    bundle = bundle_of(*resources, schedule_resource(), practitioner_resource(), role_resource())
    return parse_slot_bundle(
        bundle, adapter="v", query=QUERY, fetched_at=FETCHED_AT, structures=structures
    )


def test_a_slot_visible_to_two_cpts_is_two_slots() -> None:
    slots, issues = parse(
        cpts_slot(cpts_entry("hs1"), cpts_entry("hs2")),
        service("hs1", "o1"),
        service("hs2", "o2"),
        organization("o1", CPTS_1),
        organization("o2", CPTS_2),
    )
    assert issues == []
    assert [(s.id, s.structure, s.structure_kind) for s in slots] == [
        ("s1", CPTS_1, StructureKind.CPTS),
        ("s1", CPTS_2, StructureKind.CPTS),
    ]
    assert all(s.practitioner == "810000000001" for s in slots)
    assert all(s.place is not None and s.place.structure == "1750000001" for s in slots)
    assert all(s == Slot.model_validate(s.model_dump()) for s in slots)


def test_without_cpts_the_entries_are_ignored() -> None:
    slots, issues = parse(cpts_slot(cpts_entry()), service(), organization(), structures=None)
    assert issues == [] and [(s.structure, s.structure_kind) for s in slots] == [(None, None)]


def test_a_slot_without_cpts_entry_is_the_practitioners_own() -> None:
    slots, issues = parse(slot_resource())
    assert issues == [] and [(s.structure, s.structure_kind) for s in slots] == [(None, None)]


def test_many_slots_share_their_links_and_each_link_is_judged_once() -> None:
    slots, issues = parse(
        *(cpts_slot(cpts_entry(), slot_id=f"s{n}") for n in range(5)),
        service(),
        organization(value="950047225"),  # no prefix: a problem of the Organization, once
    )
    assert [s.structure for s in slots] == [None] * 5
    assert [i.resource for i in issues].count("Organization/o1") == 1
    assert dropped_slot_count(issues) == 0


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (
            {"coding": [{"system": TRE_R66_CATEGORIE_ETABLISSEMENT, "code": "604"}]},
            "without its extension",
        ),
        (
            {**cpts_entry(), "coding": [{"system": V3_ACT_CODE, "code": "AMB"}]},
            "TypeConsultation serviceType entry carries the CPTS extension",
        ),
        ({**cpts_entry(), "coding": []}, "without the 604 coding"),
        (
            {**cpts_entry(), "extension": [{"url": SLOT_SERVICE_TYPE_EXTENSION}]},
            "no valueReference",
        ),
        (
            cpts_entry(valueReference={"reference": "Organization/o1"}),
            "not a HealthcareService",
        ),
        (cpts_entry("elsewhere"), "HealthcareService/elsewhere is not in the bundle"),
    ],
)
def test_a_broken_link_is_reported_against_the_slot_which_stays_plain(
    entry: dict[str, Any], reason: str
) -> None:
    slots, issues = parse(cpts_slot(entry), service(), organization())
    assert [(s.id, s.structure) for s in slots] == [("s1", None)]
    assert all(i.resource == "Slot/s1" and not i.dropped for i in issues)
    assert reason in issues[0].reason
    assert "kept as the practitioner's own slot" in issues[-1].reason


@pytest.mark.parametrize(
    ("resources", "resource", "reason"),
    [
        (
            [{"resourceType": "HealthcareService", "id": "hs1"}, organization()],
            "Healthcare",
            "no providedBy",
        ),
        ([service()], "HealthcareService/hs1", "Organization/o1 is not in the bundle"),
        ([service(), organization(value="334173748400020")], "Organization/o1", "not 1 + FINESS"),
        (
            [service(), {**organization(), "identifier": organization()["identifier"] * 2}],
            "Organization/o1",
            "2 identifiers",
        ),
        ([service(), {**organization(), "identifier": []}], "Organization/o1", "0 identifiers"),
        (
            [service(), organization(type_system="http://example.org/other")],
            "Organization/o1",
            "type is not IDNST",
        ),
    ],
)
def test_a_broken_cpts_resource_is_reported_once_against_itself(
    resources: list[dict[str, Any]], resource: str, reason: str
) -> None:
    slots, issues = parse(cpts_slot(cpts_entry()), *resources)
    assert [(s.id, s.structure) for s in slots] == [("s1", None)]
    assert any(i.resource.startswith(resource) and reason in i.reason for i in issues)
    assert not any(i.dropped for i in issues)


def test_one_broken_link_keeps_the_other() -> None:
    slots, issues = parse(
        cpts_slot(cpts_entry("hs1"), cpts_entry("missing")),
        service("hs1", "o1"),
        organization("o1", CPTS_1),
    )
    assert [s.structure for s in slots] == [CPTS_1]
    assert [(i.resource, i.dropped) for i in issues] == [("Slot/s1", False)]


def test_two_links_to_one_cpts_give_one_slot() -> None:
    slots, _ = parse(
        cpts_slot(cpts_entry("hs1"), cpts_entry("hs2")),
        service("hs1", "o1"),
        service("hs2", "o1"),
        organization("o1"),
    )
    assert [s.structure for s in slots] == [CPTS_1]


def test_a_dropped_cpts_slot_is_dropped_once() -> None:
    slots, issues = parse(
        cpts_slot(cpts_entry(), slot_id="s1") | {"status": "busy"}, service(), organization()
    )
    assert slots == [] and dropped_slot_count(issues) == 1


@pytest.mark.parametrize(
    "type_system", [FR_CORE_CS_V2_0203, FR_LOCATION_IDENTIFIER_TYPE, FR_V2_0203]
)
def test_every_versions_idnst_type_is_accepted(type_system: str) -> None:
    assert cpts_from_organization(organization(type_system=type_system)).idnst == CPTS_1


def test_corsican_finess_and_an_untyped_identifier_are_accepted() -> None:
    problems: list[str] = []
    corsican = organization(value="12A0000012")
    del corsican["identifier"][0]["type"]
    assert cpts_from_organization(corsican, problems).idnst == "12A0000012"
    assert problems == ["Organization/o1's identifier has no type; read as an IDNST"]
