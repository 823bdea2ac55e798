"""Platform-wide settings read from `SAS_*` environment variables.

Every `sas` command honours them, so one exported `SAS_DATA_DIR` points the whole platform at
one place; the CLI's `--data-dir` and `--plugins` override them for one command, as keyword
overrides of :func:`load_settings` (`sas_core.cli.context`), never by writing the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sas_core.sso.models import DEFAULT_ORIGIN

#: File name of the embedded SQLite database inside the data directory.
SQLITE_FILE_NAME = "sas.sqlite3"
#: Where the data lives unless told otherwise: relative to the current directory.
DEFAULT_DATA_DIR = Path(".sas-data")
#: File name of the interim adapters file (imported into the registry once) in the data dir.
ADAPTERS_FILE_NAME = "adapters.toml"


class PlatformSettings(BaseSettings):
    """Where the platform keeps its data, which plugins load, and how booking URLs are marked.

    Each field's docstring is its description in the generated settings reference.
    """

    model_config = SettingsConfigDict(env_prefix="SAS_", use_attribute_docstrings=True)

    data_dir: Path = DEFAULT_DATA_DIR
    """Where the platform keeps its data; every command honours it. Relative to the current
    directory, so a checkout works without configuration: set an absolute path for anything
    lasting. Exported but empty means the default."""
    database_url: str | None = None
    """SQLAlchemy URL, e.g. `postgresql+psycopg://user@host/db`, when several platform instances
    share one database (then run `sas db upgrade`). Default: the SQLite file `sas.sqlite3` in
    the data directory, migrated on first use."""
    plugins: Annotated[frozenset[str] | None, NoDecode] = None
    """Comma-separated plugin names: only these load (the built-in defaults always do). Unset
    or empty: every installed plugin."""
    adapters_file: Path | None = None
    """The interim adapters file the territory registry replaced (which adapters were enabled in
    which territory), read only by `sas registry import-file`. Default: `adapters.toml` in the
    data directory."""
    origin: str = DEFAULT_ORIGIN
    """The `origin` parameter added to booking URLs (digest §8): `sas` in production,
    `sas-preprod` in pre-production. Exported but empty means the default."""
    radius_table: Path | None = None
    """ANS's search-radius sheet as CSV (digest §2.3: `cityDefaultRadius`, `countyRadius`,
    barycentres per département); unset, the fallbacks of `sas_core/geography/radius.py` apply."""

    @field_validator("plugins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """`SAS_PLUGINS=a, b` is a list; an empty value means "no restriction"."""
        if isinstance(value, str):
            names = {name.strip() for name in value.split(",") if name.strip()}
            return names or None
        return value

    @field_validator("origin")
    @classmethod
    def _origin_or_default(cls, value: str) -> str:
        """`SAS_ORIGIN=` (exported but empty) means the default: a booking URL never carries an
        empty `origin`, which a vendor would read as "not from the SAS"."""
        return value.strip() or DEFAULT_ORIGIN

    @field_validator("data_dir", mode="before")
    @classmethod
    def _expand_home(cls, value: Any) -> Any:
        """`SAS_DATA_DIR=` (exported but empty) means the default, not the current directory."""
        if isinstance(value, str) and not value.strip():
            return DEFAULT_DATA_DIR
        return Path(value).expanduser() if isinstance(value, str | Path) else value

    @field_validator("radius_table", mode="before")
    @classmethod
    def _empty_path_is_unset(cls, value: Any) -> Any:
        """`SAS_RADIUS_TABLE=` (exported but empty) means no table, not the current directory."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _empty_is_unset(cls, value: str | None) -> str | None:
        """`SAS_DATABASE_URL=` (exported but empty) means the default, not an invalid URL."""
        if value is None or not value.strip():
            return None
        return value.strip()

    @property
    def sqlite_path(self) -> Path:
        """The embedded database's file, used when no `database_url` is set."""
        return self.data_dir.resolve() / SQLITE_FILE_NAME

    @property
    def effective_database_url(self) -> str:
        """`database_url` when set, else the SQLite file in `data_dir` (absolute path)."""
        if self.database_url is not None:
            return self.database_url
        # Imported here: the settings load in every process, SQLAlchemy only where a database is.
        from sqlalchemy.engine import URL

        return URL.create("sqlite", database=str(self.sqlite_path)).render_as_string()

    @property
    def effective_adapters_file(self) -> Path:
        """`adapters_file` when set, else `adapters.toml` in `data_dir`."""
        if self.adapters_file is not None:
            return self.adapters_file.expanduser()
        return self.data_dir.resolve() / ADAPTERS_FILE_NAME

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None


def load_settings(**overrides: Any) -> PlatformSettings:
    """Read the settings from the environment; keyword overrides win over it.

    An override of None counts as "not given", so CLI options that default to None can be
    passed straight through without masking the environment.
    """
    return PlatformSettings(**{k: v for k, v in overrides.items() if v is not None})
