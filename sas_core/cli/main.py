"""Entry point of the `sas` command: the group, its global options and its exit codes.

Exit codes, the same for every command:

- 0: done (for a fetch: at least one adapter answered).
- 1: the operation failed (for a fetch: every adapter failed; a database that cannot be reached).
- 2: the command line is wrong (unknown option, malformed identifier, invalid window).
"""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path

import click

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

#: name → (module:attribute, one-line help). Commands are imported only when they run, so that
#: `sas --help` does not pay for Alembic, Litestar and the simulator.
COMMANDS: dict[str, tuple[str, str]] = {
    "db": ("sas_core.cli.db:db_group", "Manage the database schema."),
    "demo": ("sas_core.cli.demo:demo", "Simulated vendors → fetch → store → summary."),
    "oidc": ("sas_core.cli.oidc:oidc_group", "The SSO realm's signing keys (rotation)."),
    "plugins": ("sas_core.cli.plugins:plugins_group", "Inspect the installed plugins."),
    "regulators": ("sas_core.cli.regulators:regulators_group", "Regulators and vendor accounts."),
    "serve": ("sas_core.cli.serve:serve", "Serve the platform (vendor-facing FHIR endpoint)."),
    "simulator": ("sas_core.cli.simulator:simulator", "Run the vendor FHIR simulator."),
    "slots": ("sas_core.cli.slots:slots_group", "Fetch free slots from vendors."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (click's lazy-loading pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target[0].partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in self.list_commands(ctx)])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


def main() -> None:
    cli()
