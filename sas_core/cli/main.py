"""Entry point of the `sas` command: the group, its global options and its exit codes.

Exit codes, the same for every command:

- 0: done (for a fetch: at least one adapter answered).
- 1: the operation failed (for a fetch: every adapter failed; a database that cannot be reached).
- 2: the command line is wrong (unknown option, malformed identifier, invalid window).
"""

from __future__ import annotations

import importlib
import logging
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import click

from sas_core.cli.context import CliContext

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

#: The entry-point group through which another distribution adds commands to `sas`: each entry
#: names a click command or group, e.g. `simulator = "sas_simulator.commands:simulator"`. The
#: core never imports those distributions; it finds their commands here (llm's
#: `register_commands`, stevedore's reporting of what fails to load).
COMMANDS_GROUP = "sas_connect.commands"

#: The core's own commands: name → (module:attribute, one-line help). Commands are imported only
#: when they run, so that `sas --help` does not pay for Alembic and Litestar.
COMMANDS: dict[str, tuple[str, str]] = {
    "db": ("sas_core.cli.db:db_group", "Manage the database schema."),
    "directory": ("sas_core.cli.directory:directory_group", "The offer directory the search uses."),
    "geocode": ("sas_core.cli.geocode:geocode", "Locate a place: search centre and radius."),
    "plugins": ("sas_core.cli.plugins:plugins_group", "Inspect the installed plugins."),
    "registry": ("sas_core.cli.registry:registry_group", "Territories, their adapters and health."),
    "regulators": ("sas_core.cli.regulators:regulators_group", "Regulators and vendor accounts."),
    "scheduler": ("sas_core.cli.scheduler:scheduler_group", "Run the background jobs."),
    "search": ("sas_core.cli.search:search", "The care offer near a place, with live slots."),
    "slots": ("sas_core.cli.slots:slots_group", "Fetch free slots from vendors."),
}


def contributed_commands() -> dict[str, EntryPoint]:
    """The commands other installed distributions declare, by name; a name the core already
    uses, or that a second distribution declares again, is reported on stderr and left out."""
    found: dict[str, EntryPoint] = {}
    for entry in entry_points(group=COMMANDS_GROUP):
        taken = "the core" if entry.name in COMMANDS else _origin(found.get(entry.name))
        if taken is not None:
            _report(f"command {entry.name!r} of {_origin(entry)} ignored: {taken} has one")
            continue
        found[entry.name] = entry
    return found


def load_contributed(entry: EntryPoint) -> click.Command | None:
    """The command `entry` names, or None when it cannot be loaded (reported on stderr): one
    broken distribution never takes the other commands down."""
    try:
        command = entry.load()
    except Exception as exc:
        _report(f"command {entry.name!r} of {_origin(entry)} failed to load: {_one_line(exc)}")
        return None
    if not isinstance(command, click.Command):
        _report(
            f"command {entry.name!r} of {_origin(entry)} is not a click command: "
            f"{entry.value} is a {type(command).__name__}"
        )
        return None
    return command


def _origin(entry: EntryPoint | None) -> str | None:
    if entry is None:
        return None
    dist = entry.dist
    return f"{dist.name} {dist.version}" if dist is not None else entry.value


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def _report(message: str) -> None:
    click.echo(f"sas: {message}", err=True)


class LazyGroup(click.Group):
    """The `sas` group: the core's commands, imported on first use (click's lazy-loading
    pattern), and those of other distributions, loaded from their entry points when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *contributed_commands()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            entry = contributed_commands().get(cmd_name)
            return load_contributed(entry) if entry is not None else None
        module, _, attribute = target[0].partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, help_text) in COMMANDS.items()]
        for name, entry in contributed_commands().items():
            command = load_contributed(entry)
            if command is not None:
                rows.append((name, command.get_short_help_str(limit=formatter.width)))
        with formatter.section("Commands"):
            formatter.write_dl(sorted(rows))


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
    help="Load only these plugins (instead of $SAS_PLUGINS; the built-in defaults always load).",
)
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
@click.option("--trace-hooks", is_flag=True, help="Log every plugin hook call and its result.")
@click.pass_context
def cli(
    ctx: click.Context, data_dir: Path | None, plugins: str | None, verbose: int, trace_hooks: bool
) -> None:
    """SAS Connect: aggregate vendors' slots for the SAS platform."""
    # The commands read the options from here (`sas_core.cli.context`), not from os.environ.
    ctx.obj = CliContext(data_dir=data_dir, plugins=plugins, trace_hooks=trace_hooks)
    level = logging.WARNING
    if verbose == 1 or trace_hooks:
        level = logging.INFO
    if verbose >= 2:
        level = logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def main() -> None:
    cli()
