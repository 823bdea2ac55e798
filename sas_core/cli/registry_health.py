"""`sas registry health`: each adapter's circuit and figures, per territory.

Kept apart from the rest of `sas registry` (the territories' adapters, `sas_core.cli.registry`)
so that both grow without stepping on each other; the group adds this command.
"""

from __future__ import annotations

import json
from typing import NoReturn

import click
from sqlalchemy.exc import SQLAlchemyError

from sas_core.cli.context import platform_settings
from sas_core.cli.main import EXIT_FAILED
from sas_core.cli.output import echo_table
from sas_core.registry.health import HealthSettings, health_report
from sas_core.registry.territories import check_territory
from sas_core.storage import SchemaNotCurrentError, open_database

#: The table's columns; `ok/20` is how many of the last 20 searches succeeded.
COLUMNS = (
    "territory",
    "adapter",
    "circuit",
    "calls",
    "errors",
    "p50 ms",
    "p95 ms",
    "ok/20",
    "error",
)


def _fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(EXIT_FAILED)


@click.command("health")
@click.option("--territory", help="Only this territory, e.g. SAS-33.")
@click.option("--adapter", help="Only this adapter.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def health(territory: str | None, adapter: str | None, fmt: str) -> None:
    """Show each adapter's circuit (closed, open, half-open) and its calls, errors and latency
    over the sliding window (SAS_HEALTH_WINDOW_S), per territory.

    `--format json` prints an array, `[]` when nothing matches.
    """
    if territory is not None:
        try:
            territory = check_territory(territory)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--territory") from None
    settings = HealthSettings()
    try:
        engine = open_database(platform_settings())
    except (SQLAlchemyError, SchemaNotCurrentError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        _fail(f"cannot use the database: {reason}")
    try:
        report = health_report(engine, settings, territory=territory, adapter=adapter)
    finally:
        engine.dispose()
    if fmt == "json":
        click.echo(json.dumps([h.as_dict() for h in report], indent=2, ensure_ascii=False))
        return
    echo_table(
        COLUMNS,
        [
            [
                h.territory,
                h.adapter,
                h.circuit.state,
                h.calls,
                h.errors,
                h.p50_ms,
                h.p95_ms,
                f"{h.circuit.recent.count('1')}/{len(h.circuit.recent)}",
                h.circuit.last_error,
            ]
            for h in report
        ],
        title=f"adapter health (calls over the last {settings.window_s:g} s)",
    )
