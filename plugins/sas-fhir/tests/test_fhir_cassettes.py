"""Regression tests replaying vendor exchanges recorded from the simulator with vcrpy.

Normal runs replay `cassettes/*.yaml` with record mode "none" (no socket is opened; a request
the cassette does not hold fails the test). To re-record, after a change in the simulator or in
the request the adapter sends::

    SAS_RECORD_CASSETTES=1 .venv/bin/pytest plugins/sas-fhir/tests/test_fhir_cassettes.py

Recording scrubs before saving: the simulator's real `http://127.0.0.1:<port>` becomes
`https://vendor.example`, and Date, Server, Host, User-Agent, Authorization and cookie headers are
dropped. `recording.json` keeps the window, practitioners and time of the recording, since the
simulated agenda is anchored to the hour it was generated and requests are matched on their query.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
import vcr
from vcr.request import Request as VcrRequest
from vcr.serializers import yamlserializer

from sas_core import AdapterConfig, SearchWindow, SlotQuery
from sas_fhir_adapter import plugin
from sas_fhir_adapter.settings import FhirAdapterSettings
from sas_simulator.app import create_app
from sas_simulator.dataset import build_dataset
from sas_simulator.faults import Faults
from sas_simulator.server import SimulatorServer

pytestmark = pytest.mark.anyio

CASSETTES = Path(__file__).parent / "cassettes"
RECORDING = CASSETTES / "recording.json"
RECORD_ENV = "SAS_RECORD_CASSETTES"
#: What the vendor's root looks like in cassettes, whatever port the simulator had.
PLACEHOLDER_ROOT = "https://vendor.example"
PLACEHOLDER_BASE = f"{PLACEHOLDER_ROOT}/fhir"
DROPPED_REQUEST_HEADERS = ("host", "user-agent", "authorization", "cookie")
DROPPED_RESPONSE_HEADERS = frozenset({"date", "server", "set-cookie", "authorization", "cookie"})
UNKNOWN_IDNPS = "810000000042"


@dataclass(frozen=True)
class Case:
    name: str
    faults: dict[str, Any]
    #: How many of the recorded practitioners the lot names; 0: an unknown one instead.
    known: int = 1


CASES = (
    Case("slot_search_known", {}, known=2),
    Case("slot_search_unknown", {}, known=0),
    Case("slot_search_http_500", {"mode": "http-500"}),
    Case("slot_search_http_429_then_ok", {"mode": "http-429", "retry_after_s": 0, "fail_times": 1}),
    Case("slot_search_malformed_json", {"mode": "malformed-json"}),
)


def recorder(real_root: str | None = None) -> vcr.VCR:
    """A VCR matching on method + path + query that scrubs what it records."""

    def scrub_request(request: VcrRequest) -> VcrRequest:
        if real_root is not None:
            request.uri = request.uri.replace(real_root, PLACEHOLDER_ROOT)
        return request

    def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
        headers = {
            k: v
            for k, v in response["headers"].items()
            if k.lower() not in DROPPED_RESPONSE_HEADERS
        }
        body = response["body"]["string"]
        if real_root is not None and isinstance(body, bytes):
            body = body.replace(real_root.encode(), PLACEHOLDER_ROOT.encode())
            for name in headers:
                if name.lower() == "content-length":
                    headers[name] = [str(len(body))]
        return {**response, "headers": headers, "body": {"string": body}}

    return vcr.VCR(
        serializer="yaml",
        match_on=["method", "path", "query"],
        filter_headers=list(DROPPED_REQUEST_HEADERS),
        before_record_request=scrub_request,
        before_record_response=scrub_response,
        decode_compressed_response=True,
    )


def load_cassette(text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yamlserializer.deserialize(text)
    return loaded


def query_for(case: Case, recording: dict[str, Any]) -> SlotQuery:
    window = SearchWindow(start=recording["start"], end=recording["end"])
    practitioners = tuple(recording["known"][: case.known]) or (UNKNOWN_IDNPS,)
    return SlotQuery(window=window, practitioners=practitioners)


def frozen_clock(recording: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(recording["recorded_at"])


async def record_all() -> None:
    """Run every case against a fresh simulator and save scrubbed cassettes."""
    now = datetime.now(UTC).replace(microsecond=0)
    dataset = build_dataset(seed=42, practitioners=10, now=now)
    recording = {
        "recorded_at": now.isoformat(),
        "start": now.isoformat(),
        "end": (now + timedelta(hours=48)).isoformat(),
        "known": [p.idnps for p in dataset.practitioners[:2]],
    }
    CASSETTES.mkdir(exist_ok=True)
    with SimulatorServer(create_app(dataset, public_base=PLACEHOLDER_ROOT)) as server:
        adapter = AdapterConfig(
            name="vendor-test",
            plugin="sas-fhir",
            timeout_s=5,
            settings=FhirAdapterSettings(base_url=server.base_url),
        )
        for case in CASES:
            server.set_faults(Faults(**case.faults))
            path = CASSETTES / f"{case.name}.yaml"
            path.unlink(missing_ok=True)
            with (
                patch.object(plugin.exchange, "clock", lambda: now),
                recorder(server.root_url).use_cassette(str(path), record_mode="all"),
            ):
                await plugin.sas_fetch_slots(adapter, query_for(case, recording))
            await plugin.exchange.close(adapter.name)
    RECORDING.write_text(json.dumps(recording, indent=2) + "\n")


@pytest.fixture(scope="module")
def recording() -> dict[str, Any]:
    if os.environ.get(RECORD_ENV) == "1":
        asyncio.run(record_all())
    if not RECORDING.exists():
        pytest.fail(f"no cassettes in {CASSETTES}: record them with {RECORD_ENV}=1")
    loaded: dict[str, Any] = json.loads(RECORDING.read_text())
    return loaded


async def replay(case: Case, recording: dict[str, Any], make_adapter: Any) -> Any:
    adapter = make_adapter(PLACEHOLDER_BASE, timeout_s=5)
    path = CASSETTES / f"{case.name}.yaml"
    try:
        with (
            patch.object(plugin.exchange, "clock", lambda: frozen_clock(recording)),
            recorder().use_cassette(str(path), record_mode="none") as cassette,
        ):
            batch = await plugin.sas_fetch_slots(adapter, query_for(case, recording))
            assert cassette.all_played
    finally:
        await plugin.exchange.close(adapter.name)
    return batch


def case(name: str) -> Case:
    [found] = [c for c in CASES if c.name == name]
    return found


async def test_known_practitioners(recording: dict[str, Any], make_adapter: Any) -> None:
    batch = await replay(case("slot_search_known"), recording, make_adapter)

    recorded = load_cassette((CASSETTES / "slot_search_known.yaml").read_text())
    total = json.loads(recorded["interactions"][0]["response"]["body"]["string"])["total"]
    assert batch.outcome.status == "ok", batch.outcome.error
    assert batch.outcome.issues == []
    assert batch.outcome.slot_count == len(batch.slots) == total > 0
    assert {s.practitioner for s in batch.slots} == set(recording["known"])
    assert all(s.place is not None and s.place.address.postal_code for s in batch.slots)
    booking = [s.booking_url for s in batch.slots if s.booking_url]
    assert booking and all(u.startswith(f"{PLACEHOLDER_ROOT}/agenda/") for u in booking)


async def test_unknown_practitioner(recording: dict[str, Any], make_adapter: Any) -> None:
    batch = await replay(case("slot_search_unknown"), recording, make_adapter)

    assert batch.outcome.status == "ok"
    assert batch.outcome.http_status == 200
    assert batch.slots == []


async def test_http_500(recording: dict[str, Any], make_adapter: Any) -> None:
    batch = await replay(case("slot_search_http_500"), recording, make_adapter)

    assert batch.outcome.error == (
        "HTTP 500 Internal Server Error: OperationOutcome error/exception: "
        "simulated server failure (fault http-500)"
    )


async def test_http_429_then_ok(recording: dict[str, Any], make_adapter: Any) -> None:
    batch = await replay(case("slot_search_http_429_then_ok"), recording, make_adapter)

    assert batch.outcome.status == "ok", batch.outcome.error
    assert batch.outcome.slot_count > 0


async def test_malformed_json(recording: dict[str, Any], make_adapter: Any) -> None:
    batch = await replay(case("slot_search_malformed_json"), recording, make_adapter)

    assert batch.outcome.status == "error"
    assert batch.outcome.error is not None
    assert batch.outcome.error.startswith("unusable answer: the answer is not JSON")


def test_cassettes_hold_no_secrets_nor_real_hosts(recording: dict[str, Any]) -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert {f.stem for f in files} == {c.name for c in CASES}
    for path in files:
        text = path.read_text()
        for marker in ("BEGIN", "PRIVATE KEY", "CERTIFICATE-----", "127.0.0.1", "localhost"):
            assert marker not in text, f"{path.name} contains {marker!r}"
        assert not re.search(r"https?://[^/\s\"']+:\d+", text), f"{path.name} names a port"
        for interaction in load_cassette(text)["interactions"]:
            request, response = interaction["request"], interaction["response"]
            assert request["uri"].startswith(f"{PLACEHOLDER_BASE}/Slot?")
            sent = {k.lower() for k in request["headers"]}
            got = {k.lower() for k in response["headers"]}
            assert not sent & set(DROPPED_REQUEST_HEADERS), path.name
            assert not got & DROPPED_RESPONSE_HEADERS, path.name
