"""Regression tests replaying INT_R04 exchanges recorded from the simulator with vcrpy.

Normal runs replay `cassettes/*.yaml` with record mode "none" (no socket is opened). To
re-record, after a change in the simulator or in the request the adapter sends::

    SAS_RECORD_CASSETTES=1 .venv/bin/pytest plugins/sas-cpts/tests/test_cpts_cassettes.py

Recording scrubs as every plugin's cassettes are scrubbed (`sas_testkit.cassettes.Cassettes`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sas_core import StructureKind
from sas_cpts_adapter import plugin
from sas_simulator.dataset import build_dataset
from sas_testkit.cassettes import Case, Cassettes

pytestmark = pytest.mark.anyio

CASSETTES = Cassettes(
    folder=Path(__file__).parent / "cassettes",
    plugin=plugin,
    plugin_name="sas-cpts",
    resource="Slot",
    kind="practitioners",
    # The member of two CPTS, then one CPTS member or none, as the dataset draws them.
    known=lambda dataset: [p.idnps for p in dataset.practitioners[3:5]],
    unknown="810000000042",
    cases=(
        Case("cpts_search_known", {}, known=2),
        Case("cpts_search_unknown", {}, known=0),
        Case("cpts_search_http_500", {"mode": "http-500"}),
    ),
)


@pytest.fixture(scope="module")
def recording() -> dict[str, Any]:
    return CASSETTES.load()


async def test_known_members(recording: dict[str, Any]) -> None:
    batch = await CASSETTES.replay("cpts_search_known", recording)

    body = CASSETTES.recorded_body("cpts_search_known")
    communities = {c.idnst for c in build_dataset(seed=42, practitioners=10).cpts}
    assert batch.outcome.status == "ok", batch.outcome.error
    assert batch.outcome.issues == []
    assert {s.practitioner for s in batch.slots} == set(recording["known"])
    by_cpts = [s for s in batch.slots if s.structure is not None]
    assert by_cpts and all(
        s.structure in communities and s.structure_kind is StructureKind.CPTS for s in by_cpts
    )
    # The bundle counts each vendor slot once; the platform has one per CPTS it is visible to.
    assert len({s.id for s in batch.slots}) == body["total"] < len(batch.slots)


async def test_unknown_practitioner(recording: dict[str, Any]) -> None:
    batch = await CASSETTES.replay("cpts_search_unknown", recording)

    assert batch.outcome.status == "ok"
    assert batch.outcome.http_status == 200
    assert batch.slots == []


async def test_http_500(recording: dict[str, Any]) -> None:
    batch = await CASSETTES.replay("cpts_search_http_500", recording)

    assert batch.outcome.error == (
        "HTTP 500 Internal Server Error: OperationOutcome error/exception: "
        "simulated server failure (fault http-500)"
    )


def test_cassettes_hold_no_secrets_nor_real_hosts(recording: dict[str, Any]) -> None:
    CASSETTES.assert_scrubbed()
