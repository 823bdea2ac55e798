"""Fixtures of the offer directory's tests: a generated directory, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from sas_core.geography.gazetteer import Gazetteer, load_gazetteer
from sas_core.offer.models import DirectoryPractitioner, DirectoryStructure
from sas_core.offer.synthetic import SyntheticDirectory, generate_directory, store_directory
from sas_core.storage import create_engine_for, open_database, upgrade

#: The generated directory most tests query: small enough to write in a second.
SEED, SIZE = 5, 1500


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    return load_gazetteer()


@pytest.fixture(scope="session")
def generated(
    gazetteer: Gazetteer,
) -> tuple[tuple[DirectoryStructure, ...], tuple[DirectoryPractitioner, ...]]:
    directory = generate_directory(SEED, SIZE, gazetteer)
    return directory.structures, tuple(directory.practitioners)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An empty, migrated database: the data dir's SQLite file, or the session's PostgreSQL."""
    if request.param == "sqlite":
        engine = open_database()
    else:
        url: str = request.getfixturevalue("postgres_url")
        upgrade(url)
        engine = create_engine_for(url)
    yield engine
    engine.dispose()


@pytest.fixture
def stored(
    engine: Engine,
    generated: tuple[tuple[DirectoryStructure, ...], tuple[DirectoryPractitioner, ...]],
) -> Engine:
    """`engine` holding the generated directory."""
    structures, practitioners = generated
    store_directory(engine, SyntheticDirectory(structures, iter(practitioners)))
    return engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The database the `sas` commands of the test use: the data dir's SQLite file, or the
    session's PostgreSQL database migrated as `sas db upgrade` would."""
    if request.param == "sqlite":
        return "sqlite"
    url: str = request.getfixturevalue("postgres_url")
    upgrade(url)
    monkeypatch.setenv("SAS_DATABASE_URL", url)
    return url
