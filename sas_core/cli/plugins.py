"""`sas plugins`: what is installed and whether it loaded."""

from __future__ import annotations

import json

import click

from sas_core.cli.context import plugin_host
from sas_core.cli.output import echo_table


@click.group("plugins")
def plugins_group() -> None:
    """Inspect the installed plugins."""


@plugins_group.command("list")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def list_plugins(fmt: str) -> None:
    """List every plugin found in the `sas_connect.plugins` entry-point group.

    A plugin that failed to load is listed with its error; `sas --plugins a,b` (or
    SAS_PLUGINS=a,b) loads only some.
    """
    host = plugin_host()
    infos = sorted(host.plugins.values(), key=lambda p: p.name)
    if fmt == "json":
        click.echo(json.dumps([p.as_dict() for p in infos], indent=2))
        return
    echo_table(
        ["name", "version", "use cases", "status"],
        [
            [p.name, p.version or "?", ", ".join(p.use_cases) or "-", p.error or "loaded"]
            for p in infos
        ],
    )
