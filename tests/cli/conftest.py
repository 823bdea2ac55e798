"""Fixtures of the CLI tests: the platform's database on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from sas_core.storage import upgrade


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The database every `sas` command of the test uses: the data dir's SQLite file, or the
    session's PostgreSQL database migrated as `sas db upgrade` would."""
    if request.param == "sqlite":
        return "sqlite"
    url: str = request.getfixturevalue("postgres_url")
    upgrade(url)
    monkeypatch.setenv("SAS_DATABASE_URL", url)
    return url


@pytest.fixture
def fresh_database(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], None]:
    """Start the test's database over, empty and migrated: another data dir on SQLite, the
    same PostgreSQL database emptied."""

    def fresh() -> None:
        if database == "sqlite":
            monkeypatch.setenv("SAS_DATA_DIR", str(tmp_path / "fresh-data"))
            return
        engine = create_engine(database)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        upgrade(database)

    return fresh
