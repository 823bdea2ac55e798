"""Alembic environment for SAS Connect's schema.

`sas_core.storage.schema.upgrade` hands over an open connection in `config.attributes`. Run
through the `alembic` command instead (to write a new revision), it connects to the database
that `SAS_DATABASE_URL` / `SAS_DATA_DIR` designate:

    .venv/bin/alembic -c sas_core/storage/migrations/alembic.ini revision --autogenerate -m "…"
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from sas_core.settings import load_settings
from sas_core.storage.columns import UtcDateTime
from sas_core.storage.engine import create_engine_for
from sas_core.storage.metadata import METADATA


def render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write the plain DDL type for our TypeDecorators: migrations must not import app code."""
    if kind == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


handed_over = context.config.attributes.get("connection")
if handed_over is not None:
    run_migrations(handed_over)
else:
    engine = create_engine_for(load_settings().effective_database_url)
    try:
        with engine.begin() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()
