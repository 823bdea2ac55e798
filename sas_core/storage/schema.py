"""Bringing a database's schema to the revision this code expects (Alembic, driven from code).

The migrations ship inside the package, so `sas db upgrade` works from an installed wheel with
no `alembic.ini` around.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection, Engine

from sas_core.storage.engine import SQLITE_BEGIN_OPTION, create_engine_for
from sas_core.storage.metadata import METADATA  # noqa: F401  (registers every table)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class SchemaNotCurrentError(RuntimeError):
    """The database is not at the revision the code expects, and may not be upgraded silently."""

    def __init__(self, current: str | None, head: str, *, known: bool = True) -> None:
        self.current = current
        self.head = head
        if not known:
            detail = (
                f"the database is at revision {current}, which this version of SAS Connect does "
                f"not know (expected {head}): it was probably upgraded by a newer version"
            )
        else:
            detail = (
                f"the database schema is at revision {current or 'none (empty database)'}, "
                f"expected {head}: run `sas db upgrade`"
            )
        super().__init__(detail)


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """The revision the code's tables correspond to."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's revision, or None when it was never migrated."""
    with engine.connect() as connection:
        return _revision_of(connection)


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _is_known(revision: str | None) -> bool:
    if revision is None:
        return True
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def upgrade(engine_or_url: Engine | str, revision: str = "head") -> None:
    """Migrate the database up to `revision`, in one transaction.

    On SQLite the migration runs with foreign keys off: batch mode rebuilds tables by copying
    them, and dropping a referenced table with foreign keys on would cascade-delete its
    children. The foreign keys are checked once the migration is done, before committing.
    """
    if isinstance(engine_or_url, str):
        engine = create_engine_for(engine_or_url)
        try:
            upgrade(engine, revision)
        finally:
            engine.dispose()
        return

    config = alembic_config()
    sqlite = engine_or_url.dialect.name == "sqlite"
    with engine_or_url.connect() as connection:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
            connection = connection.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


def ensure_schema(engine: Engine) -> None:
    """Make sure the schema is current before the platform uses the database.

    The embedded SQLite database is upgraded on the spot so that the default setup just works;
    a shared database (PostgreSQL) is only ever migrated on purpose, with `sas db upgrade`.
    """
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return
    if not _is_known(current):
        raise SchemaNotCurrentError(current, head, known=False)
    if engine.dialect.name != "sqlite":
        raise SchemaNotCurrentError(current, head)
    upgrade(engine)
