"""Regression tests replaying SOS Médecins exchanges recorded from the simulator with vcrpy.

Normal runs replay `cassettes/*.yaml` with record mode "none" (no socket is opened). To
re-record, after a change in the simulator or in the request the adapter sends::

    SAS_RECORD_CASSETTES=1 .venv/bin/pytest plugins/sas-sos/tests/test_sos_cassettes.py

Recording scrubs as every plugin's cassettes are scrubbed (`sas_testkit.cassettes.Cassettes`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sas_core import StructureKind
from sas_sos_adapter import plugin
from sas_testkit.cassettes import PLACEHOLDER_ROOT, Case, Cassettes

pytestmark = pytest.mark.anyio

CASSETTES = Cassettes(
    folder=Path(__file__).parent / "cassettes",
    plugin=plugin,
    plugin_name="sas-sos",
    resource="Schedule",
    kind="structures",
    known=lambda dataset: [a.idnst for a in dataset.sos],
    unknown="300000000000042",
    cases=(
        Case("schedule_search_known", {}, known=2),
        Case("schedule_search_unknown", {}, known=0),
        Case("schedule_search_http_500", {"mode": "http-500"}),
    ),
)


@pytest.fixture(scope="module")
def recording() -> dict[str, Any]:
    return CASSETTES.load()


async def test_known_associations(recording: dict[str, Any]) -> None:
    batch = await CASSETTES.replay("schedule_search_known", recording)

    total = CASSETTES.recorded_body("schedule_search_known")["total"]
    assert batch.outcome.status == "ok", batch.outcome.error
    assert batch.outcome.issues == []
    assert batch.outcome.slot_count == len(batch.slots) == total > 0
    assert {s.structure for s in batch.slots} == set(recording["known"])
    assert all(s.structure_kind is StructureKind.SOS for s in batch.slots)
    assert all(s.place is not None and s.place.address.postal_code for s in batch.slots)
    booking = [s.booking_url for s in batch.slots if s.booking_url]
    assert booking and all(u.startswith(f"{PLACEHOLDER_ROOT}/site/") for u in booking)


async def test_unknown_association(recording: dict[str, Any]) -> None:
    batch = await CASSETTES.replay("schedule_search_unknown", recording)

    assert batch.outcome.status == "ok"
    assert batch.outcome.http_status == 200
    assert batch.slots == []


async def test_http_500(recording: dict[str, Any]) -> None:
    batch = await CASSETTES.replay("schedule_search_http_500", recording)

    assert batch.outcome.error == (
        "HTTP 500 Internal Server Error: OperationOutcome error/exception: "
        "simulated server failure (fault http-500)"
    )


def test_cassettes_hold_no_secrets_nor_real_hosts(recording: dict[str, Any]) -> None:
    CASSETTES.assert_scrubbed()
