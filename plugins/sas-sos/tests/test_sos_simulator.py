"""The SOS Médecins Schedule search against the simulated vendor over real sockets."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sas_core import SearchWindow, SlotQuery, StructureKind
from sas_core.plugins.host import PluginHost
from sas_simulator.dataset import PARIS, Dataset
from sas_simulator.server import SimulatorServer
from sas_sos_adapter import plugin
from sas_testkit.searches import fetch, window

pytestmark = pytest.mark.anyio

UNKNOWN_IDNST = "300000000000042"


async def test_an_association_with_two_sites_has_slots_at_both(
    host: PluginHost, sas_vendor: SimulatorServer, sas_dataset: Dataset
) -> None:
    association = sas_dataset.sos[0]
    assert len(association.sites) == 2
    adapter = host.adapter("sas-sos", {"base_url": sas_vendor.base_url}, timeout_s=5)
    query = SlotQuery(window=window(), structures=(association.idnst,))

    batch = await fetch(host, adapter, query)

    assert batch.outcome.status == "ok", batch.outcome.error
    assert batch.outcome.http_status == 200
    assert batch.outcome.issues == []
    sites = {site.id: site for site in association.sites}
    at: set[str] = set()
    for slot in batch.slots:
        assert slot.structure == association.idnst
        assert slot.structure_kind is StructureKind.SOS
        assert slot.practitioner is None and slot.adapter == "sas-sos"
        assert query.window.contains(slot.start)
        assert slot.place is not None
        [site_id] = [s for s in sites if slot.place.id.endswith(s)]
        assert slot.place.address.postal_code == sites[site_id].postal_code
        at.add(site_id)
    assert at == set(sites)
    expected = {
        slot.id
        for schedule in sas_dataset.site_schedules_of(association)
        for slot in schedule.free_slots
        if query.window.contains(slot.start)
    }
    assert {s.id for s in batch.slots} == expected


async def test_each_slot_carries_its_own_association(
    host: PluginHost, sas_vendor: SimulatorServer, sas_dataset: Dataset
) -> None:
    adapter = host.adapter("sas-sos", {"base_url": sas_vendor.base_url}, timeout_s=5)
    query = SlotQuery(window=window(), structures=tuple(a.idnst for a in sas_dataset.sos))

    batch = await fetch(host, adapter, query)

    assert batch.outcome.status == "ok", batch.outcome.error
    assert {s.structure for s in batch.slots} == {a.idnst for a in sas_dataset.sos}
    for association in sas_dataset.sos:
        sites = {site.id for site in association.sites}
        for slot in batch.slots:
            if slot.structure == association.idnst:
                assert slot.place is not None
                assert any(slot.place.id.endswith(site) for site in sites)


async def test_unknown_siret_gives_zero_slots_and_ok(
    host: PluginHost, sas_vendor: SimulatorServer
) -> None:
    adapter = host.adapter("sas-sos", {"base_url": sas_vendor.base_url})
    query = SlotQuery(window=window(), structures=(UNKNOWN_IDNST,))

    batch = await fetch(host, adapter, query)

    assert batch.outcome.status == "ok", batch.outcome.error
    assert batch.outcome.http_status == 200
    assert batch.slots == []
    assert batch.outcome.issues == []


async def test_a_window_when_every_site_is_closed_is_an_empty_ok_answer(
    host: PluginHost, sas_vendor: SimulatorServer, sas_dataset: Dataset
) -> None:
    night = datetime.combine(datetime.now(PARIS).date() + timedelta(days=1), datetime.min.time())
    start = night.replace(hour=1, tzinfo=PARIS)
    adapter = host.adapter("sas-sos", {"base_url": sas_vendor.base_url})
    query = SlotQuery(
        window=SearchWindow(start=start, end=start + timedelta(hours=5)),
        structures=(sas_dataset.sos[0].idnst,),
    )

    batch = await fetch(host, adapter, query)

    assert batch.outcome.status == "ok", batch.outcome.error
    assert batch.slots == []


async def test_practitioner_lots_are_refused(host: PluginHost) -> None:
    adapter = host.adapter("sas-sos", {"base_url": "https://vendor.example/fhir"})
    query = SlotQuery(window=window(1), practitioners=("810000000042",))

    outcome = (await plugin.sas_fetch_slots(adapter, query)).outcome

    assert outcome.status == "error"
    assert outcome.error == (
        "sas-sos searches SOS Médecins associations; practitioner lots are not supported"
    )


async def test_a_structure_that_is_not_an_association_is_refused(host: PluginHost) -> None:
    adapter = host.adapter("sas-sos", {"base_url": "https://vendor.example/fhir"})
    query = SlotQuery(window=window(1), structures=("1750000000",))

    outcome = (await plugin.sas_fetch_slots(adapter, query)).outcome

    assert outcome.status == "error"
    assert outcome.error == "'1750000000' is not an SOS Médecins association's IDNST (3 + SIRET)"
