"""Opening the platform's database the way every command needs it."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from sas_core.settings import PlatformSettings, load_settings
from sas_core.storage.engine import create_engine_for
from sas_core.storage.schema import ensure_schema


def open_database(settings: PlatformSettings | None = None) -> Engine:
    """An engine on the configured database, its schema checked (SQLite: upgraded) first."""
    settings = settings or load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine_for(settings.effective_database_url)
    try:
        ensure_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine
