"""INT_R03 rules that depend on the database's constraints, over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from sas_core.identifiers import IDNST_SYSTEM
from sas_core.serving.server import AsgiServer
from sas_core.storage import StoredAppointment, create_engine_for, upgrade
from tests.web.conftest import VENDOR_SYSTEM, appointment, serve, sos_pending

FHIR = {"Content-Type": "application/fhir+json"}
TOKEN = f"{VENDOR_SYSTEM}|a-1"


class HeaderVendor:
    """The vendor named by `X-Test-Vendor`: two vendors on one server without a PKI."""

    def vendor_of(self, scope: Mapping[str, Any], headers: Mapping[str, str]) -> str:
        return headers["x-test-vendor"]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_engine_for(url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def server(database: Engine) -> Iterator[AsgiServer]:
    with serve(database, HeaderVendor()) as running:
        yield running


def as_vendor(server: AsgiServer, vendor: str) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, headers={"X-Test-Vendor": vendor}, timeout=5)


def test_another_vendors_appointments_are_invisible(server: AsgiServer) -> None:
    with as_vendor(server, "acme") as acme, as_vendor(server, "globex") as globex:
        first = acme.post("/Appointment", json=appointment(), headers=FHIR)
        assert first.status_code == 201
        acme_location = first.headers["location"]
        before = acme.get(acme_location).json()

        # The same system|value from another vendor is another appointment, not a refusal.
        second = globex.post("/Appointment", json=appointment(status="cancelled"), headers=FHIR)
        assert second.status_code == 201, second.text
        globex_location = second.headers["location"]
        assert globex_location != acme_location

        updated = globex.put(
            "/Appointment",
            params={"identifier": TOKEN},
            json=appointment(status="fulfilled"),
            headers=FHIR,
        )
        assert updated.status_code == 200
        assert updated.headers["location"] == globex_location
        created = globex.put(
            "/Appointment",
            params={"identifier": f"{VENDOR_SYSTEM}|b-1"},
            json=appointment("b-1"),
            headers=FHIR,
        )
        assert created.status_code == 201

        # A read by id of another vendor's appointment does not reveal that it exists.
        for client, location in ((globex, acme_location), (acme, globex_location)):
            hidden = client.get(location)
            assert hidden.status_code == 404
            assert hidden.json()["resourceType"] == "OperationOutcome"

        assert acme.get(acme_location).json() == before
        found = acme.get("/Appointment", params={"identifier": TOKEN}).json()
        assert found["total"] == 1 and found["entry"][0]["fullUrl"] == acme_location
        assert (
            acme.get("/Appointment", params={"identifier": f"{VENDOR_SYSTEM}|b-1"}).json()["total"]
            == 0
        )
        mine = globex.get("/Appointment", params={"identifier": TOKEN}).json()
        assert [e["resource"]["status"] for e in mine["entry"]] == ["fulfilled"]


def test_a_vendor_still_cannot_post_two_contents_under_one_identifier(server: AsgiServer) -> None:
    with as_vendor(server, "acme") as acme:
        assert acme.post("/Appointment", json=appointment(), headers=FHIR).status_code == 201
        again = acme.post("/Appointment", json=appointment(), headers=FHIR)
        assert again.status_code == 200
        changed = acme.post("/Appointment", json=appointment(status="cancelled"), headers=FHIR)
        assert changed.status_code == 409


def _operator_value(value: str) -> dict[str, Any]:
    resource = appointment()
    resource["extension"][0]["valueReference"]["identifier"]["value"] = value
    return resource


TOO_LONG = {
    "identifier value": (
        appointment("x" * 501),
        "Appointment.identifier[0].value",
        500,
    ),
    "identifier system": (
        appointment(identifier=[{"system": "urn:x:" + "y" * 495, "value": "a-1"}]),
        "Appointment.identifier[0].system",
        500,
    ),
    "operator value": (
        _operator_value("z" * 201),
        "Appointment.extension[0].valueReference.identifier.value",
        200,
    ),
}


@pytest.mark.parametrize("case", sorted(TOO_LONG))
def test_values_longer_than_their_column_are_422_naming_element_and_limit(
    server: AsgiServer, case: str
) -> None:
    body, expression, limit = TOO_LONG[case]
    with as_vendor(server, "acme") as acme:
        for response in (
            acme.post("/Appointment", json=body, headers=FHIR),
            acme.put(
                "/Appointment",
                params={"identifier": "|".join(body["identifier"][0].values())},
                json=body,
                headers=FHIR,
            ),
        ):
            assert response.status_code == 422, response.text
            [issue] = response.json()["issue"]
            assert issue["expression"] == [expression]
            assert f"at most {limit}" in issue["diagnostics"]
            assert issue["code"] == "too-long"


def test_values_as_long_as_their_column_are_stored(server: AsgiServer) -> None:
    body = appointment(identifier=[{"system": "urn:x:" + "y" * 494, "value": "v" * 500}])
    body["extension"][0]["valueReference"]["identifier"]["value"] = "z" * 200
    with as_vendor(server, "acme") as acme:
        created = acme.post("/Appointment", json=body, headers=FHIR)
        assert created.status_code == 201, created.text
        assert acme.get(created.headers["location"]).json()["identifier"] == body["identifier"]


def test_an_sos_structure_too_long_to_be_an_idnst_is_not_linked(
    database: Engine, server: AsgiServer
) -> None:
    """SOS actors are unconstrained (§9.5): what cannot be linked is ignored, never refused."""
    body = sos_pending()
    body["participant"][0]["actor"] = {
        "identifier": {"system": IDNST_SYSTEM, "value": "0" + "A" * 30}
    }
    with as_vendor(server, "acme") as acme:
        created = acme.post("/Appointment", json=body, headers=FHIR)
    assert created.status_code == 201, created.text
    with Session(database) as session:
        row = session.get(StoredAppointment, created.headers["location"].rsplit("/", 1)[1])
        assert row is not None and row.structure_idnst is None


def test_nul_characters_are_refused_alike_and_change_nothing(
    database: Engine, server: AsgiServer
) -> None:
    """PostgreSQL cannot store or even compare NUL; SQLite could: both refuse it the same way."""
    with as_vendor(server, "acme") as acme:
        assert acme.post("/Appointment", json=appointment(), headers=FHIR).status_code == 201
        body = appointment(identifier=[{"system": "urn:x\x00y", "value": "a-1"}])
        refused = acme.post("/Appointment", json=body, headers=FHIR)
        assert refused.status_code == 422
        assert refused.json()["issue"][0]["expression"] == ["Appointment.identifier[0].system"]
        nul_key = acme.post("/Appointment", json={**appointment("b"), "x\x00": "y"}, headers=FHIR)
        assert nul_key.status_code == 422
        for response in (
            acme.get("/Appointment", params={"identifier": f"{VENDOR_SYSTEM}|a\x00"}),
            acme.put(
                "/Appointment",
                params={"identifier": f"{VENDOR_SYSTEM}|a\x00"},
                json=appointment(),
                headers=FHIR,
            ),
        ):
            assert response.status_code == 400, response.text
            assert response.json()["issue"][0]["expression"] == ["identifier"]
        unknown = acme.get("/Appointment/a%00b")
        assert unknown.status_code == 404
        assert unknown.json()["resourceType"] == "OperationOutcome"
        found = acme.get("/Appointment", params={"identifier": TOKEN}).json()
        assert found["total"] == 1 and found["entry"][0]["resource"]["meta"]["versionId"] == "1"


def test_a_row_stored_before_meta_was_checked_is_still_served(
    database: Engine, server: AsgiServer
) -> None:
    """Rows stored with `"meta": 1.5` before the intake refused it answer reads and searches."""
    with as_vendor(server, "acme") as acme:
        location = acme.post("/Appointment", json=appointment(), headers=FHIR).headers["location"]
        with Session(database) as session, session.begin():
            row = session.get(StoredAppointment, location.rsplit("/", 1)[1])
            assert row is not None
            row.resource = {**row.resource, "meta": 1.5}
        read = acme.get(location)
        assert read.status_code == 200 and read.json()["meta"]["versionId"] == "1"
        found = acme.get("/Appointment", params={"identifier": TOKEN})
        assert found.status_code == 200 and found.json()["total"] == 1
