"""`sas registry`: the territories and the adapters enabled in each, their state, their audit,
and (`sas registry health`, in `sas_core.cli.registry_health`) their health.

The commands parse, call `sas_core.registry`, and print; secrets appear only as their references
(`env:NAME`, `file:PATH`) because the registry holds nothing else.

Exit codes as every command: 2 for a value the registry refuses on the command line (unknown
territory, adapter or plugin, settings failing the plugin's schema, a secret in clear); 1 for an
operation refused (an illegal state transition, an invalid registry file, an unusable database);
else 0. A refused command changes nothing.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from sas_core.cli.context import platform_settings, plugin_host
from sas_core.cli.main import EXIT_FAILED, EXIT_USAGE
from sas_core.cli.output import echo_table
from sas_core.cli.registry_health import health
from sas_core.registry.changes import configure, default_actor, disable, enable, move
from sas_core.registry.directory import declared_adapter, territory_view, territory_views
from sas_core.registry.files import (
    apply_files,
    export_registry,
    import_adapters_file,
    write_files,
)
from sas_core.registry.models import (
    AdapterState,
    Change,
    RegistryError,
    RegistryFileError,
    RegistryInputError,
    TerritoryView,
)
from sas_core.registry.search_radius import search_radii, set_search_radius
from sas_core.registry.territories import check_territory
from sas_core.storage import SchemaNotCurrentError, open_database
from sas_core.storage.registry import audit_entries

T = TypeVar("T")

_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
_ACTOR = click.option(
    "--actor", default=default_actor, show_default="the OS user", help="Who makes the change."
)
_REASON = click.option("--reason", help="Why: kept in the audit trail.")
_TERRITORY = click.option("--territory", required=True, help="SAS territory, e.g. SAS-33.")
_ADAPTER = click.option("--adapter", required=True, help="Adapter name.")
_SETTINGS = click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="A setting of the plugin's schema (repeatable); a secret as env:NAME or file:PATH.",
)
_TIMEOUT = click.option(
    "--timeout", "timeout_s", type=float, help="The adapter's deadline per call, in seconds."
)


@click.group("registry")
def registry_group() -> None:
    """Territories and the adapters enabled in each: settings, lifecycle state, audit trail,
    health."""


def _fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(code)


def _engine() -> Engine:
    try:
        return open_database(platform_settings())
    except (SQLAlchemyError, SchemaNotCurrentError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        _fail(f"cannot use the database: {reason}")


def _run(call: Callable[[Engine], T]) -> T:
    """Run a registry call on the database; its refusals become messages and exit codes."""
    engine = _engine()
    try:
        return call(engine)
    except RegistryInputError as exc:
        _fail(str(exc), EXIT_USAGE)
    except RegistryFileError as exc:
        _fail("refused as a whole, nothing changed:\n" + "\n".join(exc.problems))
    except RegistryError as exc:
        _fail(str(exc))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        _fail(f"cannot use the database: {reason}")
    finally:
        engine.dispose()


def _pairs(pairs: Sequence[str]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--set")
        settings[key.strip()] = value
    return settings


def _report(changes: Sequence[Change], nothing: str) -> None:
    """The changes made, one line each (settings show secrets as references)."""
    for change in changes:
        click.echo(change.describe())
    if not changes:
        click.echo(f"no change: {nothing}")


def _json(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


def _adapters_cell(view: TerritoryView) -> str:
    return ", ".join(
        f"{a.adapter} ({a.state}{'' if a.enabled else ', disabled'})" for a in view.adapters
    )


@registry_group.command("list")
@_FORMAT
def list_territories(fmt: str) -> None:
    """List the 101 territories and the adapters of each, with their state.

    `--format json` prints an array of {code, name, adapters: [{name, state, enabled}]}.
    """
    views = _run(territory_views)
    if fmt == "json":
        _json([v.as_dict() for v in views])
        return
    echo_table(
        ["territory", "name", "adapters"],
        [[v.code, v.name, _adapters_cell(v) or "—"] for v in views],
        title="territories",
    )


@registry_group.command("show")
@click.argument("territory", required=False)
@click.option("--adapter", help="Show this adapter's declaration instead of a territory.")
@_FORMAT
def show(territory: str | None, adapter: str | None, fmt: str) -> None:
    """Show one territory (as in `list`), or with --adapter one adapter's declaration.

    Settings are shown as stored: a secret only as its reference.
    """
    if (territory is None) == (adapter is None):
        raise click.UsageError("give a TERRITORY (e.g. SAS-33) or --adapter NAME")
    if adapter is not None:
        _show_adapter(adapter, fmt)
        return
    assert territory is not None
    view = _run(lambda engine: territory_view(engine, territory))
    if fmt == "json":
        _json(view.as_dict())
        return
    declared = _run(
        lambda engine: {a.adapter: declared_adapter(engine, a.adapter) for a in view.adapters}
    )
    echo_table(
        ["adapter", "plugin", "state", "enabled", "timeout s", "settings"],
        [
            [
                a.adapter,
                declared[a.adapter].plugin,
                f"{a.state} (from {a.suspended_from})" if a.suspended_from else a.state,
                "yes" if a.enabled else "no",
                f"{declared[a.adapter].timeout_s:g}",
                _settings_cell(declared[a.adapter].settings),
            ]
            for a in view.adapters
        ],
        title=f"{view.code} — {view.name}",
    )


def _show_adapter(name: str, fmt: str) -> None:
    declared = _run(lambda engine: declared_adapter(engine, name))
    views = _run(territory_views)
    placed = [
        {"code": v.code, "state": str(a.state), "enabled": a.enabled}
        for v in views
        for a in v.adapters
        if a.adapter == name
    ]
    if fmt == "json":
        _json({"name": declared.name, **declared.as_dict(), "territories": placed})
        return
    echo_table(
        ["adapter", "plugin", "timeout s", "settings", "territories"],
        [
            [
                declared.name,
                declared.plugin,
                f"{declared.timeout_s:g}",
                _settings_cell(declared.settings),
                ", ".join(
                    f"{p['code']} ({p['state']}{'' if p['enabled'] else ', disabled'})"
                    for p in placed
                ),
            ]
        ],
    )


def _settings_cell(settings: Any) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(settings.items()))


@registry_group.command("enable")
@_TERRITORY
@_ADAPTER
@click.option("--plugin", help="Declare ADAPTER with this plugin (default: the plugin ADAPTER).")
@_SETTINGS
@_TIMEOUT
@_ACTOR
@_REASON
def enable_command(
    territory: str,
    adapter: str,
    plugin: str | None,
    settings: tuple[str, ...],
    timeout_s: float | None,
    actor: str,
    reason: str | None,
) -> None:
    """Enable ADAPTER in TERRITORY (a new one starts at `onboarding`).

    ADAPTER is a declared adapter, or a new one: an installed plugin's name, or any name with
    --plugin; --set gives or changes its settings (for every territory it serves).
    """
    given = _pairs(settings)
    host = plugin_host()
    changes = _run(
        lambda engine: enable(
            engine,
            host,
            territory,
            adapter,
            plugin=plugin,
            settings=given,
            timeout_s=timeout_s,
            actor=actor,
            reason=reason,
        )
    )
    _report(changes, f"{adapter} is already enabled in {territory}")


@registry_group.command("disable")
@_TERRITORY
@_ADAPTER
@_ACTOR
@_REASON
def disable_command(territory: str, adapter: str, actor: str, reason: str | None) -> None:
    """Stop calling ADAPTER in TERRITORY; its state there is kept."""
    changes = _run(lambda engine: disable(engine, territory, adapter, actor=actor, reason=reason))
    _report(changes, f"{adapter} is not enabled in {territory}")


@registry_group.command("set")
@_ADAPTER
@click.option("--plugin", help="The plugin, when ADAPTER is declared by this command.")
@_SETTINGS
@click.option("--unset", multiple=True, metavar="KEY", help="Remove a setting (repeatable).")
@_TIMEOUT
@_ACTOR
@_REASON
def set_command(
    adapter: str,
    plugin: str | None,
    settings: tuple[str, ...],
    unset: tuple[str, ...],
    timeout_s: float | None,
    actor: str,
    reason: str | None,
) -> None:
    """Change an adapter's settings or deadline, in every territory it serves (or declare it)."""
    given = _pairs(settings)
    host = plugin_host()
    changes = _run(
        lambda engine: configure(
            engine,
            host,
            adapter,
            plugin=plugin,
            settings=given,
            unset=unset,
            timeout_s=timeout_s,
            actor=actor,
            reason=reason,
        )
    )
    _report(changes, f"{adapter} already has these settings")


