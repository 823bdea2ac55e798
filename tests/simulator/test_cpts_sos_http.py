"""INT_R04 (CPTS) and SOS Médecins searches over real HTTP: shapes of digest §5.2 and §6.3."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle

from sas_core.fhir import codes
from sas_simulator.app import create_app
from sas_simulator.dataset import PARIS, Dataset
from sas_simulator.faults import Faults
from sas_simulator.server import SimulatorServer

from .conftest import search_params

IDNST_SYSTEM = "urn:oid:1.2.250.1.71.4.2.2"
CPTS_INCLUDES = {
    "_include": ["Slot:schedule", "Slot:service-type-reference"],
    "_include:iterate": ["Schedule:actor", "HealthcareService:organization"],
}


@pytest.fixture(scope="module")
def server(dataset: Dataset) -> Iterator[SimulatorServer]:
    with SimulatorServer(create_app(dataset)) as running:
        yield running


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", []) if e["resource"]["resourceType"] == kind]


def sos_params(*idnst: str, hours: int = 48, **extra: str) -> dict[str, str | list[str]]:
    """A well-formed SOS query (digest §6.2) over the next `hours`."""
    begin = datetime.now(PARIS).replace(microsecond=0)
    return {
        "_revinclude": "Slot:schedule",
        "_include": "Schedule:actor:Location",
        "_include:iterate": "Location:organization",
        "_has:Slot:schedule:start": [
            f"ge{begin.isoformat()}",
            f"le{(begin + timedelta(hours=hours)).isoformat()}",
        ],
        "_has:Slot:schedule:status": "free",
        "actor:Location.organization.identifier": ",".join(f"{IDNST_SYSTEM}|{i}" for i in idnst),
        **extra,
    }


def check_references_resolve(bundle: dict[str, Any]) -> None:
    """Digest §15.2: every literal reference between top-level resources resolves in the bundle."""
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    for entry in bundle["entry"]:
        r = entry["resource"]
        refs = [r.get("schedule"), r.get("providedBy"), r.get("managingOrganization")]
        refs += r.get("actor", [])
        refs += [
            ext["valueReference"]
            for st in r.get("serviceType", [])
            for ext in st.get("extension", [])
        ]
        for ref in refs:
            if ref is not None:
                assert ref["reference"] in present, ref


def test_cpts_bundle_for_a_slot_visible_to_two_cpts(
    server: SimulatorServer, dataset: Dataset
) -> None:
    member = next(p for p in dataset.practitioners if len(p.cpts) >= 2)
    params = {**search_params(member.idnps), **CPTS_INCLUDES}
    answer = httpx.get(f"{server.base_url}/Slot", params=params)
    assert answer.status_code == 200
    bundle = answer.json()
    Bundle.model_validate(bundle)
    assert bundle["meta"]["profile"] == [codes.PROFILE_CPTS_BUNDLE]
    assert len(bundle["link"]) == 1 and bundle["link"][0]["relation"] == "self"
    slots = resources(bundle, "Slot")
    assert bundle["total"] == len(slots) > 0
    check_references_resolve(bundle)
    keys = [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]]
    assert len(keys) == len(set(keys))
    assert all("fullUrl" in e for e in bundle["entry"])

    services = resources(bundle, "HealthcareService")
    organizations = resources(bundle, "Organization")
    assert len(services) == len(organizations) >= 2
    for service in services:
        assert service["meta"]["profile"] == [codes.PROFILE_CPTS_HEALTHCARE_SERVICE]
        assert service["providedBy"]["reference"].startswith("Organization/")
    for organization in organizations:
        assert organization["meta"]["profile"] == [codes.PROFILE_CPTS_ORGANIZATION]
        [identifier] = organization["identifier"]
        assert identifier["system"] == IDNST_SYSTEM
        assert identifier["type"] == {
            "coding": [{"system": codes.FR_CORE_CS_V2_0203, "code": "IDNST"}]
        }
        assert identifier["value"] in member.cpts
        assert organization["name"] and organization["telecom"][0]["value"].startswith("+33")

    two = [s for s in slots if len(cpts_entries(s)) == 2]
    assert two, "the member's always-free slot is visible to both CPTS"
    for slot in slots:
        assert slot["meta"]["profile"] == [codes.PROFILE_CPTS_SLOT]
        security = {c["code"] for c in slot["meta"]["security"]}
        assert ("CPTS" in security) == bool(cpts_entries(slot))
        for entry in slot["serviceType"]:
            if any(c["system"] == codes.V3_ACT_CODE for c in entry.get("coding", [])):
                assert "extension" not in entry
    counts = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    assert counts["Practitioner"] == 1


def cpts_entries(slot: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        st
        for st in slot["serviceType"]
        if st.get("coding")
        == [{"system": codes.TRE_R66_CATEGORIE_ETABLISSEMENT, "code": codes.CPTS_CATEGORY_CODE}]
        and [e["url"] for e in st["extension"]] == [codes.SLOT_SERVICE_TYPE_EXTENSION]
    ]


def test_cpts_slots_in_an_int_r01_answer(server: SimulatorServer, dataset: Dataset) -> None:
    """Without the CPTS includes: the INT_R01 bundle, CPTS slots kept, no extra resources."""
    member = next(p for p in dataset.practitioners if len(p.cpts) >= 2)
    bundle = httpx.get(f"{server.base_url}/Slot", params=search_params(member.idnps)).json()
    Bundle.model_validate(bundle)
    assert bundle["meta"]["profile"] == [codes.PROFILE_BUNDLE_PS]
    assert not resources(bundle, "HealthcareService") and not resources(bundle, "Organization")
    slots = resources(bundle, "Slot")
    cpts_slots = [s for s in slots if cpts_entries(s)]
    assert cpts_slots
    assert all(s["meta"]["profile"] == [codes.PROFILE_CPTS_SLOT] for s in cpts_slots)
    assert all(s["meta"]["profile"] == [codes.PROFILE_SLOT] for s in slots if not cpts_entries(s))


def test_cpts_includes_for_a_practitioner_in_no_cpts(
    server: SimulatorServer, dataset: Dataset
) -> None:
    loner = next(p for p in dataset.practitioners if not p.cpts)
    params = {**search_params(loner.idnps), **CPTS_INCLUDES}
    bundle = httpx.get(f"{server.base_url}/Slot", params=params).json()
    Bundle.model_validate(bundle)
    assert bundle["meta"]["profile"] == [codes.PROFILE_CPTS_BUNDLE]
    assert bundle["total"] == len(resources(bundle, "Slot")) > 0
    assert not resources(bundle, "HealthcareService") and not resources(bundle, "Organization")


def test_sos_bundle_for_a_two_site_association(server: SimulatorServer, dataset: Dataset) -> None:
    association = next(a for a in dataset.sos if len(a.sites) == 2)
    start = datetime.now(PARIS).replace(microsecond=0)
    answer = httpx.get(f"{server.base_url}/Schedule", params=sos_params(association.idnst))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/fhir+json"
    bundle = answer.json()
    Bundle.model_validate(bundle)
    assert bundle["meta"]["profile"] == [codes.PROFILE_SOS_BUNDLE]
    assert len(bundle["link"]) == 1 and bundle["link"][0]["relation"] == "self"
    check_references_resolve(bundle)
    counts = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    assert (counts["Schedule"], counts["Location"], counts["Organization"]) == (2, 2, 1)
    slots = resources(bundle, "Slot")
    assert bundle["total"] == len(slots) > 0
    profiles = {
        "Slot": codes.PROFILE_SOS_SLOT,
        "Schedule": codes.PROFILE_SOS_SCHEDULE,
        "Location": codes.PROFILE_SOS_LOCATION,
        "Organization": codes.PROFILE_SOS_ORGANIZATION,
    }
    for entry in bundle["entry"]:
        resource = entry["resource"]
        kind = resource["resourceType"]
        assert resource["meta"]["profile"] == [profiles[kind]]
        assert entry["search"]["mode"] == ("match" if kind == "Schedule" else "include")
        assert entry["fullUrl"] == f"{server.base_url}/{kind}/{resource['id']}"

    expected = {
        s.id
        for schedule in dataset.site_schedules_of(association)
        for s in schedule.free_slots
        if start <= s.start <= start + timedelta(hours=48)
    }
    assert {s["id"] for s in slots} == expected
    for slot in slots:
        assert slot["status"] == "free"
        assert {c["code"] for c in slot["meta"]["security"]} <= {"PUBLIC", "SNP"}
        assert {c["code"] for st in slot["serviceType"] for c in st["coding"]} <= {
            "AMB",
            "HH",
            "VR",
        }
        assert slot["appointmentType"]["coding"][0]["code"] in {"ROUTINE", "WALKIN"}
        assert slot["comment"].startswith(f"{server.root_url}/site/pfg-")
    [organization] = resources(bundle, "Organization")
    assert organization["identifier"] == [
        {
            "type": {"coding": [{"system": codes.FR_LOCATION_IDENTIFIER_TYPE, "code": "IDNST"}]},
            "system": IDNST_SYSTEM,
            "value": association.idnst,
        }
    ]
    assert organization["name"] == association.name
    for location in resources(bundle, "Location"):
        [identifier] = location["identifier"]
        assert identifier["type"]["coding"][0]["code"] == "INTRN"
        assert location["name"] and len(location["address"]["postalCode"]) == 5
        assert location["managingOrganization"] == {"reference": f"Organization/{association.id}"}
        for hours in location["hoursOfOperation"]:
            assert all(day.islower() for day in hours["daysOfWeek"])
    page = httpx.get(slots[0]["comment"], params={"origin": "sas"})
    assert page.status_code == 200 and association.name in page.text


def test_sos_two_associations_raw_bar_and_capital_organization(
    server: SimulatorServer, dataset: Dataset
) -> None:
    """`|` sent raw, `Location:Organization` (digest §16.7), an unknown SIRET among known ones."""
    now = datetime.now(PARIS).replace(microsecond=0)
    ids = ",".join(f"{IDNST_SYSTEM}|{a.idnst}" for a in dataset.sos)
    url = (
        f"{server.base_url}/Schedule?_revinclude=Slot:schedule&_include=Schedule:actor:Location"
        f"&_include:iterate=Location:Organization"
        f"&_has:Slot:schedule:start=ge{now.isoformat()}"
        f"&_has:Slot:schedule:start=le{(now + timedelta(hours=48)).isoformat()}"
        f"&_has:Slot:schedule:status=free&actor:Location.organization.identifier="
        f"{ids},{IDNST_SYSTEM}|312345678900011&_count=1000"
    ).replace("+", "%2B")
    answer = httpx.get(url)
    assert answer.status_code == 200, answer.text
    bundle = answer.json()
    Bundle.model_validate(bundle)
    assert len(resources(bundle, "Organization")) == len(dataset.sos)
    assert bundle["total"] == len(resources(bundle, "Slot"))


def test_sos_nothing_found_is_an_empty_success(server: SimulatorServer) -> None:
    answer = httpx.get(f"{server.base_url}/Schedule", params=sos_params("312345678900011"))
    assert answer.status_code == 200
    bundle = answer.json()
    Bundle.model_validate(bundle)
    assert bundle["total"] == 0 and "entry" not in bundle
    assert bundle["meta"]["profile"] == [codes.PROFILE_SOS_BUNDLE]
    assert len(bundle["link"]) == 1


GE = "_has:Slot:schedule:start=ge2030-01-01T10:00:00%2B01:00"
LE = "_has:Slot:schedule:start=le2030-01-02T10:00:00%2B01:00"
ST = "_has:Slot:schedule:status=free"
A = "actor:Location.organization.identifier"
IDS = f"{A}={IDNST_SYSTEM}|312345678900011"
H = "_has:Slot:schedule:start"


@pytest.mark.parametrize(
    ("query", "parameter", "code"),
    [
        (f"{LE}&{ST}&{IDS}", H, "required"),
        (f"{GE}&{ST}&{IDS}", H, "required"),
        (f"{GE}&{GE}&{LE}&{ST}&{IDS}", H, "invalid"),
        (f"{H}=gt2030-01-01T10:00:00&{LE}&{ST}&{IDS}", H, "invalid"),
        (f"{H}=genot-a-date&{LE}&{ST}&{IDS}", H, "invalid"),
        (f"{H}=ge2030-02-30T10:00:00&{LE}&{ST}&{IDS}", H, "invalid"),
        (f"{GE}&{LE}&{IDS}", "_has:Slot:schedule:status", "required"),
        (f"{GE}&{LE}&_has:Slot:schedule:status=busy&{IDS}", "_has:Slot:schedule:status", "invalid"),
        (f"{GE}&{LE}&{ST}", A, "required"),
        (f"{GE}&{LE}&{ST}&{A}=urn:oid:1.2.250.1.71.4.2.1|312345678900011", A, "invalid"),
        (f"{GE}&{LE}&{ST}&{A}={IDNST_SYSTEM}|1234567890", A, "invalid"),
        (f"{GE}&{LE}&{ST}&{A}={IDNST_SYSTEM}7C312345678900011", A, "invalid"),
        (
            f"{GE}&{LE}&{ST}&{A}=" + ",".join(f"{IDNST_SYSTEM}|3{n:014d}" for n in range(26)),
            A,
            "invalid",
        ),
    ],
)
def test_sos_bad_requests(server: SimulatorServer, query: str, parameter: str, code: str) -> None:
    answer = httpx.get(f"{server.base_url}/Schedule?{query}")
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/fhir+json"
    [issue] = answer.json()["issue"]
    assert (issue["severity"], issue["code"]) == ("error", code)
    assert issue["diagnostics"].startswith(f"{parameter}:")


def test_sos_twenty_five_associations_are_accepted(server: SimulatorServer) -> None:
    ids = [f"3{n:014d}" for n in range(25)]
    answer = httpx.get(f"{server.base_url}/Schedule", params=sos_params(*ids))
    assert answer.status_code == 200
    assert answer.json()["total"] == 0


@pytest.fixture
def faulty(dataset: Dataset) -> Iterator[SimulatorServer]:
    with SimulatorServer(create_app(dataset)) as running:
        yield running


@pytest.mark.parametrize(
    ("faults", "status"),
    [
        (Faults(mode="http-500"), 500),
        (Faults(mode="http-429", retry_after_s=1.5, fail_times=1), 429),
    ],
)
def test_faults_apply_to_the_schedule_search(
    faulty: SimulatorServer, dataset: Dataset, faults: Faults, status: int
) -> None:
    faulty.set_faults(faults)
    url = httpx.URL(f"{faulty.base_url}/Schedule", params=sos_params(dataset.sos[0].idnst))
    answer = httpx.get(url)
    assert answer.status_code == status
    assert answer.json()["resourceType"] == "OperationOutcome"
    if status == 429:
        assert answer.headers["retry-after"] == "2"
        assert httpx.get(url).status_code == 200


def test_malformed_json_and_hang_on_the_schedule_search(
    faulty: SimulatorServer, dataset: Dataset
) -> None:
    url = httpx.URL(f"{faulty.base_url}/Schedule", params=sos_params(dataset.sos[0].idnst))
    faulty.set_faults(Faults(mode="malformed-json"))
    answer = httpx.get(url)
    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.json()
    faulty.set_faults(Faults(mode="hang"))
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(url, timeout=httpx.Timeout(5.0, read=0.3))
    # A bad request is a 400 whatever the faults.
    assert httpx.get(f"{faulty.base_url}/Schedule").status_code == 400
