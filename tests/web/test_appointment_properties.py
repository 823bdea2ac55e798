"""Property: whatever a vendor sends to INT_R03, the platform answers it without a 5xx; a refusal
is an OperationOutcome and stores nothing; an acceptance is served back as sent.

Hypothesis mutates the IG's Appointment examples (when ../shared is there) and the suite's own
FrAppointmentSAS and SOS bodies: deletions, JSON type swaps, strange strings (NUL, lone
surrogates, right-to-left marks, 100,000 characters), odd dates, deep nesting and duplicated
keys, sent by POST or conditional PUT through the real app on a socket, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from sas_core.storage import StoredAppointment, create_engine_for, upgrade
from sas_core.storage.appointments import AppointmentChange, OutboxMessage
from tests.conftest import IG_PACKAGES
from tests.web.conftest import appointment, serve, sos_pending

pytestmark = pytest.mark.slow

FHIR = {"Content-Type": "application/fhir+json"}
NARRATIVE = {
    "status": "generated",
    "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Rendez-vous <b>confirmé</b></p></div>',
}


def seeds() -> list[dict[str, Any]]:
    """The IG's Appointment examples when ../shared is there, and the suite's own bodies."""
    own = [appointment(), sos_pending(), {**appointment("n-1"), "text": NARRATIVE}]
    examples = [
        json.loads(path.read_text(encoding="utf-8"))
        for root in IG_PACKAGES.values()
        for path in sorted(root.glob("example/Appointment-*.json"))
    ]
    return examples + own


STRANGE_STRINGS = [
    "",
    " ",
    "x",
    "a\x00b",
    "\x00",
    "tab\there",
    "bell\x07",
    "\ud800",
    "\udfff lone",
    "\u202eevil\u202c",
    "שלום",
    "🩺" * 10,
    "x" * 100_000,
    "é" * 600,
    "urn:oid:1.2.3|4",
    "<script>alert(1)</script>",
    "booked",
    "cancelled",
    "needs-action",
    "http://sas.fr/fhir/StructureDefinition/FrAppointmentSAS",
    "https://interop.esante.gouv.fr/ig/fhir/sas/StructureDefinition/sas-sos-appointment",
    "810100050075",
]
ODD_DATES = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:30:00Z",
    "0001-01-01T00:00:00Z",
    "2024-02-30T10:00:00Z",
    "2024-01-01T24:00:00Z",
    "2024-01-01T23:59:60Z",
    "2024-01-01T10:00:00+15:00",
    "2024-01-01T10:00:00+14:00",
    "2024-01-01T10:00:00",
    "2024-01-01",
    "0000-01-01T00:00:00Z",
    "2026-12-01T10:15:00.000000001+01:00",
]
JSON_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    2**40,
    2**70,
    -0.0,
    [],
    {},
    [None],
    ["x"],
    [1, [2, [3]]],
    {"a": 1},
    {"url": "urn:x", "valueString": "y"},
    {"text": "t"},
]
KEYS = [
    "comment",
    "status",
    "meta",
    "text",
    "id",
    "subject",
    "_status",
    "_comment",
    "cancelationReason",
    "extension",
    "a\x00",
    "",
    "resourceType",
    "valueString",
    "actor",
    "type",
]
DEEP = "__deep_nesting__"

values = st.one_of(
    st.sampled_from(STRANGE_STRINGS),
    st.sampled_from(ODD_DATES),
    st.sampled_from(JSON_VALUES),
    st.text(max_size=20),
    st.just(DEEP),
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key or index path inside `value`, the root's `()` first."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, str]:
    """A body and the method to send it with: POST, or PUT to the token it names."""
    document = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    if draw(st.booleans()):
        # A key of its own, so that this body creates rather than meets an earlier one.
        document["identifier"] = [{"system": "urn:oid:1.2.3", "value": draw(st.uuids()).hex}]
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(list(paths(document))))
        kind = draw(st.sampled_from(["delete", "replace", "add", "wrap", "date", "free text"]))
        if kind == "free text":
            # Free text the platform only stores: strange strings that may well be accepted.
            element = draw(st.sampled_from(["comment", "description", "patientInstruction"]))
            document[element] = draw(st.sampled_from(STRANGE_STRINGS))
            continue
        if not path:
            kind = "add"
        target = at(document, path)
        parent: Any = at(document, path[:-1]) if path else None
        last = path[-1] if path else None
        if kind == "delete":
            del parent[last]
        elif kind == "replace":
            parent[last] = draw(values)
        elif kind == "wrap":
            parent[last] = draw(st.sampled_from([[target], {"value": target}]))
        elif kind == "date":
            parent[last] = draw(st.sampled_from(ODD_DATES))
        elif isinstance(target, dict):
            target[draw(st.sampled_from(KEYS))] = draw(values)
        elif isinstance(target, list):
            target.append(draw(values))
    body = json.dumps(document).encode()
    depth = draw(st.sampled_from([31, 33, 200, 1000, 1030]))
    body = body.replace(json.dumps(DEEP).encode(), b"[" * depth + b"]" * depth)
    if draw(st.integers(0, 7)) == 0 and document:
        key = draw(st.sampled_from(sorted(document)))
        duplicate = json.dumps({key: draw(st.sampled_from(JSON_VALUES))}).encode()
        body = duplicate[:-1] + b", " + body[1:]
    method = draw(st.sampled_from(["POST", "PUT"]))
    return body, method


SEEDS = seeds()


def put_token(body: bytes) -> str:
    """The token a vendor would name: the body's identifier when it has one, else junk."""
    try:
        identifier = orjson.loads(body)["identifier"][0]
        return f"{identifier['system']}|{identifier['value']}"
    except (orjson.JSONDecodeError, LookupError, TypeError):
        return "urn:x|\x00"


