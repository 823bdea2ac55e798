"""INT_R03 over a real socket: acceptance, §15.4 rejections, idempotency, updates, bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from sas_core.appointments.intake import AppointmentIntake
from sas_core.appointments.outbox import pending_count
from sas_core.serving.server import AsgiServer
from sas_core.storage.parties import StoredParties
from tests.conftest import IG_PACKAGES, needs_ig
from tests.web.conftest import VENDOR_SYSTEM, Pki, appointment, serve, sos_pending

FHIR = {"Content-Type": "application/fhir+json"}


def post(server: AsgiServer, body: Any, **kw: Any) -> httpx.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {**FHIR, **kw.pop("headers", {})}
    return httpx.post(f"{server.base_url}/Appointment", content=data, headers=headers, **kw)


def put(server: AsgiServer, identifier: str, body: Any) -> httpx.Response:
    return httpx.put(
        f"{server.base_url}/Appointment",
        params={"identifier": identifier},
        content=json.dumps(body).encode(),
        headers=FHIR,
    )


def issues(response: httpx.Response) -> list[dict[str, Any]]:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    return list(body["issue"])


def ig_appointments() -> list[Path]:
    return [p for root in IG_PACKAGES.values() for p in sorted(root.glob("example/Appointment-*"))]


@needs_ig
@pytest.mark.parametrize(
    "path", ig_appointments(), ids=lambda p: f"{p.parent.parent.name}/{p.name}"
)
def test_every_ig_example_is_accepted(dev_server: AsgiServer, path: Path) -> None:
    response = post(dev_server, path.read_bytes())
    assert response.status_code == 201, response.text
    assert response.headers["location"].startswith(f"{dev_server.base_url}/Appointment/")


def test_create_then_search_read_and_identical_repost(dev_server: AsgiServer) -> None:
    created = post(dev_server, appointment())
    assert created.status_code == 201
    location = created.headers["location"]
    again = post(dev_server, appointment())
    assert (again.status_code, again.headers["location"]) == (200, location)
    found = httpx.get(
        f"{dev_server.base_url}/Appointment", params={"identifier": f"{VENDOR_SYSTEM}|a-1"}
    ).json()
    assert found["type"] == "searchset" and found["total"] == 1
    assert found["entry"][0]["resource"]["id"] == location.rsplit("/", 1)[1]
    read = httpx.get(location)
    assert read.status_code == 200 and read.json()["status"] == "booked"
    assert read.headers["content-type"].startswith("application/fhir+json")


def test_metadata_declares_conditional_update(dev_server: AsgiServer) -> None:
    statement = httpx.get(f"{dev_server.base_url}/metadata").json()
    resource = statement["rest"][0]["resource"][0]
    assert statement["rest"][0]["mode"] == "server"
    assert resource["updateCreate"] is True and resource["conditionalUpdate"] is True
    assert len(resource["supportedProfile"]) == 2


def test_sos_pending_without_actor_is_accepted(dev_server: AsgiServer) -> None:
    assert post(dev_server, sos_pending()).status_code == 201


def _without(key: str) -> dict[str, Any]:
    resource = appointment()
    del resource[key]
    return resource


def _operator(**identifier: Any) -> dict[str, Any]:
    resource = appointment()
    resource["extension"][0]["valueReference"]["identifier"].update(identifier)
    return resource


def _participant(**changes: Any) -> dict[str, Any]:
    resource = appointment()
    resource["participant"][0].update(changes)
    return resource


REJECTED = {
    "no operator extension": (_without("extension"), "Appointment.extension"),
    "operator not a Reference": (
        appointment(extension=[{"url": appointment()["extension"][0]["url"], "valueString": "x"}]),
        "Appointment.extension[0].valueString",
    ),
    "operator type not IDNPS/INTRN": (
        _operator(
            type={
                "coding": [
                    {"system": "http://interopsante.org/fhir/CodeSystem/fr-v2-0203", "code": "RPPS"}
                ]
            }
        ),
        "Appointment.extension[0].valueReference.identifier.type.coding[0].code",
    ),
    "operator system": (
        _operator(system="urn:oid:1.2.3"),
        "Appointment.extension[0].valueReference.identifier.system",
    ),
    "two identifiers": (
        appointment(identifier=[{"system": VENDOR_SYSTEM, "value": "1"}] * 2),
        "Appointment.identifier",
    ),
    "identifier without system": (
        appointment(identifier=[{"value": "1"}]),
        "Appointment.identifier[0].system",
    ),
    "no status": (_without("status"), "Appointment.status"),
    "status outside the value set": (appointment(status="done"), "Appointment.status"),
    "no start": (_without("start"), "Appointment.start"),
    "no participant": (_without("participant"), "Appointment.participant"),
    "participant status": (_participant(status="declined"), "Appointment.participant[0].status"),
    "participant without status": (
        {**appointment(), "participant": [{"actor": appointment()["participant"][0]["actor"]}]},
        "Appointment.participant[0].status",
    ),
    "actor system": (
        {
            **appointment(),
            "participant": [
                {
                    "status": "accepted",
                    "actor": {
                        "identifier": {
                            **appointment()["participant"][0]["actor"]["identifier"],
                            "system": "urn:oid:9",
                        }
                    },
                }
            ],
        },
        "Appointment.participant[0].actor.identifier.system",
    ),
    "specialty outside fr-practitioner-specialty": (
        appointment(specialty=[{"coding": [{"system": "urn:other", "code": "x"}]}]),
        "Appointment.specialty[0].coding[0].system",
    ),
    "SOS with a second extension": (
        {
            **sos_pending(),
            "extension": [*sos_pending()["extension"], {"url": "urn:x", "valueString": "y"}],
        },
        "Appointment.extension[1]",
    ),
    "empty element": (appointment(created=""), "Appointment.created"),
}


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_profile_rules_answer_422_naming_the_element(dev_server: AsgiServer, case: str) -> None:
    body, expression = REJECTED[case]
    response = post(dev_server, body)
    assert response.status_code == 422, response.text
    found = issues(response)
    assert any(expression in i.get("expression", []) for i in found), found
    assert all(i["diagnostics"] for i in found)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (json.dumps({"resourceType": "Patient"}).encode(), 400),
    ],
)
def test_malformed_bodies_answer_400(dev_server: AsgiServer, body: bytes, status: int) -> None:
    response = post(dev_server, body)
    assert response.status_code == status
    assert issues(response)


def test_different_content_under_the_same_identifier_is_409_pointing_to_put(
    dev_server: AsgiServer,
) -> None:
    assert post(dev_server, appointment()).status_code == 201
    response = post(dev_server, appointment(status="cancelled"))
    assert response.status_code == 409
    assert "PUT [base]/Appointment?identifier=" in issues(response)[0]["diagnostics"]


def test_put_creates_updates_cancels_and_keeps_history(
    engine: Engine, dev_server: AsgiServer
) -> None:
    token = f"{VENDOR_SYSTEM}|p-1"
    created = put(dev_server, token, appointment("p-1"))
    assert created.status_code == 201
    for status in ("cancelled", "booked", "fulfilled"):
        response = put(dev_server, token, appointment("p-1", status=status))
        assert response.status_code == 200
        assert response.headers["location"] == created.headers["location"]
    appointment_id = created.headers["location"].rsplit("/", 1)[1]
    history = AppointmentIntake(engine, StoredParties(engine)).history(appointment_id)
    assert [h.status for h in history] == ["booked", "cancelled", "booked", "fulfilled"]
    assert [h.previous_status for h in history] == [None, "booked", "cancelled", "booked"]
    assert pending_count(engine) == 4


def test_put_with_another_identifier_in_the_body_is_422(dev_server: AsgiServer) -> None:
    response = put(dev_server, f"{VENDOR_SYSTEM}|q-1", appointment("q-2"))
    assert response.status_code == 422
    assert issues(response)[0]["expression"] == ["Appointment.identifier[0]"]


def test_unknown_regulator_and_practitioner_are_stored_and_flagged(
    engine: Engine, dev_server: AsgiServer
) -> None:
    assert post(dev_server, appointment()).status_code == 201
    stored = AppointmentIntake(engine, StoredParties(engine)).search(f"{VENDOR_SYSTEM}|a-1", None)
    assert len(stored) == 1
    from sqlalchemy.orm import Session

    from sas_core.storage import StoredAppointment

    with Session(engine) as session:
        row = session.get(StoredAppointment, stored[0]["id"])
        assert row is not None
        assert row.review_reasons == [
            "unknown regulator urn:oid:1.2.250.1.213.3.6|b6e39355-8a61-4556-b340-36f7b95fec6a",
            "unknown practitioner 810100050075",
        ]


def test_known_regulator_and_practitioner_are_not_flagged(
    engine: Engine, dev_server: AsgiServer
) -> None:
    from sqlalchemy.orm import Session

    from sas_core import AdapterOutcome, Regulator, SearchWindow, Slot
    from sas_core.storage import StoredAppointment, record_fetch
    from sas_core.storage.accounts import save_regulator

    now = datetime.now(UTC)
    regulator = Regulator(
        id="b6e39355-8a61-4556-b340-36f7b95fec6a",
        family="LORIDON",
        given="Sébastien",
        email="sebastien.loridon@test.com",
    )
    save_regulator(engine, regulator, now)
    window = SearchWindow(start=now, end=now + timedelta(hours=1))
    slot = Slot(
        id="s1",
        start=now,
        end=now + timedelta(minutes=15),
        practitioner="810100050075",
        adapter="v",
        fetched_at=now,
    )
    outcome = AdapterOutcome(adapter="v", status="ok", duration_ms=1, requests=1, slot_count=1)
    record_fetch(
        engine,
        kind="cli",
        window=window,
        practitioners=["810100050075"],
        structures=[],
        outcomes=[outcome],
        slots=[slot],
        started_at=now,
        finished_at=now,
    )
    assert post(dev_server, appointment()).status_code == 201
    stored = AppointmentIntake(engine, StoredParties(engine)).search(f"{VENDOR_SYSTEM}|a-1", None)
    with Session(engine) as session:
        row = session.get(StoredAppointment, stored[0]["id"])
        assert row is not None
        assert row.review_reasons == []


def test_bad_requests_change_nothing(engine: Engine) -> None:
    with serve(engine, max_body_bytes=4096) as server:
        created = post(server, appointment())
        before = httpx.get(created.headers["location"]).json()
        big = appointment()
        big["comment"] = "x" * 5000
        too_large = post(server, big)
        assert too_large.status_code == 413 and issues(too_large)
        wrong_type = post(
            server, appointment(status="cancelled"), headers={"Content-Type": "text/plain"}
        )
        assert wrong_type.status_code == 415 and issues(wrong_type)
        assert post(server, b"{").status_code == 400
        assert post(server, appointment(status="cancelled")).status_code == 409
        assert (
            put(server, f"{VENDOR_SYSTEM}|a-1", {"resourceType": "Appointment"}).status_code == 422
        )
        after = httpx.get(created.headers["location"]).json()
        assert after == before and after["status"] == "booked"
        assert pending_count(engine) == 1


def test_mutual_tls_vendors(engine: Engine, pki: Pki, tmp_path: Path) -> None:
    acme = pki.client("acme", "acme-lga", "ACME")
    globex = pki.client("globex", "globex-lga", "GLOBEX")
    stranger = pki.client("stranger", "unknown-lga", "ACME")
    foreign = pki.client("foreign", "acme-lga", "ACME", ca=pki.other_ca)
    expired = pki.client(
        "expired", "acme-lga", "ACME", not_after=datetime.now(UTC) - timedelta(days=1)
    )
    with serve(engine, pki.allow_list(), tls=pki.tls) as server:

        def client(cert: Path | None) -> httpx.Client:
            import ssl

            context = ssl.create_default_context(cafile=str(pki.ca_file))
            if cert is not None:
                context.load_cert_chain(str(cert))
            return httpx.Client(verify=context, timeout=5)

        url = f"{server.base_url}/Appointment"
        body = json.dumps(appointment()).encode()
        with client(acme) as c:
            assert c.post(url, content=body, headers=FHIR).status_code == 201
        with client(globex) as c:
            # Globex's identifiers are its own: the same system|value is its own appointment.
            response = c.put(
                url,
                params={"identifier": f"{VENDOR_SYSTEM}|a-1"},
                content=json.dumps(appointment(status="cancelled")).encode(),
                headers=FHIR,
            )
            assert response.status_code == 201
        with client(stranger) as c:
            response = c.post(url, content=body, headers=FHIR)
            assert response.status_code == 403
            assert "allow-list" in issues(response)[0]["diagnostics"]
        for refused in (None, foreign, expired):
            with (
                client(refused) as c,
                pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)),
            ):
                c.post(url, content=body, headers=FHIR)
        with client(acme) as c:
            stored = c.get(url, params={"identifier": f"{VENDOR_SYSTEM}|a-1"}).json()
            assert stored["total"] == 1 and stored["entry"][0]["resource"]["status"] == "booked"