@registry_group.command("state")
@_TERRITORY
@_ADAPTER
@click.argument("state", type=click.Choice([s.value for s in AdapterState]))
@click.option("--reason", required=True, help="Why: kept in the audit trail.")
@_ACTOR
def state_command(territory: str, adapter: str, state: str, reason: str, actor: str) -> None:
    """Move ADAPTER in TERRITORY along onboarding → connected-test → production, or to
    suspended (and back from suspended to the state it was suspended from or an earlier one).

    An illegal transition exits 1 and changes nothing.
    """
    changes = _run(
        lambda engine: move(
            engine, territory, adapter, AdapterState(state), actor=actor, reason=reason
        )
    )
    _report(changes, f"{adapter} is already {state} in {territory}")


@registry_group.command("audit")
@click.option("--territory", help="Only this territory's changes.")
@click.option("--adapter", help="Only this adapter's changes.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@_FORMAT
def audit(territory: str | None, adapter: str | None, limit: int, fmt: str) -> None:
    """The registry's changes, newest first: who, when, what (before → after), why."""
    entries = _run(
        lambda engine: audit_entries(
            engine, territory=_official(territory), adapter=adapter, limit=limit
        )
    )
    if fmt == "json":
        _json([e.as_dict() for e in entries])
        return
    echo_table(
        ["at", "actor", "action", "territory", "adapter", "what changed", "reason"],
        [
            [
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                e.actor,
                e.action,
                e.territory,
                e.adapter,
                _difference(e.before, e.after),
                e.reason,
            ]
            for e in entries
        ],
        title="registry audit trail",
    )


def _official(code: str | None) -> str | None:
    if code is None:
        return None
    try:
        return check_territory(code)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--territory") from None


def _difference(before: Any, after: Any) -> str:
    """`key: old → new` for each value that changed (settings one by one)."""
    old, new = _flat(before or {}), _flat(after or {})
    return "; ".join(
        f"{key}: {old[key]} → {new[key]}"
        if key in old and key in new
        else f"{key}: {new[key]}"
        if key in new
        else f"{key} unset (was {old[key]})"
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    )


def _flat(document: Any) -> dict[str, Any]:
    return {
        **{k: v for k, v in document.items() if k != "settings"},
        **{f"settings.{k}": v for k, v in (document.get("settings") or {}).items()},
    }


@registry_group.command("export")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the files into this folder (default: print them).",
)
def export(output: Path | None) -> None:
    """Write the registry as files: adapters.toml and one SAS-<département>.toml per territory
    with adapters (`sas registry apply` reads them back)."""
    files = _run(export_registry)
    if output is None:
        for name, text in files.items():
            click.echo(f"# ==> {name} <==\n{text}")
        return
    try:
        removed = write_files(files, output)
    except OSError as exc:
        _fail(f"cannot write into {output}: {exc.strerror or exc}")
    click.echo(f"wrote {len(files)} files into {output}")
    for old in removed:
        click.echo(f"removed {old}: no adapter in that territory any more")


