"""Every example of both IG packages is accepted (digest §17)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sas_core import SearchWindow, Slot, SlotQuery, StructureKind
from sas_core.fhir import (
    CPTS_READER,
    SOS_READER,
    StructureReader,
    cpts_from_organization,
    cpts_service_references,
    healthcare_service_provider,
    parse_slot_bundle,
    place_from_location,
    practitioner_from_resource,
    practitioner_role_details,
    schedule_actor_references,
    service_types_of,
    slot_types_of,
    specialties_of,
    structure_from_organization,
)
from sas_core.fhir.codes import PS_SLOT_TYPES, SOS_SLOT_TYPES
from tests.conftest import ig_example_files, needs_ig

pytestmark = [needs_ig, pytest.mark.ig]

FETCHED_AT = datetime(2025, 1, 1, tzinfo=UTC)
#: The IG's examples lie in 2021-2024; each bundle gets the window and ids of its own self link.
PS_QUERY = SlotQuery(
    window=SearchWindow(start="2021-11-04T14:19:35.760+00:00", end="2021-11-06T23:59:59.999+00:00"),
    practitioners=("810002673899", "810100050075"),
)
CPTS_QUERY = SlotQuery(
    window=SearchWindow(start="2024-06-12T16:20:00+02:00", end="2024-06-12T17:20:00+02:00"),
    practitioners=("810002909371",),
)
SOS_QUERY = SlotQuery(
    window=SearchWindow(start="2023-08-18T09:00:00+02:00", end="2023-08-20T08:00:00+02:00"),
    structures=("334173748400020", "392080466300010"),
)


def examples(prefix: str) -> list[Path]:
    return [p for p in ig_example_files() if p.name.startswith(prefix)]


def ids(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.name}"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def parse(
    path: Path, query: SlotQuery, structures: StructureReader | None = None
) -> tuple[list[Slot], list[Any]]:
    return parse_slot_bundle(
        path.read_bytes(), adapter="ig", query=query, fetched_at=FETCHED_AT, structures=structures
    )


@pytest.mark.parametrize("path", examples("Bundle-ExampleBundlePSIndiv"), ids=ids)
def test_ps_bundle_yields_every_slot_without_issue(path: Path) -> None:
    slots, issues = parse(path, PS_QUERY)
    assert issues == []
    assert {(s.id, s.practitioner) for s in slots} == {
        ("ExampleSlotPSIndiv1", "810100050075"),
        ("ExampleSlotPSIndiv2", "810100050075"),
        ("ExampleSlotPSIndiv3", "810002673899"),
        ("ExampleSlotPSIndiv4", "810002673899"),
    }
    walk_in = next(s for s in slots if s.id == "ExampleSlotPSIndiv2")
    assert walk_in.booking_url is None and walk_in.structure is None
    assert walk_in.place is not None and walk_in.place.structure == "1810004956"
    assert all(s == Slot.model_validate(s.model_dump()) for s in slots)


#: The CPTS (IDNST `1` + FINESS, digest §17) each example slot is visible to.
CPTS_OF = {
    "Bundle-ExampleBundleCPTS.json": ["1950047225"],
    "Bundle-ExampleBundleCPTS1.json": ["1950047225"],
    "Bundle-ExampleBundleCPTS2.json": ["1950047225", "1950046227"],
}
#: §16.25: the examples' PractitionerRole organization identifier is a bare value; kept, reported.
ROLE_ISSUE = [("PractitionerRole/ExamplePractitionerRoleAgregateur", False)]


def test_every_cpts_bundle_example_is_covered() -> None:
    assert {p.name for p in examples("Bundle-ExampleBundleCPTS")} == set(CPTS_OF)


@pytest.mark.parametrize("path", examples("Bundle-ExampleBundleCPTS"), ids=ids)
def test_cpts_bundle_without_cpts_is_a_plain_slot_bundle(path: Path) -> None:
    slots, issues = parse(path, CPTS_QUERY)
    assert [(s.id, s.practitioner, s.structure) for s in slots] == [
        (load(path)["entry"][0]["resource"]["id"], "810002909371", None)
    ]
    assert slots[0].place is not None and slots[0].place.structure == "412345678912345"
    assert [(i.resource, i.dropped) for i in issues] == ROLE_ISSUE


@pytest.mark.parametrize("path", examples("Bundle-ExampleBundleCPTS"), ids=ids)
def test_cpts_bundle_gives_one_slot_per_cpts(path: Path) -> None:
    slots, issues = parse(path, CPTS_QUERY, CPTS_READER)
    slot_id = load(path)["entry"][0]["resource"]["id"]
    assert [(s.id, s.practitioner, s.structure, s.structure_kind) for s in slots] == [
        (slot_id, "810002909371", idnst, StructureKind.CPTS) for idnst in CPTS_OF[path.name]
    ]
    assert all(s.place is not None and s.place.structure == "412345678912345" for s in slots)
    assert [(i.resource, i.dropped) for i in issues] == ROLE_ISSUE
    assert all(s == Slot.model_validate(s.model_dump()) for s in slots)


@pytest.mark.parametrize("path", examples("Bundle-ExampleBundleAgregateurSOS"), ids=ids)
def test_sos_bundle_maps_for_a_structure_query(path: Path) -> None:
    slots, issues = parse(path, SOS_QUERY, SOS_READER)
    assert issues == []
    assert [(s.id, s.structure, s.structure_kind) for s in slots] == [
        ("ExampleSlotSOS1", "334173748400020", StructureKind.SOS),
        ("ExampleSlotSOS2", "334173748400020", StructureKind.SOS),
        ("ExampleSlotSOS3", "392080466300010", StructureKind.SOS),
        ("ExampleSlotSOS4", "392080466300010", StructureKind.SOS),
    ]
    places = {s.place for s in slots}
    assert len(places) == 3
    assert all(p is not None and p.name and p.address.postal_code and p.phone for p in places)
    # The site's structure is the association managing it (§6.4).
    assert all(s.place is not None and s.place.structure == s.structure for s in slots)
    assert all(s == Slot.model_validate(s.model_dump()) for s in slots)


@pytest.mark.parametrize("path", examples("Bundle-ExampleBundleAgregateurSOS"), ids=ids)
def test_sos_bundle_with_a_practitioner_query_drops_with_reasons(path: Path) -> None:
    query = SlotQuery(window=SOS_QUERY.window, practitioners=("810002909371",))
    slots, issues = parse(path, query)
    assert slots == []
    assert len(issues) == 4 and all(i.dropped and "no Practitioner" in i.reason for i in issues)


@pytest.mark.parametrize("path", examples("Slot-"), ids=ids)
def test_slot_examples_are_accepted(path: Path) -> None:
    slot = load(path)
    problems: list[str] = []
    allowed = SOS_SLOT_TYPES if "SOS" in path.name else PS_SLOT_TYPES
    assert slot_types_of(slot, allowed, problems)
    modalities, _ = service_types_of(slot, problems)
    assert modalities
    assert problems == []
    if "SOS" not in path.name and path.name != "Slot-ExampleSlotPSIndiv5.json":
        assert specialties_of(slot)
    if "CPTS" in path.name:
        assert cpts_service_references(slot, problems)
        assert problems == []


#: Regulator accounts (INT_R02) are not slot-search actors; they belong to another flow.
SLOT_PRACTITIONERS = [p for p in examples("Practitioner-") if "Regul" not in p.name]


@pytest.mark.parametrize("path", SLOT_PRACTITIONERS, ids=ids)
def test_practitioner_examples_are_accepted(path: Path) -> None:
    practitioner = practitioner_from_resource(load(path))
    assert practitioner.idnps.startswith("8") and practitioner.family


@pytest.mark.parametrize("path", examples("PractitionerRole-"), ids=ids)
def test_practitioner_role_examples_are_accepted(path: Path) -> None:
    details = practitioner_role_details(load(path))
    assert details.place is not None and details.place.address.postal_code
    assert details.structure is not None
    assert details.practitioner_reference and details.practitioner_reference.startswith(
        "Practitioner/"
    )


@pytest.mark.parametrize("path", examples("Schedule-"), ids=ids)
def test_schedule_examples_are_accepted(path: Path) -> None:
    references = schedule_actor_references(load(path))
    kinds = {r.split("/")[0] for r in references}
    assert kinds in ({"Practitioner", "PractitionerRole"}, {"Location"})


@pytest.mark.parametrize("path", examples("Location-"), ids=ids)
def test_location_examples_are_accepted(path: Path) -> None:
    problems: list[str] = []
    place = place_from_location(load(path), problems=problems)
    assert place.id.endswith("|" + load(path)["id"]) and place.phone and place.name
    assert problems == []


@pytest.mark.parametrize("path", examples("Organization-"), ids=ids)
def test_organization_examples_are_accepted(path: Path) -> None:
    structure = structure_from_organization(load(path))
    expected = StructureKind.CPTS if "CPTS" in path.name else StructureKind.SOS
    assert structure.kind is expected and structure.name


@pytest.mark.parametrize("path", examples("Organization-ExampleOrgaCPTS"), ids=ids)
def test_cpts_organization_examples_pass_the_strict_cpts_rule(path: Path) -> None:
    problems: list[str] = []
    cpts = cpts_from_organization(load(path), problems)
    assert cpts.idnst in {"1950047225", "1950046227"}
    assert cpts.kind is StructureKind.CPTS and cpts.name and problems == []


@pytest.mark.parametrize("path", examples("HealthcareService-"), ids=ids)
def test_healthcare_service_examples_are_accepted(path: Path) -> None:
    assert healthcare_service_provider(load(path)).startswith("Organization/ExampleOrgaCPTS")


@pytest.mark.parametrize("path", examples("Location-"), ids=ids)
def test_sos_location_examples_take_the_association_as_structure(path: Path) -> None:
    place = place_from_location(load(path), structure="334173748400020")
    assert place.structure == "334173748400020"


@pytest.mark.parametrize("path", ig_example_files(), ids=ids)
def test_fhir_resources_r4b_validates_every_example(path: Path) -> None:
    from fhir.resources.R4B import get_fhir_model_class

    data = load(path)
    model = get_fhir_model_class(data["resourceType"]).model_validate(data)
    assert model.model_dump(mode="json")["id"] == data["id"]


def test_both_packages_are_covered() -> None:
    names = {p.parent.parent.name for p in ig_example_files()}
    assert names == {"ig-package", "ig-package-main-ci"}
    assert len(ig_example_files()) == 41 + 45
