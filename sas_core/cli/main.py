"""Entry point of the `sas` command: the group, its global options and its exit codes.

Exit codes, the same for every command:

- 0: done (for a fetch: at least one adapter answered).
- 1: the operation failed (for a fetch: every adapter failed; a database that cannot be reached).
- 2: the command line is wrong (unknown option, malformed identifier, invalid window).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from sas_core.cli.db import db_group
from sas_core.cli.demo import demo
from sas_core.cli.plugins import plugins_group
from sas_core.cli.simulator import simulator
from sas_core.cli.slots import slots_group

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sas-connect")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the platform keeps its data (default: $SAS_DATA_DIR, else ./.sas-data).",
)
@click.option(
    "--plugins",
    metavar="NAME[,NAME…]",
    help="Load only these plugins (sets SAS_PLUGINS; the built-in defaults always load).",
)
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
@click.option("--trace-hooks", is_flag=True, help="Log every plugin hook call and its result.")
def cli(data_dir: Path | None, plugins: str | None, verbose: int, trace_hooks: bool) -> None:
    """SAS Connect: aggregate vendors' slots for the SAS platform."""
    if data_dir is not None:
        os.environ["SAS_DATA_DIR"] = str(data_dir)
    if plugins is not None:
        os.environ["SAS_PLUGINS"] = plugins
    if trace_hooks:
        os.environ["SAS_TRACE_HOOKS"] = "1"
    level = logging.WARNING
    if verbose == 1 or trace_hooks:
        level = logging.INFO
    if verbose >= 2:
        level = logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


cli.add_command(db_group)
cli.add_command(plugins_group)
cli.add_command(slots_group)
cli.add_command(demo)
cli.add_command(simulator)


def main() -> None:
    cli()
