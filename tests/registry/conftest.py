"""Fixtures of the registry's service tests: a migrated database of each kind (SQLite and, when
reachable, the machine's PostgreSQL), an engine on it, the plugins, and simulated vendors that
count what they receive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from sas_core.plugins.host import PluginHost
from sas_core.storage import create_engine_for, upgrade
from sas_simulator.server import SimulatorServer


class CountingSearches:
    """A simulated vendor's app wrapped to count the Slot searches that reach it: what the
    breaker spares a vendor is counted where the vendor sees it, server side."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.searches = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/fhir/Slot":
            self.searches += 1
        await self.app(scope, receive, send)


def set_faults(server: SimulatorServer, **faults: Any) -> None:
    """Replace a (wrapped) simulator's faults the way a tool does: `PUT /_sim/faults`."""
    httpx.put(f"{server.root_url}/_sim/faults", json=faults).raise_for_status()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind, migrated to the head revision."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    upgrade(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on `database_url`."""
    engine = create_engine_for(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost.discover(allow=["sas-fhir", "sas-sos"])
