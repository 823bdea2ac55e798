"""The fan-out with a territory's breaker, in process: real sockets to a simulated vendor that
counts the searches it receives, circuits in the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from sas_core.plugins.host import PluginHost
from sas_core.plugins.models import AdapterConfig
from sas_core.registry.circuit import BreakerPolicy
from sas_core.registry.health import DatabaseHealth, health_report
from sas_core.slots.fanout import AggregatedSlots, collect_slots
from sas_core.slots.models import SearchWindow
from sas_core.storage import create_engine_for
from sas_simulator.app import create_app
from sas_simulator.dataset import Dataset, build_dataset
from sas_simulator.server import SimulatorServer
from tests.registry.conftest import CountingSearches, set_faults

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return build_dataset(practitioners=2)


@pytest.fixture
def vendors(dataset: Dataset) -> Iterator[dict[str, tuple[SimulatorServer, CountingSearches]]]:
    running = {}
    for name in ("a", "b"):
        counting = CountingSearches(create_app(dataset))
        server = SimulatorServer(counting)  # type: ignore[arg-type]
        server.start()
        running[name] = (server, counting)
    yield running
    for server, _ in running.values():
        server.stop()


@pytest.fixture
def host() -> PluginHost:
    return PluginHost.discover(allow=["sas-fhir"])


def adapters(
    host: PluginHost, vendors: dict[str, tuple[SimulatorServer, CountingSearches]]
) -> list[AdapterConfig]:
    return [
        host.adapter("sas-fhir", {"base_url": server.base_url}, name=f"vendor-{name}", timeout_s=3)
        for name, (server, _) in vendors.items()
    ]


def window() -> SearchWindow:
    now = datetime.now(UTC)
    return SearchWindow(start=now, end=now + timedelta(hours=24))


async def search(
    host: PluginHost,
    configs: list[AdapterConfig],
    dataset: Dataset,
    breaker: DatabaseHealth | None,
    territory: str | None = "SAS-33",
) -> AggregatedSlots:
    return await collect_slots(
        host,
        configs,
        window(),
        practitioners=[dataset.practitioners[0].idnps],
        territory=territory,
        breaker=breaker,
    )


def statuses(result: AggregatedSlots) -> dict[str, str]:
    return {o.adapter: o.status for o in result.outcomes}


async def test_an_open_circuit_spares_its_vendor_and_only_it(
    engine: Engine,
    host: PluginHost,
    dataset: Dataset,
    vendors: dict[str, tuple[SimulatorServer, CountingSearches]],
) -> None:
    server_a, counting_a = vendors["a"]
    _, counting_b = vendors["b"]
    set_faults(server_a, mode="http-500")
    clock = Clock()
    breaker = DatabaseHealth(engine, BreakerPolicy(cooldown=timedelta(seconds=60)), clock=clock)
    configs = adapters(host, vendors)
    for _ in range(5):
        assert statuses(await search(host, configs, dataset, breaker)) == {
            "vendor-a": "error",
            "vendor-b": "ok",
        }

    result = await search(host, configs, dataset, breaker)

    assert statuses(result) == {"vendor-a": "skipped", "vendor-b": "ok"}
    assert (counting_a.searches, counting_b.searches) == (5, 6)
    [skipped] = [o for o in result.outcomes if o.adapter == "vendor-a"]
    assert skipped.requests == 0 and skipped.error and skipped.error.startswith("circuit open")
    assert result.slots and not result.all_failed
    assert result.plugins == {"vendor-a": "sas-fhir", "vendor-b": "sas-fhir"}

    # Without a territory (adapters named on the command line) no circuit is consulted or fed.
    ad_hoc = await search(host, configs, dataset, breaker, territory=None)
    assert statuses(ad_hoc) == {"vendor-a": "error", "vendor-b": "ok"}
    assert counting_a.searches == 6
    assert [(h.adapter, h.calls) for h in health_report(engine, now=clock.now)] == [
        ("vendor-a", 5),
        ("vendor-b", 6),
    ]

    set_faults(server_a)
    clock.now += timedelta(seconds=61)
    assert statuses(await search(host, configs, dataset, breaker)) == {
        "vendor-a": "ok",
        "vendor-b": "ok",
    }
    assert counting_a.searches == 7
    assert {h.adapter: h.circuit.state for h in health_report(engine, now=clock.now)} == {
        "vendor-a": "closed",
        "vendor-b": "closed",
    }


async def test_a_breaker_that_fails_costs_no_search(
    tmp_path: Path,
    host: PluginHost,
    dataset: Dataset,
    vendors: dict[str, tuple[SimulatorServer, CountingSearches]],
) -> None:
    unreachable = create_engine_for(f"sqlite:///{tmp_path / 'missing' / 'health.sqlite3'}")
    try:
        result = await search(host, adapters(host, vendors), dataset, DatabaseHealth(unreachable))
    finally:
        unreachable.dispose()
    assert statuses(result) == {"vendor-a": "ok", "vendor-b": "ok"}
