"""Regression tests replaying vendor exchanges recorded from the simulator with vcrpy.

Normal runs replay `cassettes/*.yaml` with record mode "none" (no socket is opened; a request
the cassette does not hold fails the test). To re-record, after a change in the simulator or in
the request the adapter sends::

    SAS_RECORD_CASSETTES=1 .venv/bin/pytest plugins/sas-fhir/tests/test_fhir_cassettes.py

Recording and scrubbing (the simulator's `http://127.0.0.1:<port>` becomes
`https://vendor.example`; Date, Server, Host, User-Agent, Authorization and cookie headers are
dropped) are `sas_testkit.cassettes.Cassettes`, shared by every plugin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sas_fhir_adapter import plugin
from sas_fhir_adapter.settings import FhirAdapterSettings
from sas_testkit.cassettes import PLACEHOLDER_ROOT, Case, Cassettes

pytestmark = pytest.mark.anyio

CASSETTES = Cassettes(
    folder=Path(__file__).parent / "cassettes",
    plugin=plugin,
    plugin_name="sas-fhir",
    resource="Slot",
    kind="practitioners",
    known=lambda dataset: [p.idnps for p in dataset.practitioners[:2]],
    unknown="810000000042",
    cases=(
        Case("slot_search_known", {}, known=2),
        Case("slot_search_unknown", {}, known=0),
        Case("slot_search_http_500", {"mode": "http-500"}),
        Case(
            "slot_search_http_429_then_ok",
            {"mode": "http-429", "retry_after_s": 0, "fail_times": 1},
        ),
        Case("slot_search_malformed_json", {"mode": "malformed-json"}),
    ),
    settings_schema=FhirAdapterSettings,
)


@pytest.fixture(scope="module")
def recording() -> dict[str, Any]:
    return CASSETTES.load()


async def test_known_practitioners(recording: dict[str, Any]) -> None:
    batch = await CASSETTES.replay("slot_search_known", recording)

    total = CASSETTES.recorded_body("slot_search_known")["total"]
    assert batch.outcome.status == "ok", batch.outcome.error
    assert batch.outcome.issues == []
    assert batch.outcome.slot_count == len(batch.slots) == total > 0
    assert {s.practitioner for s in batch.slots} == set(recording["known"])
    assert all(s.place is not None and s.place.address.postal_code for s in batch.slots)
    booking = [s.booking_url for s in batch.slots if s.booking_url]
    assert booking and all(u.startswith(f"{PLACEHOLDER_ROOT}/agenda/") for u in booking)


async def test_unknown_practitioner(recording: dict[str, Any]) -> None:
    batch = await CASSETTES.replay("slot_search_unknown", recording)

    assert batch.outcome.status == "ok"
    assert batch.outcome.http_status == 200
    assert batch.slots == []


async def test_http_500(recording: dict[str, Any]) -> None:
    batch = await CASSETTES.replay("slot_search_http_500", recording)

    assert batch.outcome.error == (
        "HTTP 500 Internal Server Error: OperationOutcome error/exception: "
        "simulated server failure (fault http-500)"
    )


async def test_http_429_then_ok(recording: dict[str, Any]) -> None:
    batch = await CASSETTES.replay("slot_search_http_429_then_ok", recording)

    assert batch.outcome.status == "ok", batch.outcome.error
    assert batch.outcome.slot_count > 0


async def test_malformed_json(recording: dict[str, Any]) -> None:
    batch = await CASSETTES.replay("slot_search_malformed_json", recording)

    assert batch.outcome.status == "error"
    assert batch.outcome.error is not None
    assert batch.outcome.error.startswith("unusable answer: the answer is not JSON")


def test_cassettes_hold_no_secrets_nor_real_hosts(recording: dict[str, Any]) -> None:
    CASSETTES.assert_scrubbed()
