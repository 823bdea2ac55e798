from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from sas_core.settings import load_settings
from sas_core.storage import (
    SchemaNotCurrentError,
    create_engine_for,
    current_revision,
    ensure_schema,
    head_revision,
    open_database,
    upgrade,
)
from sas_core.storage.schema import alembic_config
from sas_core.storage.tables import Base

TABLES = {"fetch_runs", "fetch_outcomes", "fetched_slots"}


def test_upgrade_from_empty_reaches_head(engine: Engine) -> None:
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_upgrade_is_idempotent(migrated: Engine) -> None:
    upgrade(migrated)
    upgrade(migrated, "head")
    assert current_revision(migrated) == head_revision()


def test_upgrade_accepts_a_url(database_url: str) -> None:
    upgrade(database_url)
    engine = create_engine_for(database_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_migrated_schema_matches_the_orm_metadata(migrated: Engine) -> None:
    with migrated.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migrations_go_down_and_up_again(migrated: Engine) -> None:
    config = alembic_config()
    with migrated.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert not TABLES & set(inspect(migrated).get_table_names())
    upgrade(migrated)
    assert set(inspect(migrated).get_table_names()) >= TABLES


def test_sqlite_engine_enforces_foreign_keys_and_waits_for_locks(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    upgrade(engine)  # runs with foreign keys off, and must turn them back on
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    engine.dispose()


def test_a_bare_postgresql_url_uses_psycopg() -> None:
    engine = create_engine_for("postgresql://sas@localhost/sas")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_ensure_schema_upgrades_sqlite_on_its_own(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'auto.sqlite3'}")
    ensure_schema(engine)
    assert current_revision(engine) == head_revision()
    ensure_schema(engine)
    engine.dispose()


@pytest.mark.postgres
def test_ensure_schema_refuses_a_postgresql_database_not_at_head(postgres_url: str) -> None:
    engine = create_engine_for(postgres_url)
    with pytest.raises(SchemaNotCurrentError, match="run `sas db upgrade`") as raised:
        ensure_schema(engine)
    assert raised.value.current is None
    assert inspect(engine).get_table_names() == []
    upgrade(engine)
    ensure_schema(engine)
    engine.dispose()


def test_ensure_schema_refuses_a_revision_it_does_not_know(migrated: Engine) -> None:
    with migrated.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'fromthefuture'"))
    with pytest.raises(SchemaNotCurrentError, match="newer version"):
        ensure_schema(migrated)


def test_open_database_creates_the_sqlite_file_in_the_data_dir(_isolated_data_dir: Path) -> None:
    assert not _isolated_data_dir.exists()
    engine = open_database()
    assert (_isolated_data_dir / "sas.sqlite3").is_file()
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_open_database_uses_the_given_settings(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "given")
    engine = open_database(settings)
    assert (tmp_path / "given" / "sas.sqlite3").is_file()
    engine.dispose()
