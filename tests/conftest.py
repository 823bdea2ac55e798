"""Fixtures shared by the whole suite. Area-specific fixtures live in each folder's conftest."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

REPO = Path(__file__).resolve().parent.parent
#: The spec folder beside the clone (`../shared`), read by tests only, never copied.
SHARED = Path(os.environ.get("SAS_SHARED_DIR", REPO.parent / "shared"))
IG_PACKAGES = {
    "1.1.0": SHARED / "spec" / "ig-package",
    "1.2.0-main": SHARED / "spec" / "ig-package-main-ci",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def ig_example_files() -> list[Path]:
    """Every example resource of both IG packages, or [] when ../shared is absent."""
    files: list[Path] = []
    for root in IG_PACKAGES.values():
        files.extend(sorted((root / "example").glob("*.json")))
    return files


needs_ig = pytest.mark.skipif(
    not ig_example_files(),
    reason=f"the IG packages are not at {SHARED}/spec (set SAS_SHARED_DIR to their parent)",
)


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own SAS_DATA_DIR so nothing leaks into the developer's data."""
    data = tmp_path / "sas-data"
    monkeypatch.setenv("SAS_DATA_DIR", str(data))
    monkeypatch.delenv("SAS_DATABASE_URL", raising=False)
    monkeypatch.delenv("SAS_PLUGINS", raising=False)
    return data


# PostgreSQL: tests get a throwaway database created for the session through the maintenance
# database (`SAS_TEST_POSTGRES_URL`, default the local `postgres` one) and dropped at the end;
# each test starts from an empty `public` schema in it. No other database is touched.
ADMIN_URL = os.environ.get(
    "SAS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """URL of a `sas_test_<random>` database, dropped when the session ends."""
    admin = create_engine(
        ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    name = f"sas_test_{secrets.token_hex(6)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        reason = str(error.orig).strip().splitlines()[0]
        pytest.skip(f"PostgreSQL unreachable at {ADMIN_URL} ({reason})")
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The session's PostgreSQL database, emptied for this test."""
    engine = create_engine(postgres_database)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return postgres_database
