"""`sas db`: bring the database's schema to the version the code expects."""

from __future__ import annotations

import click
from alembic.util.exc import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from sas_core.cli.context import platform_settings
from sas_core.settings import PlatformSettings
from sas_core.storage.engine import create_engine_for
from sas_core.storage.schema import current_revision, head_revision, upgrade

_URL_HELP = "Database to use (default: $SAS_DATABASE_URL, else the SQLite file in the data dir)."


def _settings(database_url: str | None) -> PlatformSettings:
    settings = platform_settings(database_url=database_url)
    if settings.uses_embedded_database:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def _shown(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _failure(url: str, error: SQLAlchemyError | CommandError) -> click.ClickException:
    """A one-line reason instead of a traceback: the cause is nearly always configuration."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    return click.ClickException(f"cannot use the database {_shown(url)}: {reason}")


@click.group("db")
def db_group() -> None:
    """Manage the platform's database schema (SQLite by default, or $SAS_DATABASE_URL)."""


@db_group.command("upgrade")
@click.option("--database-url", metavar="URL", help=_URL_HELP)
@click.option(
    "--revision", default="head", show_default=True, help="Alembic revision to upgrade to."
)
def upgrade_command(database_url: str | None, revision: str) -> None:
    """Migrate the database up to REVISION and say from which revision to which.

    The embedded SQLite database is upgraded automatically when used; run this for a shared
    database (PostgreSQL) after installing a new version.
    """
    url = _settings(database_url).effective_database_url
    try:
        engine = create_engine_for(url)
        try:
            before = current_revision(engine)
            upgrade(engine, revision)
            after = current_revision(engine)
        finally:
            engine.dispose()
    except (SQLAlchemyError, CommandError) as error:
        raise _failure(url, error) from error
    if before == after:
        click.echo(f"{_shown(url)}: already at revision {after or 'none'}")
    else:
        click.echo(f"{_shown(url)}: upgraded from {before or 'none (empty)'} to {after}")


@db_group.command("current")
@click.option("--database-url", metavar="URL", help=_URL_HELP)
def current_command(database_url: str | None) -> None:
    """Show the database's schema revision and whether it is the latest."""
    url = _settings(database_url).effective_database_url
    try:
        engine = create_engine_for(url)
        try:
            current = current_revision(engine)
        finally:
            engine.dispose()
    except SQLAlchemyError as error:
        raise _failure(url, error) from error
    head = head_revision()
    state = "up to date" if current == head else f"behind, latest is {head}: run `sas db upgrade`"
    click.echo(f"{_shown(url)}: revision {current or 'none (empty)'} ({state})")