def rows(engine: Engine) -> tuple[int, ...]:
    with Session(engine) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (StoredAppointment, AppointmentChange, OutboxMessage)
        )


def without_server_fields(resource: dict[str, Any]) -> dict[str, Any]:
    """The content a read must give back: all but id and meta.versionId/lastUpdated."""
    content = {k: v for k, v in resource.items() if k != "id"}
    meta = content.get("meta")
    if isinstance(meta, dict):
        meta = {k: v for k, v in meta.items() if k not in ("versionId", "lastUpdated")}
        if meta:
            content["meta"] = meta
        else:
            del content["meta"]
    return content


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'properties.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_engine_for(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_any_body_is_answered_without_5xx_atomically_and_served_back_intact(
    database: Engine,
) -> None:
    with serve(database) as server, httpx.Client(base_url=server.base_url, timeout=30) as client:

        @settings(
            max_examples=200,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(mutated())
        def answers(case: tuple[bytes, str]) -> None:
            body, method = case
            before = rows(database)
            if method == "POST":
                response = client.post("/Appointment", content=body, headers=FHIR)
            else:
                token = put_token(body)
                response = client.put(
                    "/Appointment", params={"identifier": token}, content=body, headers=FHIR
                )
            after = rows(database)
            event(f"{method} answered {response.status_code}")
            assert response.status_code < 500, response.text
            answer = response.json()
            if response.status_code >= 400:
                assert answer["resourceType"] == "OperationOutcome"
                assert answer["issue"] and all(i["diagnostics"] for i in answer["issue"])
                assert after == before
                return
            grew = tuple(a - b for a, b in zip(after, before, strict=True))
            assert grew in (((1, 1, 1),) if response.status_code == 201 else ((0, 1, 1), (0, 0, 0)))
            served = client.get(response.headers["location"])
            assert served.status_code == 200
            expected = without_server_fields(orjson.loads(body))
            content = without_server_fields(served.json())
            if grew == (0, 0, 0):
                # An identical resubmission: what was stored first stands, narrative and all.
                expected.pop("text", None)
                content.pop("text", None)
            assert content == expected

        answers()
