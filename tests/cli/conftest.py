"""Fixtures of the CLI tests: the platform's database on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

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
