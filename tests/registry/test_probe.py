"""The health probe: one cheap search per territory and adapter, through the breaker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from sas_core.plugins.host import PluginHost
from sas_core.registry.adapters_file import FileAdapterDirectory, parse_adapters
from sas_core.registry.health import DatabaseHealth, HealthSettings, health_report
from sas_core.slots.probe import probe_adapters
from sas_simulator.app import create_app
from sas_simulator.dataset import build_dataset
from sas_simulator.server import SimulatorServer
from tests.registry.conftest import CountingSearches, set_faults

pytestmark = pytest.mark.anyio


@pytest.fixture
def vendor() -> Iterator[tuple[SimulatorServer, CountingSearches]]:
    counting = CountingSearches(create_app(build_dataset(practitioners=2)))
    with SimulatorServer(counting) as server:  # type: ignore[arg-type]
        yield server, counting


def directory(host: PluginHost, base_url: str) -> FileAdapterDirectory:
    return parse_adapters(
        {
            "adapters": {
                "vendor-a": {
                    "plugin": "sas-fhir",
                    "territories": ["SAS-33", "SAS-2A"],
                    "timeout_s": 2,
                    "settings": {"base_url": base_url},
                },
                "vendor-sos": {
                    "plugin": "sas-sos",
                    "territories": ["SAS-33"],
                    "timeout_s": 2,
                    "settings": {"base_url": base_url},
                },
            }
        },
        host,
    )


async def test_every_territory_and_adapter_is_probed_and_an_open_circuit_is_tried_again(
    engine: Engine, vendor: tuple[SimulatorServer, CountingSearches]
) -> None:
    server, counting = vendor
    host = PluginHost.discover(allow=["sas-fhir", "sas-sos"])
    served = directory(host, server.base_url)
    now = datetime.now(UTC)
    settings = HealthSettings()
    breaker = DatabaseHealth(engine, settings.policy(), clock=lambda: now)

    async def probe() -> dict[str, list[str]]:
        outcomes = await probe_adapters(
            host,
            served,
            breaker,
            practitioner=settings.probe_rpps,
            structure=settings.probe_siret,
            now=now,
        )
        return {t: [f"{o.adapter}:{o.status}" for o in found] for t, found in outcomes.items()}

    try:
        assert await probe() == {
            "SAS-20A": ["vendor-a:ok"],
            "SAS-33": ["vendor-a:ok", "vendor-sos:ok"],
        }
        assert counting.searches == 2  # the SOS adapter searches Schedules, not Slots
        set_faults(server, mode="http-500")
        for _ in range(5):
            await probe()
        assert (await probe())["SAS-20A"] == ["vendor-a:skipped"]
        assert counting.searches == 2 + 5 * 2

        set_faults(server)
        now += timedelta(seconds=settings.cooldown_s + 1)
        assert (await probe())["SAS-33"] == ["vendor-a:ok", "vendor-sos:ok"]
    finally:
        for adapter in served.adapters.values():
            await host.close_adapter(adapter)
    assert {(h.territory, h.adapter, h.circuit.state) for h in health_report(engine, now=now)} == {
        ("SAS-20A", "vendor-a", "closed"),
        ("SAS-33", "vendor-a", "closed"),
        ("SAS-33", "vendor-sos", "closed"),
    }
