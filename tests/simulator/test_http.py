"""INT_R01 over real HTTP: the CapabilityStatement, the searchset Bundle and every 400."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle

from sas_simulator.app import create_app
from sas_simulator.dataset import PARIS, Dataset
from sas_simulator.server import SimulatorServer

from .conftest import IDNPS_SYSTEM, practitioner_with_places, search_params


@pytest.fixture(scope="module")
def server(dataset: Dataset) -> Iterator[SimulatorServer]:
    """One server for the module: these tests only read."""
    with SimulatorServer(create_app(dataset)) as running:
        yield running


PROFILES = {
    "Slot": "http://sas.fr/fhir/StructureDefinition/FrSlotAgregateur",
    "Schedule": "http://sas.fr/fhir/StructureDefinition/FrScheduleAgregateur",
    "Practitioner": "http://sas.fr/fhir/StructureDefinition/FrPractitionerAgregateur",
    "PractitionerRole": "http://sas.fr/fhir/StructureDefinition/FrPractitionerRoleExerciceAgregateur",
    "Location": "http://sas.fr/fhir/StructureDefinition/FrLocationAgregateur",
}
INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d")


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", []) if e["resource"]["resourceType"] == kind]


def empty_values(node: Any, path: str = "$") -> list[str]:
    """Paths of `""`, `[]` or `{}` values, which FHIR forbids (digest §15.2)."""
    if node in ("", [], {}):
        return [path]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in empty_values(v, f"{path}.{k}")]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in empty_values(v, f"{path}[{i}]")]
    return []


def test_metadata(server: SimulatorServer) -> None:
    answer = httpx.get(f"{server.base_url}/metadata")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/fhir+json"
    statement = answer.json()
    assert statement["resourceType"] == "CapabilityStatement"
    assert (statement["status"], statement["kind"], statement["fhirVersion"]) == (
        "active",
        "instance",
        "4.0.1",
    )
    assert statement["format"] == ["application/fhir+json"]
    [rest] = statement["rest"]
    assert rest["mode"] == "server"
    by_type = {r["type"]: r for r in rest["resource"]}
    # PS-indiv, CPTS (HealthcareService, Organization) and SOS (Location) resources.
    assert set(by_type) == {
        "Slot",
        "Schedule",
        "Practitioner",
        "PractitionerRole",
        "HealthcareService",
        "Location",
        "Organization",
    }
    assert by_type["Slot"]["searchInclude"] == [
        "Slot:schedule",
        "Schedule:actor",
        "Slot:service-type-reference",
        "HealthcareService:organization",
    ]
    assert {p["name"] for p in by_type["Slot"]["searchParam"]} >= {"start", "status"}
    schedule = by_type["Schedule"]
    assert schedule["interaction"] == [{"code": "search-type"}]
    assert schedule["searchRevInclude"] == ["Slot:schedule"]
    assert schedule["searchInclude"] == ["Schedule:actor:Location", "Location:organization"]
    assert {p["name"] for p in schedule["searchParam"]} == {"_has", "actor"}


def test_two_place_practitioner_bundle(server: SimulatorServer, dataset: Dataset) -> None:
    person = practitioner_with_places(dataset, 2)
    start = datetime.now(PARIS).replace(microsecond=0)
    end = start + timedelta(hours=48)
    answer = httpx.get(f"{server.base_url}/Slot", params=search_params(person.idnps, start=start))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/fhir+json"
    bundle = answer.json()

    Bundle.model_validate(bundle)
    assert bundle["type"] == "searchset"
    assert bundle["meta"]["profile"] == ["http://sas.fr/fhir/StructureDefinition/BundleAgregateur"]
    assert empty_values(bundle) == []
    [link] = bundle["link"]
    assert link["relation"] == "self"
    assert parse_qsl(urlsplit(link["url"]).query) == parse_qsl(answer.url.query.decode())

    slots = resources(bundle, "Slot")
    assert bundle["total"] == len(slots) > 0
    expected = {
        s.id
        for schedule in dataset.schedules_of(person)
        for s in schedule.free_slots
        if start <= s.start <= end
    }
    assert {s["id"] for s in slots} == expected

    keys = [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]]
    assert len(keys) == len(set(keys)), "an included resource appears twice"
    for entry in bundle["entry"]:
        resource = entry["resource"]
        kind = resource["resourceType"]
        assert entry["fullUrl"] == f"{server.base_url}/{kind}/{resource['id']}"
        assert entry["search"]["mode"] == ("match" if kind == "Slot" else "include")
        assert resource["meta"]["profile"] == [PROFILES[kind]]

    [practitioner] = resources(bundle, "Practitioner")
    roles = resources(bundle, "PractitionerRole")
    schedules = resources(bundle, "Schedule")
    assert (len(roles), len(schedules)) == (2, 2)
    assert practitioner["identifier"] == [
        {
            "type": {
                "coding": [
                    {
                        "system": "http://interopsante.org/fhir/CodeSystem/fr-v2-0203",
                        "code": "IDNPS",
                    }
                ]
            },
            "system": IDNPS_SYSTEM,
            "value": person.idnps,
        }
    ]
    assert practitioner["name"] == [{"family": person.family, "given": [person.given]}]

    present = set(keys)
    for slot in slots:
        assert slot["status"] == "free"
        assert INSTANT.fullmatch(slot["start"]) and INSTANT.fullmatch(slot["end"])
        slot_start = datetime.fromisoformat(slot["start"])
        assert start <= slot_start <= end
        assert slot_start < datetime.fromisoformat(slot["end"])
        assert slot["schedule"]["reference"] in present
        assert slot["meta"]["security"]
        assert {c["code"] for c in slot["meta"]["security"]} <= {"PUBLIC", "PRO", "SNP"}
        codings = [c for st in slot["serviceType"] for c in st.get("coding", [])]
        assert codings and {c["code"] for c in codings} <= {"AMB", "HH", "VR"}
        [kind] = slot["appointmentType"]["coding"]
        assert kind["code"] in {"ROUTINE", "WALKIN"}
        if "comment" in slot:
            assert slot["comment"].startswith(f"{server.root_url}/agenda/{person.id}?place=")
        else:
            assert kind["code"] == "WALKIN"
    for schedule in schedules:
        actors = [a["reference"] for a in schedule["actor"]]
        assert actors[0] == f"Practitioner/{practitioner['id']}"
        assert actors[1] in present and actors[1].startswith("PractitionerRole/")
    for role in roles:
        [location] = role["contained"]
        assert role["location"] == [{"reference": f"#{location['id']}"}]
        assert role["practitioner"] == {"reference": f"Practitioner/{practitioner['id']}"}
        assert location["meta"]["profile"] == [PROFILES["Location"]]
        assert re.fullmatch(r"[0-9]{5}", location["address"]["postalCode"])
        assert len(location["address"]["line"]) == 1
        identifier = role["organization"]["identifier"]
        assert identifier["system"] == "urn:oid:1.2.250.1.71.4.2.2"
        assert identifier["type"]["coding"][0]["code"] == "IDNST"
        assert re.fullmatch(r"1[0-9]{9}|3[0-9]{14}|4[0-9]{14}", identifier["value"])
        assert role["telecom"][0]["value"].startswith("+33")


def test_one_place_practitioner_bundle(server: SimulatorServer, dataset: Dataset) -> None:
    person = practitioner_with_places(dataset, 1)
    bundle = httpx.get(f"{server.base_url}/Slot", params=search_params(person.idnps)).json()
    Bundle.model_validate(bundle)
    counts = {
        kind: len(resources(bundle, kind))
        for kind in ("Practitioner", "PractitionerRole", "Schedule")
    }
    assert counts == {"Practitioner": 1, "PractitionerRole": 1, "Schedule": 1}
    assert len(resources(bundle, "PractitionerRole")[0]["contained"]) == 1
    assert bundle["total"] == len(resources(bundle, "Slot")) > 0


def test_unknown_practitioner_is_an_empty_success(server: SimulatorServer) -> None:
    answer = httpx.get(f"{server.base_url}/Slot", params=search_params("810000000042"))
    assert answer.status_code == 200
    bundle = answer.json()
    assert bundle["total"] == 0
    assert "entry" not in bundle
    Bundle.model_validate(bundle)


def test_several_practitioners_with_an_unknown_one(
    server: SimulatorServer, dataset: Dataset
) -> None:
    known = [p.idnps for p in dataset.practitioners[:3]]
    bundle = httpx.get(
        f"{server.base_url}/Slot", params=search_params(*known, "810000000042")
    ).json()
    found = {p["identifier"][0]["value"] for p in resources(bundle, "Practitioner")}
    assert found == set(known)
    assert bundle["total"] == len(resources(bundle, "Slot"))


def test_raw_plus_in_offsets_and_raw_bars(server: SimulatorServer, dataset: Dataset) -> None:
    """An unencoded `+02:00` is decoded as a space by URL parsers; it still means +02:00."""
    person = practitioner_with_places(dataset, 1)
    now = datetime.now(PARIS).replace(microsecond=0)
    later = now + timedelta(hours=48)
    url = (
        f"{server.base_url}/Slot?_include=Slot:schedule&_include:iterate=Schedule:actor"
        f"&start=ge{now.isoformat()}&start=le{later.strftime('%Y-%m-%dT%H:%M:%S')}"
        f"&schedule.actor:Practitioner.identifier={IDNPS_SYSTEM}|{person.idnps}&status=free"
    )
    assert "+" in url
    answer = httpx.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.json()["total"] > 0


def test_booking_url_resolves(server: SimulatorServer, dataset: Dataset) -> None:
    person = practitioner_with_places(dataset, 2)
    bundle = httpx.get(f"{server.base_url}/Slot", params=search_params(person.idnps)).json()
    url = next(s["comment"] for s in resources(bundle, "Slot") if "comment" in s)
    refused = httpx.get(url)
    assert refused.status_code == 403
    assert "origin" in refused.text
    # Without a platform realm to delegate the login to, the page says how to configure one.
    page = httpx.get(url, params={"origin": "sas"})
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert "--platform-issuer" in page.text
    assert httpx.get(f"{server.root_url}/agenda/nobody").status_code == 404


@pytest.mark.parametrize(
    ("headers", "extra"),
    [
        ({"Accept": "application/fhir+json"}, {}),
        ({"Accept": "application/json+fhir"}, {}),
        ({"Accept": "application/json"}, {}),
        ({"Accept": "text/html, application/fhir+json;q=0.9"}, {}),
        ({}, {"_format": "json"}),
        ({"Accept": "application/xml"}, {"_format": "application/fhir+json"}),
    ],
)
def test_accepted_formats(
    server: SimulatorServer, dataset: Dataset, headers: dict[str, str], extra: dict[str, str]
) -> None:
    params = {**search_params(dataset.practitioners[0].idnps), **extra}
    answer = httpx.get(f"{server.base_url}/Slot", params=params, headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/fhir+json"


@pytest.mark.parametrize(
    ("headers", "extra"), [({"Accept": "application/fhir+xml"}, {}), ({}, {"_format": "xml"})]
)
def test_unsupported_formats(
    server: SimulatorServer, dataset: Dataset, headers: dict[str, str], extra: dict[str, str]
) -> None:
    params = {**search_params(dataset.practitioners[0].idnps), **extra}
    answer = httpx.get(f"{server.base_url}/Slot", params=params, headers=headers)
    assert answer.status_code == 406
    assert answer.json()["resourceType"] == "OperationOutcome"


GE, LE = "ge2030-01-01T10:00:00+01:00", "le2030-01-02T10:00:00+01:00"
IDS = f"{IDNPS_SYSTEM}|810000000001"
P = "schedule.actor:Practitioner.identifier"


@pytest.mark.parametrize(
    ("query", "parameter", "code"),
    [
        (f"start={LE}&{P}={IDS}&status=free", "start", "required"),
        (f"start={GE}&{P}={IDS}&status=free", "start", "required"),
        (f"start={GE}&start={GE}&start={LE}&{P}={IDS}&status=free", "start", "invalid"),
        (f"start={GE}&start={LE}&start={LE}&{P}={IDS}&status=free", "start", "invalid"),
        (f"start=gt2030-01-01T10:00:00&start={LE}&{P}={IDS}&status=free", "start", "invalid"),
        (f"start=2030-01-01T10:00:00&start={LE}&{P}={IDS}&status=free", "start", "invalid"),
        (f"start=genot-a-date&start={LE}&{P}={IDS}&status=free", "start", "invalid"),
        (f"start=ge2030-02-30T10:00:00&start={LE}&{P}={IDS}&status=free", "start", "invalid"),
        (f"start=ge2030-01-03T10:00:00&start={LE}&{P}={IDS}&status=free", "start", "invalid"),
        (f"start={GE}&start={LE}&{P}={IDS}", "status", "required"),
        (f"start={GE}&start={LE}&{P}={IDS}&status=busy", "status", "invalid"),
        (f"start={GE}&start={LE}&{P}={IDS}&status=free&status=free", "status", "invalid"),
        (f"start={GE}&start={LE}&status=free", P, "required"),
        (
            f"start={GE}&start={LE}&{P}=urn:oid:1.2.250.1.71.4.2.2|810000000001&status=free",
            P,
            "invalid",
        ),
        (f"start={GE}&start={LE}&{P}=810000000001&status=free", P, "invalid"),
        (f"start={GE}&start={LE}&{P}={IDNPS_SYSTEM}|10000000001&status=free", P, "invalid"),
        (f"start={GE}&start={LE}&{P}={IDS},,{IDS}&status=free", P, "invalid"),
        (f"start={GE}&start={LE}&{P}={IDS}&{P}={IDS}&status=free", P, "invalid"),
        (
            f"start={GE}&start={LE}&{P}="
            + ",".join(f"{IDNPS_SYSTEM}|8{n:011d}" for n in range(26))
            + "&status=free",
            P,
            "invalid",
        ),
    ],
)
def test_bad_requests_get_an_operation_outcome(
    server: SimulatorServer, query: str, parameter: str, code: str
) -> None:
    answer = httpx.get(f"{server.base_url}/Slot?{query.replace('+', '%2B')}")
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/fhir+json"
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome"
    [issue] = outcome["issue"]
    assert (issue["severity"], issue["code"]) == ("error", code)
    assert issue["diagnostics"].startswith(f"{parameter}:")


def test_twenty_five_practitioners_are_accepted(server: SimulatorServer) -> None:
    ids = [f"8{n:011d}" for n in range(25)]
    answer = httpx.get(f"{server.base_url}/Slot", params=search_params(*ids))
    assert answer.status_code == 200
    assert answer.json()["total"] == 0
