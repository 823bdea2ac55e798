"""The fan-out: lots of 25, concurrency, deadlines and per-adapter errors."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sas_core import (
    PluginMetadata,
    SearchWindow,
    Slot,
    SlotBatch,
    SlotQuery,
    SourceOutcome,
    UseCase,
    hookimpl,
)
from sas_core.plugins.host import PluginHost
from sas_core.plugins.models import AdapterConfig
from sas_core.slots.fanout import AdapterRequest, collect_slots, split_into_lots

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=PARIS)
WINDOW = SearchWindow(start=NOW, end=NOW + timedelta(hours=48))


def rpps(i: int) -> str:
    return f"8{i:011d}"


class FakeVendor:
    """A plugin object answering one slot per practitioner, after `delay` seconds."""

    def __init__(
        self,
        name: str,
        delay: float = 0.0,
        fail: str | None = None,
        use_cases: tuple[UseCase, ...] = (),
    ) -> None:
        self.name = name
        self.use_cases = use_cases
        self.delay = delay
        self.fail = fail
        self.calls: list[SlotQuery] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.closed: list[str] = []

    @hookimpl
    def sas_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(name=self.name, use_cases=self.use_cases)

    @hookimpl
    async def sas_fetch_slots(self, adapter: AdapterConfig, query: SlotQuery) -> SlotBatch:
        self.calls.append(query)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            if self.fail:
                raise RuntimeError(self.fail)
        finally:
            self.in_flight -= 1
        slots = [
            Slot(
                id=f"{p}-{adapter.name}",
                start=NOW + timedelta(hours=1),
                end=NOW + timedelta(hours=1, minutes=20),
                practitioner=p,
                adapter=adapter.name,
                fetched_at=NOW,
            )
            for p in query.practitioners or query.structures
        ]
        return SlotBatch(slots=slots, outcome=SourceOutcome(status="ok", slot_count=len(slots)))

    @hookimpl
    def sas_adapter_closed(self, adapter: AdapterConfig) -> None:
        self.closed.append(adapter.name)


def host_with(*vendors: FakeVendor) -> PluginHost:
    host = PluginHost(trace=False)
    for vendor in vendors:
        host.register(vendor, name=vendor.name)
    return host


def test_split_into_lots_keeps_order_and_drops_duplicates() -> None:
    ids = [rpps(i) for i in range(60)] + [rpps(3)]
    lots = split_into_lots(ids, 25)
    assert [len(lot) for lot in lots] == [25, 25, 10]
    assert lots[0][0] == rpps(0)
    assert sum(lots, ()) == tuple(rpps(i) for i in range(60))


@pytest.mark.anyio
async def test_sixty_practitioners_become_three_concurrent_lots() -> None:
    vendor = FakeVendor("vendor-a", delay=0.05)
    host = host_with(vendor)
    ids = [rpps(i) for i in range(60)]
    result = await collect_slots(host, [AdapterRequest("vendor-a")], WINDOW, practitioners=ids)
    assert [len(q.practitioners) for q in vendor.calls] == [25, 25, 10]
    assert vendor.max_in_flight == 3
    assert len(result.slots) == 60
    (outcome,) = result.outcomes
    assert (outcome.adapter, outcome.status, outcome.requests, outcome.slot_count) == (
        "vendor-a",
        "ok",
        3,
        60,
    )
    assert vendor.closed == ["vendor-a"]


@pytest.mark.anyio
async def test_only_the_owning_plugin_is_called() -> None:
    a, b = FakeVendor("vendor-a"), FakeVendor("vendor-b")
    host = host_with(a, b)
    result = await collect_slots(
        host, [AdapterRequest("vendor-b")], WINDOW, practitioners=[rpps(1)]
    )
    assert a.calls == []
    assert len(b.calls) == 1
    assert [s.adapter for s in result.slots] == ["vendor-b"]


@pytest.mark.anyio
async def test_a_silent_adapter_is_cut_at_its_deadline_and_others_answer() -> None:
    fast, silent = FakeVendor("fast"), FakeVendor("silent", delay=30)
    host = host_with(fast, silent)
    started = time.perf_counter()
    result = await collect_slots(
        host,
        [AdapterRequest("fast"), AdapterRequest("silent", timeout_s=0.3)],
        WINDOW,
        practitioners=[rpps(1), rpps(2)],
    )
    assert time.perf_counter() - started < 5
    by_name = {o.adapter: o for o in result.outcomes}
    assert by_name["fast"].status == "ok"
    assert by_name["silent"].status == "error"
    assert by_name["silent"].error == "no answer within the 0.3 s deadline"
    assert {s.adapter for s in result.slots} == {"fast"}
    assert not result.all_failed


@pytest.mark.anyio
async def test_errors_name_their_cause_and_unknown_adapters_fail_alone() -> None:
    broken = FakeVendor("broken", fail="vendor exploded")
    ok = FakeVendor("ok")
    host = host_with(broken, ok)
    result = await collect_slots(
        host,
        [AdapterRequest("broken"), AdapterRequest("nope"), AdapterRequest("ok")],
        WINDOW,
        practitioners=[rpps(1)],
    )
    assert [o.adapter for o in result.outcomes] == ["broken", "nope", "ok"]
    errors = {o.adapter: o.error for o in result.outcomes}
    assert errors["broken"] == "RuntimeError: vendor exploded"
    assert "unknown adapter plugin 'nope'" in (errors["nope"] or "")
    assert errors["ok"] is None
    assert len(result.slots) == 1


@pytest.mark.anyio
async def test_all_failed_only_when_every_adapter_failed() -> None:
    host = host_with(FakeVendor("broken", fail="down"))
    result = await collect_slots(host, [AdapterRequest("broken")], WINDOW, practitioners=[rpps(1)])
    assert result.all_failed


@pytest.mark.anyio
async def test_one_failed_lot_marks_the_adapter_error_but_keeps_other_lots() -> None:
    class Flaky(FakeVendor):
        @hookimpl
        async def sas_fetch_slots(self, adapter: AdapterConfig, query: SlotQuery) -> SlotBatch:
            batch = await FakeVendor.sas_fetch_slots(self, adapter, query)
            if rpps(0) in query.practitioners:
                return SlotBatch(
                    outcome=SourceOutcome(status="error", error="HTTP 503 from vendor")
                )
            return batch

    host = host_with(Flaky("flaky"))
    ids = [rpps(i) for i in range(30)]
    result = await collect_slots(host, [AdapterRequest("flaky")], WINDOW, practitioners=ids)
    (outcome,) = result.outcomes
    assert outcome.status == "error"
    assert outcome.error == "HTTP 503 from vendor"
    assert outcome.requests == 2
    assert len(result.slots) == 5


@pytest.mark.anyio
async def test_each_adapter_gets_the_lots_its_use_cases_call_for() -> None:
    ps = FakeVendor("ps", use_cases=(UseCase.PS_INDIVIDUAL,))
    sos = FakeVendor("sos", use_cases=(UseCase.SOS_MEDECINS,))
    host = host_with(ps, sos)
    associations = [f"3{i:014d}" for i in range(12)]
    result = await collect_slots(
        host,
        [AdapterRequest("ps"), AdapterRequest("sos")],
        WINDOW,
        practitioners=[rpps(1)],
        structures=associations,
    )
    assert [q.practitioners for q in ps.calls] == [(rpps(1),)]
    assert [len(q.structures) for q in sos.calls] == [10, 2]
    assert all(o.status == "ok" for o in result.outcomes)


@pytest.mark.anyio
async def test_an_adapter_that_cannot_serve_the_search_says_why() -> None:
    host = host_with(FakeVendor("ps", use_cases=(UseCase.PS_INDIVIDUAL,)))
    result = await collect_slots(
        host, [AdapterRequest("ps")], WINDOW, structures=["334173748400020"]
    )
    (outcome,) = result.outcomes
    assert outcome.status == "error"
    assert (
        outcome.error == "plugin 'ps' does not search by structures (its use cases: ps-individual)"
    )
