"""The adapter against the simulated vendor over real sockets, through the plugin's hooks."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from sas_core import SlotQuery
from sas_core.plugins.host import PluginHost
from sas_fhir_adapter import plugin
from sas_simulator.faults import Faults
from sas_testkit.searches import fetch, window

pytestmark = pytest.mark.anyio


@pytest.fixture
async def host() -> Any:
    """The installed plugins; every adapter built in a test is closed after it."""
    host = PluginHost.discover(allow=["sas-fhir"])
    yield host
    for name in ("vendor-test", "sas-fhir"):
        await plugin.exchange.close(name)


async def test_slots_of_the_dataset_practitioners(
    host: PluginHost, sas_vendor: Any, sas_dataset: Any
) -> None:
    wanted = sas_dataset.practitioners[:3]
    adapter = host.adapter("sas-fhir", {"base_url": sas_vendor.base_url}, timeout_s=5)
    query = SlotQuery(window=window(), practitioners=tuple(p.idnps for p in wanted))

    batch = await fetch(host, adapter, query)

    assert batch.outcome.status == "ok", batch.outcome.error
    assert batch.outcome.http_status == 200
    assert batch.outcome.slot_count == len(batch.slots) > 0
    by_idnps = {p.idnps: p for p in wanted}
    for slot in batch.slots:
        practitioner = by_idnps[slot.practitioner or ""]
        places = {p.id: p for p in practitioner.places}
        assert slot.place is not None
        [place_id] = [pid for pid in places if slot.place.id.endswith(pid)]
        place = places[place_id]
        assert slot.place.address.postal_code == place.postal_code
        assert slot.place.address.city == place.city
        if slot.booking_url is not None:
            assert slot.booking_url == (
                f"{sas_vendor.root_url}/agenda/{practitioner.id}?place={place.id}"
            )
        assert slot.adapter == "sas-fhir"
        assert query.window.contains(slot.start)
    assert {s.practitioner for s in batch.slots} <= set(by_idnps)
    assert any(s.booking_url for s in batch.slots)

    await host.close_adapter(adapter)


async def test_unknown_practitioner_gives_zero_slots_and_ok(
    host: PluginHost, sas_vendor: Any
) -> None:
    adapter = host.adapter("sas-fhir", {"base_url": sas_vendor.base_url})
    query = SlotQuery(window=window(), practitioners=("810000000042",))

    batch = await fetch(host, adapter, query)

    assert batch.outcome.status == "ok", batch.outcome.error
    assert batch.outcome.http_status == 200
    assert batch.slots == []
    assert batch.outcome.slot_count == 0


async def test_malformed_json_is_an_unusable_answer(
    host: PluginHost, sas_vendor: Any, sas_dataset: Any
) -> None:
    sas_vendor.set_faults(Faults(mode="malformed-json"))
    adapter = host.adapter("sas-fhir", {"base_url": sas_vendor.base_url})
    query = SlotQuery(window=window(), practitioners=(sas_dataset.practitioners[0].idnps,))

    outcome = (await fetch(host, adapter, query)).outcome

    assert outcome.status == "error"
    assert outcome.error is not None and outcome.error.startswith("unusable answer: ")


async def test_oversized_answer_is_refused(
    host: PluginHost, sas_vendor: Any, sas_dataset: Any
) -> None:
    sas_vendor.set_faults(Faults(mode="oversized", oversized_mb=2))
    adapter = host.adapter(
        "sas-fhir", {"base_url": sas_vendor.base_url, "max_body_bytes": 256 * 1024}
    )
    query = SlotQuery(window=window(), practitioners=(sas_dataset.practitioners[0].idnps,))

    outcome = (await fetch(host, adapter, query)).outcome

    assert outcome.status == "error"
    assert outcome.error is not None
    assert outcome.error.startswith("answer exceeds max_body_bytes (262144 bytes)")


async def test_rate_limit_is_retried_within_the_deadline(
    host: PluginHost, sas_vendor: Any, sas_dataset: Any
) -> None:
    sas_vendor.set_faults(Faults(mode="http-429", retry_after_s=0, fail_times=2))
    adapter = host.adapter("sas-fhir", {"base_url": sas_vendor.base_url})
    query = SlotQuery(window=window(), practitioners=(sas_dataset.practitioners[0].idnps,))

    outcome = (await fetch(host, adapter, query)).outcome

    assert outcome.status == "ok", outcome.error
    assert outcome.slot_count > 0


async def test_rate_limit_beyond_the_deadline_is_an_error(
    host: PluginHost, sas_vendor: Any, sas_dataset: Any
) -> None:
    sas_vendor.set_faults(Faults(mode="http-429", retry_after_s=5))
    adapter = host.adapter("sas-fhir", {"base_url": sas_vendor.base_url}, timeout_s=1)
    query = SlotQuery(window=window(), practitioners=(sas_dataset.practitioners[0].idnps,))

    outcome = (await fetch(host, adapter, query)).outcome

    assert outcome.http_status == 429
    assert outcome.error is not None
    assert outcome.error.startswith("HTTP 429 Too Many Requests: Retry-After 5 (5 s) does not fit")


async def test_connection_refused_on_a_real_socket(host: PluginHost) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    adapter = host.adapter("sas-fhir", {"base_url": f"http://127.0.0.1:{port}/fhir"})
    query = SlotQuery(window=window(), practitioners=("810000000042",))

    outcome = (await fetch(host, adapter, query)).outcome

    assert outcome.status == "error"
    assert outcome.error == f"connection refused by 127.0.0.1:{port}"


async def test_closing_the_adapter_closes_its_pooled_client(
    host: PluginHost, sas_vendor: Any
) -> None:
    adapter = host.adapter("sas-fhir", {"base_url": sas_vendor.base_url})
    query = SlotQuery(window=window(), practitioners=("810000000042",))
    await fetch(host, adapter, query)
    client = plugin.exchange.pool.client(adapter, adapter.settings)
    assert plugin.exchange.pool.client(adapter, adapter.settings) is client

    await host.close_adapter(adapter)

    assert client.is_closed
    assert plugin.exchange.pool.client(adapter, adapter.settings) is not client