@registry_group.command("apply")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show the changes without making them.")
@_ACTOR
@_REASON
def apply(path: Path, dry_run: bool, actor: str, reason: str | None) -> None:
    """Make the registry say what the folder (or file) PATH says, showing the changes first.

    A territory file describes its territory wholly (adapters it leaves out are disabled), a
    folder every territory. An invalid input is refused as a whole, naming each entry, field
    and reason: nothing changes. Applying twice changes nothing the second time.
    """
    host = plugin_host()
    changes = _run(
        lambda engine: apply_files(
            engine,
            host,
            path,
            actor=actor,
            reason=reason or f"sas registry apply {path}",
            dry_run=dry_run,
        )
    )
    _report(changes, f"the registry already matches {path}")
    if dry_run and changes:
        click.echo("dry run: nothing changed")


@registry_group.command("import-file")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--state",
    type=click.Choice([s.value for s in AdapterState]),
    default=AdapterState.PRODUCTION.value,
    show_default=True,
    help="The state of an adapter newly enabled in a territory (the file was the live "
    "configuration).",
)
@click.option("--dry-run", is_flag=True, help="Show the changes without making them.")
@_ACTOR
@_REASON
def import_file(
    path: Path | None, state: str, dry_run: bool, actor: str, reason: str | None
) -> None:
    """Import the interim adapters file (default: $SAS_ADAPTERS_FILE, else adapters.toml in
    the data dir) once: its adapters declared, enabled in their territories.

    A private key's path given in clear becomes its file: reference.
    """
    source = path or platform_settings().effective_adapters_file
    host = plugin_host()
    changes = _run(
        lambda engine: import_adapters_file(
            engine,
            host,
            source,
            initial=AdapterState(state),
            actor=actor,
            reason=reason or f"imported from {source}",
            dry_run=dry_run,
        )
    )
    _report(changes, f"the registry already has what {source} says")
    if dry_run and changes:
        click.echo("dry run: nothing changed")


@registry_group.command("radius")
@click.argument("territory", required=False)
@click.option(
    "--city",
    "city_km",
    type=float,
    help="Radius (km) of an address, city or postcode "
    "search in the territory, instead of ANS's cityDefaultRadius.",
)
@click.option(
    "--county",
    "county_km",
    type=float,
    help="Radius (km) of a whole-département search, instead of ANS's countyRadius.",
)
@click.option("--clear", is_flag=True, help="Back to ANS's table for this territory.")
@_FORMAT
def radius(
    territory: str | None, city_km: float | None, county_km: float | None, clear: bool, fmt: str
) -> None:
    """The territories' own search radii (`sas search`), over ANS's table: without TERRITORY,
    every override; with --city/--county, set them; with --clear, drop them."""
    if territory is None:
        if city_km is not None or county_km is not None or clear:
            _fail("name the TERRITORY whose radius to set or clear", EXIT_USAGE)
        radii = _run(search_radii)
        if fmt == "json":
            _json([dataclasses.asdict(r) for r in radii])
        else:
            rows = [[r.territory, r.city_radius_km, r.county_radius_km] for r in radii]
            echo_table(["territory", "city km", "county km"], rows, title="search radii")
        return
    if clear == (city_km is not None or county_km is not None):
        _fail("give --city and/or --county, or --clear", EXIT_USAGE)
    done = _run(lambda engine: set_search_radius(engine, territory, city_km, county_km))
    click.echo(
        f"{done.territory}: city {done.city_radius_km or 'from the table'}, "
        f"county {done.county_radius_km or 'from the table'}"
    )


# Each adapter's health and circuit state, kept in its own module (`registry_health`).
registry_group.add_command(health)
