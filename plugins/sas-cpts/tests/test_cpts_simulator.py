"""INT_R04 against the simulated vendor over real sockets, through the plugin's hooks."""

from __future__ import annotations

from collections import Counter

import pytest

from sas_core import SlotQuery, StructureKind
from sas_core.plugins.host import PluginHost
from sas_cpts_adapter import plugin
from sas_simulator.dataset import Dataset, SimPractitioner
from sas_simulator.server import SimulatorServer
from sas_testkit.searches import fetch, window

pytestmark = pytest.mark.anyio


def two_cpts_member(dataset: Dataset) -> tuple[SimPractitioner, list[str]]:
    """The practitioner the dataset's `structures` list as a member of two CPTS, and those IDNST."""
    cpts = [s for s in dataset.as_json()["structures"] if s["kind"] == "cpts"]
    for practitioner in dataset.practitioners:
        of = [s["idnst"] for s in cpts if practitioner.idnps in s["members"]]
        if len(of) == 2:
            return practitioner, of
    raise AssertionError("the default dataset has a practitioner in two CPTS")


async def test_a_slot_visible_to_two_cpts_comes_back_once_per_cpts(
    host: PluginHost, sas_vendor: SimulatorServer, sas_dataset: Dataset
) -> None:
    practitioner, both = two_cpts_member(sas_dataset)
    adapter = host.adapter("sas-cpts", {"base_url": sas_vendor.base_url}, timeout_s=5)
    query = SlotQuery(window=window(), practitioners=(practitioner.idnps,))

    batch = await fetch(host, adapter, query)

    assert batch.outcome.status == "ok", batch.outcome.error
    assert batch.outcome.slot_count == len(batch.slots)
    cpts_of: dict[str, list[str]] = {}
    for slot in batch.slots:
        assert slot.practitioner == practitioner.idnps and slot.adapter == "sas-cpts"
        assert query.window.contains(slot.start)
        if slot.structure is not None:
            assert slot.structure_kind is StructureKind.CPTS
            cpts_of.setdefault(slot.id, []).append(slot.structure)
    doubled = [sorted(s) for s in cpts_of.values() if len(s) == 2]
    assert doubled and all(s == sorted(both) for s in doubled)
    # What the vendor holds: each free slot once per CPTS it is visible to, or once without one.
    expected = Counter(
        (slot.id, cpts)
        for schedule in sas_dataset.schedules_of(practitioner)
        for slot in schedule.free_slots
        if query.window.contains(slot.start)
        for cpts in (slot.cpts or (None,))
    )
    got = Counter((s.id, s.structure) for s in batch.slots)
    assert got == expected


async def test_a_members_slots_not_visible_to_a_cpts_carry_no_structure(
    host: PluginHost, sas_vendor: SimulatorServer, sas_dataset: Dataset
) -> None:
    practitioner, _ = two_cpts_member(sas_dataset)
    adapter = host.adapter("sas-cpts", {"base_url": sas_vendor.base_url}, timeout_s=5)
    query = SlotQuery(window=window(), practitioners=(practitioner.idnps,))

    batch = await fetch(host, adapter, query)

    own = [s for s in batch.slots if s.structure is None]
    assert own, "the member has slots visible to no CPTS in 48 h"
    assert all(s.structure_kind is None and "CPTS" not in s.slot_types for s in own)


async def test_a_practitioner_in_no_cpts_gets_int_r01_slots(
    host: PluginHost, sas_vendor: SimulatorServer, sas_dataset: Dataset
) -> None:
    practitioner = sas_dataset.practitioners[0]
    assert not practitioner.cpts
    adapter = host.adapter("sas-cpts", {"base_url": sas_vendor.base_url}, timeout_s=5)
    query = SlotQuery(window=window(), practitioners=(practitioner.idnps,))

    batch = await fetch(host, adapter, query)

    assert batch.outcome.status == "ok", batch.outcome.error
    assert batch.slots and all(s.structure is None for s in batch.slots)


async def test_unknown_practitioner_gives_zero_slots_and_ok(
    host: PluginHost, sas_vendor: SimulatorServer
) -> None:
    adapter = host.adapter("sas-cpts", {"base_url": sas_vendor.base_url})
    query = SlotQuery(window=window(), practitioners=("810000000042",))

    batch = await fetch(host, adapter, query)

    assert batch.outcome.status == "ok", batch.outcome.error
    assert batch.outcome.http_status == 200
    assert batch.slots == []


async def test_structure_lots_are_refused(host: PluginHost) -> None:
    adapter = host.adapter("sas-cpts", {"base_url": "https://vendor.example/fhir"})
    query = SlotQuery(window=window(1), structures=("334173748400020",))

    outcome = (await plugin.sas_fetch_slots(adapter, query)).outcome

    assert outcome.status == "error"
    assert outcome.error == (
        "sas-cpts searches practitioners (INT_R04); structure lots are not supported"
    )
