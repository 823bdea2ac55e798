"""INT_R03 over a real socket: every malformed Appointment is a 4xx OperationOutcome naming the
element, the rule and its issue code, and changes nothing; odd but valid ones are stored and
served back as sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from sas_core.fhir.json_shape import MAX_DEPTH
from sas_core.serving.server import AsgiServer
from sas_core.storage import StoredAppointment
from sas_core.storage.appointments import AppointmentChange, OutboxMessage
from tests.web.conftest import VENDOR_SYSTEM, appointment

FHIR = {"Content-Type": "application/fhir+json"}
XHTML = 'xmlns="http://www.w3.org/1999/xhtml"'

Change = Callable[[dict[str, Any]], object]


def stored_rows(engine: Engine) -> tuple[int, ...]:
    """Rows in the appointment, history and outbox tables."""
    with Session(engine) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (StoredAppointment, AppointmentChange, OutboxMessage)
        )


def send(server: AsgiServer, body: bytes) -> httpx.Response:
    return httpx.post(f"{server.base_url}/Appointment", content=body, headers=FHIR)


def changed(change: Change) -> bytes:
    resource = appointment()
    change(resource)
    return json.dumps(resource).encode()


def participant(**fields: Any) -> Change:
    return lambda r: r["participant"][0].update(fields)


def narrative(div: str, status: str = "generated") -> Change:
    return lambda r: r.update(text={"status": status, "div": div})


def nested_extensions(levels: int) -> dict[str, Any]:
    """An extension holding an extension … `levels` deep: valid FHIR, only deeper. As the second
    extension of an Appointment, its deepest object (a coding) lies at 6 + 2 × `levels`."""
    leaf = {"coding": [{"code": "c"}]}
    extension: dict[str, Any] = {"url": "urn:x", "valueCodeableConcept": leaf}
    for _ in range(levels):
        extension = {"url": "urn:x", "extension": [extension]}
    return extension


REFUSED: dict[str, tuple[Change, int, str, str]] = {
    # JSON types of the elements the platform reads or serves back.
    "meta a number": (lambda r: r.update(meta=1.5), 422, "Appointment.meta", "structure"),
    "meta a string": (lambda r: r.update(meta="x"), 422, "Appointment.meta", "structure"),
    "meta a boolean": (lambda r: r.update(meta=True), 422, "Appointment.meta", "structure"),
    "status an array": (
        lambda r: r.update(status=["booked"]),
        422,
        "Appointment.status",
        "structure",
    ),
    "status an object": (
        lambda r: r.update(status={"code": "booked"}),
        422,
        "Appointment.status",
        "structure",
    ),
    "profile an array": (
        lambda r: r["meta"].update(profile=[["x"]]),
        422,
        "Appointment.meta.profile[0]",
        "structure",
    ),
    "profile an object": (
        lambda r: r["meta"].update(profile=[{"url": "x"}]),
        422,
        "Appointment.meta.profile[0]",
        "structure",
    ),
    "profile not an array": (
        lambda r: r["meta"].update(
            profile="http://sas.fr/fhir/StructureDefinition/FrAppointmentSAS"
        ),
        422,
        "Appointment.meta.profile",
        "structure",
    ),
    "actor true": (participant(actor=True), 422, "Appointment.participant[0].actor", "structure"),
    "actor 0": (participant(actor=0), 422, "Appointment.participant[0].actor", "structure"),
    "actor 1.5": (participant(actor=1.5), 422, "Appointment.participant[0].actor", "structure"),
    "actor a string": (
        participant(actor="x"),
        422,
        "Appointment.participant[0].actor",
        "structure",
    ),
    "actor null": (participant(actor=None), 422, "Appointment.participant[0].actor", "invalid"),
    "actor identifier null": (
        participant(actor={"identifier": None}),
        422,
        "Appointment.participant[0].actor.identifier",
        "invalid",
    ),
    "identifier an object": (
        lambda r: r.update(identifier={"system": VENDOR_SYSTEM, "value": "a-1"}),
        422,
        "Appointment.identifier",
        "structure",
    ),
    "id a number": (lambda r: r.update(id=7), 422, "Appointment.id", "structure"),
    "id with a space": (lambda r: r.update(id="a b"), 422, "Appointment.id", "value"),
    "text a string": (lambda r: r.update(text="hello"), 422, "Appointment.text", "structure"),
    "extension url a number": (
        lambda r: r["extension"][0].update(url=5),
        422,
        "Appointment.extension[0].url",
        "structure",
    ),
    "extension without url": (
        lambda r: r["extension"][0].pop("url"),
        422,
        "Appointment.extension[0].url",
        "required",
    ),
    "ext-1: value and extensions": (
        lambda r: r["extension"][0].update(extension=[{"url": "urn:x", "valueString": "y"}]),
        422,
        "Appointment.extension[0]",
        "invariant",
    ),
    "operator identifier value a number": (
        lambda r: r["extension"][0]["valueReference"]["identifier"].update(value=42),
        422,
        "Appointment.extension[0].valueReference.identifier.value",
        "structure",
    ),
    "priority beyond 32 bits": (
        lambda r: r.update(priority=2**40),
        422,
        "Appointment.priority",
        "value",
    ),
    "minutesDuration 0": (
        lambda r: r.update(minutesDuration=0),
        422,
        "Appointment.minutesDuration",
        "value",
    ),
    "minutesDuration 1.5": (
        lambda r: r.update(minutesDuration=1.5),
        422,
        "Appointment.minutesDuration",
        "structure",
    ),
    "participant.required outside its value set": (
        participant(required="maybe"),
        422,
        "Appointment.participant[0].required",
        "value",
    ),
    "an element R4 Appointment does not define": (
        lambda r: r.update(subject={"reference": "Patient/1"}),
        422,
        "Appointment.subject",
        "structure",
    ),
    "null inside a list": (
        lambda r: r.update(slot=[None]),
        422,
        "Appointment.slot[0]",
        "invalid",
    ),
    # NUL and other control characters, in values and in keys.
    "NUL in identifier.system": (
        lambda r: r.update(identifier=[{"system": "urn:x\x00y", "value": "a-1"}]),
        422,
        "Appointment.identifier[0].system",
        "value",
    ),
    "NUL in a comment": (lambda r: r.update(comment="a\x00b"), 422, "Appointment.comment", "value"),
    "BEL in a comment": (lambda r: r.update(comment="a\x07b"), 422, "Appointment.comment", "value"),
    "NUL in a key": (
        lambda r: r.update({"comm\x00ent": "x"}),
        422,
        "Appointment.comm\x00ent",
        "structure",
    ),
    # Dates: FHIR's offsets and years, and what converts to UTC and Paris time.
    "offset +15:00": (
        lambda r: r.update(start="2026-12-01T10:00:00+15:00"),
        422,
        "Appointment.start",
        "value",
    ),
    "year 1 at +14:00": (
        lambda r: r.update(start="0001-01-01T00:00:00+14:00"),
        422,
        "Appointment.start",
        "value",
    ),
    "year 9999 at -14:00": (
        lambda r: r.update(end="9999-12-31T23:59:59-14:00"),
        422,
        "Appointment.end",
        "value",
    ),
    "period with a bad dateTime": (
        participant(period={"start": "2026-12-01 10:00"}),
        422,
        "Appointment.participant[0].period.start",
        "value",
    ),
    # FHIR R4 Appointment invariants.
    "app-1: participant without type or actor": (
        lambda r: r["participant"][0].pop("actor"),
        422,
        "Appointment.participant[0]",
        "invariant",
    ),
    "app-2: start without end": (lambda r: r.pop("end"), 422, "Appointment.end", "invariant"),
    "app-3: booked without start and end": (
        lambda r: (r.pop("start"), r.pop("end")),
        422,
        "Appointment.start",
        "invariant",
    ),
    "app-4: cancelationReason on a booked appointment": (
        lambda r: r.update(cancelationReason={"text": "patient"}),
        422,
        "Appointment.cancelationReason",
        "invariant",
    ),
    # The narrative: txt-1, txt-2, well-formed XHTML.
    "txt-1: script": (
        narrative(f"<div {XHTML}><script>alert(1)</script>x</div>"),
        422,
        "Appointment.text.div",
        "invariant",
    ),
    "txt-1: onclick": (
        narrative(f'<div {XHTML}><p onclick="alert(1)">x</p></div>'),
        422,
        "Appointment.text.div",
        "invariant",
    ),
    "txt-1: javascript link": (
        narrative(f'<div {XHTML}><a href="javascript:alert(1)">x</a></div>'),
        422,
        "Appointment.text.div",
        "invariant",
    ),
    "txt-1: iframe": (
        narrative(f'<div {XHTML}><iframe src="https://x"/>x</div>'),
        422,
        "Appointment.text.div",
        "invariant",
    ),
    "txt-2: no content": (
        narrative(f"<div {XHTML}> <p/> </div>"),
        422,
        "Appointment.text.div",
        "invariant",
    ),
    "narrative outside the XHTML namespace": (
        narrative("<div>x</div>"),
        422,
        "Appointment.text.div",
        "invariant",
    ),
    "narrative not well-formed": (
        narrative(f"<div {XHTML}><p>x</div>"),
        422,
        "Appointment.text.div",
        "structure",
    ),
    "narrative with an HTML entity": (
        narrative(f"<div {XHTML}>a&nbsp;b</div>"),
        422,
        "Appointment.text.div",
        "structure",
    ),
    "narrative status outside its value set": (
        narrative(f"<div {XHTML}>x</div>", status="done"),
        422,
        "Appointment.text.status",
        "value",
    ),
    # The profile's limits (existing rule, now with FHIR's code for it).
    "identifier value longer than stored": (
        lambda r: r.update(identifier=[{"system": VENDOR_SYSTEM, "value": "v" * 501}]),
        422,
        "Appointment.identifier[0].value",
        "too-long",
    ),
    # Nesting, within what orjson reads: refused before anything walks it further.
    "nesting beyond the limit": (
        lambda r: r.update(extension=[*r["extension"], nested_extensions(MAX_DEPTH)]),
        400,
        "Appointment.extension[1]" + ".extension[0]" * ((MAX_DEPTH - 1) // 2),
        "too-long",
    ),
    "nesting 600 deep": (
        lambda r: r.update(extension=[*r["extension"], nested_extensions(300)]),
        400,
        "Appointment.extension[1]" + ".extension[0]" * ((MAX_DEPTH - 1) // 2),
        "too-long",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_malformed_appointments_are_refused_naming_element_rule_and_code(
    engine: Engine, dev_server: AsgiServer, case: str
) -> None:
    change, status, expression, code = REFUSED[case]
    response = send(dev_server, changed(change))
    assert response.status_code == status, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    matching = [i for i in outcome["issue"] if i.get("expression") == [expression]]
    assert matching, outcome
    assert any(i["code"] == code for i in matching), matching
    assert all(i["diagnostics"] and i["severity"] == "error" for i in outcome["issue"])
    assert stored_rows(engine) == (0, 0, 0)


RAW_REFUSED: dict[str, tuple[bytes, str | None, str]] = {
    "a key twice at the root": (
        changed(lambda r: None)[:-1] + b', "status": "cancelled"}',
        "Appointment",
        "structure",
    ),
    "a key twice in a participant": (
        changed(lambda r: None).replace(
            b'"status": "accepted"', b'"status": "accepted", "status" : "x"'
        ),
        "Appointment.participant[0]",
        "structure",
    ),
    "nesting beyond what the decoder reads": (
        b'{"resourceType": "Appointment", "comment": ' + b"[" * 1100 + b"]" * 1100 + b"}",
        None,
        "structure",
    ),
    "resourceType an array": (b'{"resourceType": ["Appointment"]}', "resourceType", "invalid"),
}


@pytest.mark.parametrize("case", sorted(RAW_REFUSED))
def test_bodies_that_are_not_one_readable_appointment_are_400(
    engine: Engine, dev_server: AsgiServer, case: str
) -> None:
    body, expression, code = RAW_REFUSED[case]
    response = send(dev_server, body)
    assert response.status_code == 400, response.text
    [issue] = response.json()["issue"]
    assert issue.get("expression") == ([expression] if expression else None)
    assert issue["code"] == code
    assert stored_rows(engine) == (0, 0, 0)


def test_a_refused_update_changes_nothing(engine: Engine, dev_server: AsgiServer) -> None:
    created = send(dev_server, changed(lambda r: None))
    assert created.status_code == 201
    before = httpx.get(created.headers["location"]).json()
    rows = stored_rows(engine)
    for change in (lambda r: r.update(meta=1.5), lambda r: r.update(status=["cancelled"])):
        response = httpx.put(
            f"{dev_server.base_url}/Appointment",
            params={"identifier": f"{VENDOR_SYSTEM}|a-1"},
            content=changed(change),
            headers=FHIR,
        )
        assert response.status_code == 422
    assert stored_rows(engine) == rows
    assert httpx.get(created.headers["location"]).json() == before


ACCEPTED: dict[str, Change] = {
    "cancelationReason on a cancelled appointment (app-4)": lambda r: r.update(
        status="cancelled", cancelationReason={"text": "patient"}
    ),
    "a participant with a type and no actor (app-1)": lambda r: r["participant"].append(
        {"type": [{"text": "admitter"}], "status": "accepted"}
    ),
    "a primitive's extension (`_comment`)": lambda r: r.update(
        comment="x", _comment={"extension": [{"url": "urn:x", "valueBoolean": True}]}
    ),
    'a string holding `":`, as keys end': lambda r: r.update(comment='say "a": 1, "b" : 2'),
    "a contained resource": lambda r: r.update(
        contained=[{"resourceType": "Patient", "id": "p", "name": [{"family": "X"}]}]
    ),
    "right-to-left text, emoji and a 100,000-character comment": lambda r: r.update(
        description="\u05e9\u05dc\u05d5\u05dd \u202eevil\u202c 🩺", comment="é" * 100_000
    ),
    "a narrative in FHIR's XHTML": narrative(
        f'<div {XHTML}><p xml:lang="fr" style="color: red">Rendez-vous&#160;<b>confirmé</b></p>'
        '<table class="grid"><tr><td><a href="https://example.org/x">lien</a></td></tr></table>'
        "</div>"
    ),
    "offsets at FHIR's bounds": lambda r: r.update(
        start="2026-12-01T10:00:00+14:00", end="2026-12-01T10:15:00-14:00"
    ),
    f"nesting of exactly {MAX_DEPTH} levels": lambda r: r.update(
        extension=[*r["extension"], nested_extensions((MAX_DEPTH - 6) // 2)]
    ),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_odd_but_valid_appointments_are_stored_and_served_back_as_sent(
    dev_server: AsgiServer, case: str
) -> None:
    body = changed(ACCEPTED[case])
    created = send(dev_server, body)
    assert created.status_code == 201, created.text
    served = httpx.get(created.headers["location"]).json()
    sent = json.loads(body)
    assert (
        served.pop("id") and served["meta"].pop("versionId") and served["meta"].pop("lastUpdated")
    )
    assert served == sent
