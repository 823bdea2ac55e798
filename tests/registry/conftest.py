"""Fixtures of the registry's service tests: a migrated database of each kind, the plugins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from sas_core.plugins.host import PluginHost
from sas_core.storage import create_engine_for, upgrade


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database at the head revision, SQLite or PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_engine_for(url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost.discover(allow=["sas-fhir", "sas-sos"])
