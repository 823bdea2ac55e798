"""The platform's jobs over the territory registry: what they release when they stop."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from sas_core.plugins.host import PluginHost
from sas_core.plugins.models import AdapterConfig
from sas_core.registry.changes import enable, move
from sas_core.registry.directory import RegistryDirectory
from sas_core.registry.health import HealthSettings
from sas_core.registry.models import AdapterState
from sas_core.scheduling.jobs import PlatformJobs, SchedulerSettings

pytestmark = pytest.mark.anyio

URL = "http://127.0.0.1:9/fhir"


def place(engine: Engine, host: PluginHost, territory: str, name: str, *states: str) -> None:
    enable(engine, host, territory, name, plugin="sas-fhir", settings={"base_url": URL},
           actor="test")  # fmt: skip
    for state in states:
        move(engine, territory, name, AdapterState(state), actor="test")


async def test_close_releases_each_adapter_once_even_one_no_longer_called(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = PluginHost.discover(allow=["sas-fhir"])
    place(engine, host, "SAS-33", "vendor-a", "connected-test")
    place(engine, host, "SAS-75", "vendor-a", "connected-test", "production")
    place(engine, host, "SAS-69", "vendor-b", "connected-test")
    directory = RegistryDirectory(engine, host)
    jobs = PlatformJobs(engine, host, directory, SchedulerSettings(), HealthSettings())
    # An account retry reached vendor-b; it has been suspended since.
    assert directory.adapter_named("vendor-b") is not None
    move(engine, "SAS-69", "vendor-b", AdapterState.SUSPENDED, actor="test")
    closed: list[str] = []

    async def close_adapter(adapter: AdapterConfig) -> None:
        closed.append(adapter.name)

    monkeypatch.setattr(host, "close_adapter", close_adapter)
    await jobs.close()

    assert sorted(closed) == ["vendor-a", "vendor-b"]
