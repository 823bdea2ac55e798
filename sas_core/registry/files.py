"""The registry as files: one TOML file per territory and the adapters declared in `adapters.toml`.

The database holds the live registry; `export` writes it as a folder and `apply` makes the
database say what a folder (or one file) says, showing the changes first. A folder::

    adapters.toml        each adapter declared once: plugin, timeout, settings
    SAS-33.toml          the adapters of territory SAS-33: state, enabled
    SAS-20A.toml         …one file per territory that has adapters

`adapters.toml` (the interim adapters file's shape, without territories)::

    [adapters.vendor-a]
    plugin = "sas-fhir"
    timeout_s = 7.0                         # optional, default 7
    [adapters.vendor-a.settings]            # checked by the plugin's settings schema
    base_url = "https://vendor-a.example/fhir"
    client_key = "env:VENDOR_A_CLIENT_KEY"  # a secret: only by reference

`SAS-33.toml` (the file name is the territory)::

    [adapters.vendor-a]
    state = "production"                    # onboarding, connected-test, production, suspended
    enabled = true                          # optional, default true
    # suspended_from = "production"         # with state = "suspended": the state it left

A territory file describes its territory wholly: an adapter the database has there but the file
does not name is disabled (never deleted: its state and history stay). Applying a folder covers
every territory, so a territory without a file has no adapter enabled. Declarations are never
deleted either. A state change must be a legal transition, as with `sas registry state`. Every
problem of every file is reported at once and refuses the whole input: nothing is changed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w
from sqlalchemy.engine import Engine

from sas_core.plugins.host import PluginError, PluginHost
from sas_core.plugins.models import DEFAULT_TIMEOUT_S
from sas_core.registry.changes import edit
from sas_core.registry.models import (
    INITIAL_STATE,
    AdapterChange,
    AdapterState,
    Assignment,
    AssignmentChange,
    Change,
    Registry,
    RegistryError,
    RegistryFileError,
    RegistryInputError,
)
from sas_core.registry.secrets import secret_fields
from sas_core.registry.settings import InvalidSettings, declare
from sas_core.registry.territories import TERRITORIES, check_territory
from sas_core.storage.registry import read_registry

ADAPTERS_FILE = "adapters.toml"
_ORDER = {t.code: i for i, t in enumerate(TERRITORIES)}
_DECLARATION_KEYS = frozenset({"plugin", "timeout_s", "settings"})
_ASSIGNMENT_KEYS = frozenset({"state", "enabled", "suspended_from"})


@dataclass(frozen=True)
class Declaration:
    """An adapter as a file declares it, not yet checked; `where` locates it for messages."""

    plugin: str
    timeout_s: float
    settings: Mapping[str, Any]
    where: str


@dataclass(frozen=True)
class Placement:
    """An adapter in a territory as a file says; `state` None keeps the current state (a new
    one starts at `initial`)."""

    enabled: bool
    state: AdapterState | None
    suspended_from: AdapterState | None
    where: str


@dataclass
class RegistryDocument:
    """What registry files say. `territories` maps each territory the input covers to its
    placements; `whole` says each covered territory is described wholly (what is not named
    there is disabled)."""

    adapters: dict[str, Declaration] = field(default_factory=dict)
    territories: dict[str, dict[str, Placement]] = field(default_factory=dict)
    whole: bool = True
    initial: AdapterState = INITIAL_STATE
    #: What is wrong with the files themselves, reported with what planning finds.
    problems: list[str] = field(default_factory=list)
    #: Every adapter the files declare, including those whose declaration is broken.
    named: set[str] = field(default_factory=set)


# -------------------------------------------------------------------------------------------------
# Reading
# -------------------------------------------------------------------------------------------------


def read_files(path: Path) -> RegistryDocument:
    """The document a registry folder or file says, with the problems of the files themselves.

    A folder covers all 101 territories; `adapters.toml` alone covers none; a territory file
    covers its territory, with the `adapters.toml` beside it if there is one.
    """
    document = RegistryDocument()
    problems = document.problems
    if path.is_dir():
        files = sorted(path.glob("*.toml"))
        document.territories = {t.code: {} for t in TERRITORIES}
    elif path.is_file():
        files = [path]
        sibling = path.parent / ADAPTERS_FILE
        if path.name != ADAPTERS_FILE and sibling.is_file():
            files.insert(0, sibling)
    else:
        problems.append(f"{path}: no such file or folder")
        files = []
    seen: dict[str, Path] = {}
    for file in files:
        content = _load(file, problems)
        if content is None:
            continue
        if file.name == ADAPTERS_FILE:
            document.named.update(_tables(file, content, []))
            document.adapters.update(_declarations(file, content, problems))
            continue
        try:
            code = check_territory(file.stem)
        except ValueError as exc:
            problems.append(
                f"{file}: not a registry file: its name must be {ADAPTERS_FILE} or "
                f"<territory>.toml ({exc})"
            )
            continue
        if code in seen:
            problems.append(f"{file}: territory {code} is also described by {seen[code]}")
            continue
        seen[code] = file
        document.territories[code] = _placements(file, content, problems)
    return document


def read_adapters_file(path: Path, host: PluginHost, initial: AdapterState) -> RegistryDocument:
    """The interim adapters file (`SAS_ADAPTERS_FILE`) as a registry document, for a one-time
    import: each adapter enabled in its territories (a new one in state `initial`), nothing
    else disabled. A file path given in clear for a secret field (a private key's path) becomes
    its `file:` reference; any other secret in clear is refused."""
    document = RegistryDocument(whole=False, initial=initial)
    problems = document.problems
    content = _load(path, problems) or {}
    unknown = sorted(set(content) - {"adapters"})
    problems += [f"{path}: unknown top-level key {k!r} (only [adapters.NAME])" for k in unknown]
    for name, entry in _tables(path, content, problems).items():
        where = f"{path}: adapters.{name}"
        document.named.add(name)
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a table")
            continue
        extra = sorted(set(entry) - _DECLARATION_KEYS - {"territories"})
        if extra:
            problems.append(f"{where}: unknown key(s) {', '.join(extra)}")
        codes = entry.get("territories")
        if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
            problems.append(f"{where}.territories: must be a non-empty list of codes, e.g. SAS-33")
            codes = []
        declaration = _declaration(where, entry, problems)
        if declaration is not None:
            document.adapters[name] = replace(
                declaration, settings=_as_references(host, declaration, path.parent)
            )
        for code in codes:
            try:
                official = check_territory(code)
            except ValueError as exc:
                problems.append(f"{where}.territories: {exc}")
                continue
            document.territories.setdefault(official, {})[name] = Placement(
                True, None, None, f"{where}.territories"
            )
    return document


def _as_references(host: PluginHost, declaration: Declaration, base: Path) -> dict[str, Any]:
    try:
        info = host.get(declaration.plugin)
    except PluginError:  # reported when the declaration is checked
        return dict(declaration.settings)
    assert info.metadata is not None
    paths = {k for k, is_path in secret_fields(info.metadata.settings_schema).items() if is_path}
    settings = dict(declaration.settings)
    for key in paths & set(settings):
        value = settings[key]
        if isinstance(value, str) and not value.startswith(("env:", "file:")):
            settings[key] = f"file:{(base / Path(value).expanduser()).resolve()}"
    return settings


def _load(file: Path, problems: list[str]) -> dict[str, Any] | None:
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"{file}: cannot read it: {exc}")
        return None


def _tables(file: Path, content: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    tables = content.get("adapters", {})
    if not isinstance(tables, dict):
        problems.append(f"{file}: `adapters` must be a table of [adapters.NAME]")
        return {}
    return tables


def _declarations(
    file: Path, content: Mapping[str, Any], problems: list[str]
) -> dict[str, Declaration]:
    unknown = sorted(set(content) - {"adapters"})
    problems += [f"{file}: unknown top-level key {k!r} (only [adapters.NAME])" for k in unknown]
    declarations = {}
    for name, entry in _tables(file, content, problems).items():
        where = f"{file}: adapters.{name}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a table")
            continue
        extra = sorted(set(entry) - _DECLARATION_KEYS)
        if extra:
            problems.append(f"{where}: unknown key(s) {', '.join(extra)}")
        declaration = _declaration(where, entry, problems)
        if declaration is not None:
            declarations[name] = declaration
    return declarations


def _declaration(where: str, entry: Mapping[str, Any], problems: list[str]) -> Declaration | None:
    plugin = entry.get("plugin")
    timeout = entry.get("timeout_s", DEFAULT_TIMEOUT_S)
    settings = entry.get("settings", {})
    broken = len(problems)
    if not isinstance(plugin, str) or not plugin:
        problems.append(f"{where}.plugin: required, the plugin's name (e.g. sas-fhir)")
    if not isinstance(timeout, int | float) or isinstance(timeout, bool):
        problems.append(f"{where}.timeout_s: must be a number of seconds")
    if not isinstance(settings, dict):
        problems.append(f"{where}.settings: must be a table")
    if len(problems) > broken:
        return None
    return Declaration(str(plugin), float(timeout), settings, where)


def _placements(
    file: Path, content: Mapping[str, Any], problems: list[str]
) -> dict[str, Placement]:
    unknown = sorted(set(content) - {"adapters"})
    problems += [f"{file}: unknown top-level key {k!r} (only [adapters.NAME])" for k in unknown]
    placements = {}
    for name, entry in _tables(file, content, problems).items():
        where = f"{file}: adapters.{name}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a table")
            continue
        broken = len(problems)
        extra = sorted(set(entry) - _ASSIGNMENT_KEYS)
        if extra:
            problems.append(
                f"{where}: unknown key(s) {', '.join(extra)} (a territory file says state, "
                f"enabled and suspended_from; settings go in {ADAPTERS_FILE})"
            )
        state = _state(f"{where}.state", entry.get("state"), problems, required=True)
        left = _state(f"{where}.suspended_from", entry.get("suspended_from"), problems)
        enabled = entry.get("enabled", True)
        if not isinstance(enabled, bool):
            problems.append(f"{where}.enabled: must be true or false")
        if left is not None and state is not AdapterState.SUSPENDED:
            problems.append(f'{where}.suspended_from: only with state = "suspended"')
        if left is AdapterState.SUSPENDED:
            problems.append(f"{where}.suspended_from: the state it left cannot be suspended")
        if len(problems) == broken:
            placements[name] = Placement(bool(enabled), state, left, where)
    return placements


def _state(where: str, value: Any, problems: list[str], *, required: bool = False) -> Any:
    if value is None and not required:
        return None
    try:
        return AdapterState(value)
    except ValueError:
        problems.append(
            f"{where}: {value!r} is not a state ({', '.join(s.value for s in AdapterState)})"
        )
        return None


# -------------------------------------------------------------------------------------------------
# Planning: what applying a document changes
# -------------------------------------------------------------------------------------------------


def plan_document(host: PluginHost, document: RegistryDocument, current: Registry) -> list[Change]:
    """The changes that make `current` say what `document` says, or RegistryFileError naming
    every entry, field and reason that forbids it (the whole document is refused)."""
    problems = list(document.problems)
    changes: list[Change] = []
    declared = dict(current.adapters)
    for name, declaration in document.adapters.items():
        change = _declaration_change(host, name, declaration, current, problems)
        if change is not None:
            changes.append(change)
            declared[name] = change.after
    placed: list[AssignmentChange] = []
    for code in sorted(document.territories, key=_ORDER.__getitem__):
        placements = document.territories[code]
        for name, placement in placements.items():
            if name not in declared and name not in document.named:
                problems.append(
                    f"{placement.where}: adapter {name!r} is not declared "
                    f"(in {ADAPTERS_FILE} or the registry)"
                )
                continue
            before = current.assignments.get((code, name))
            after = _placed(code, name, placement, before, document.initial, problems)
            if after is not None and after != before:
                placed.append(AssignmentChange(before, after))
        if document.whole:
            for before in current.in_territory(code):
                if before.adapter not in placements and before.enabled:
                    placed.append(AssignmentChange(before, replace(before, enabled=False)))
    if problems:
        raise RegistryFileError(problems)
    return changes + sorted(placed, key=lambda c: (_ORDER[c.after.territory], c.after.adapter))


def _declaration_change(
    host: PluginHost,
    name: str,
    declaration: Declaration,
    current: Registry,
    problems: list[str],
) -> AdapterChange | None:
    before = current.adapters.get(name)
    if before is not None and before.plugin != declaration.plugin:
        problems.append(
            f"{declaration.where}.plugin: adapter {name!r} is declared with plugin "
            f"{before.plugin}, not {declaration.plugin}: an adapter's plugin never changes"
        )
        return None
    try:
        after = declare(host, name, declaration.plugin, declaration.settings, declaration.timeout_s)
    except InvalidSettings as exc:
        problems += [f"{declaration.where}.{problem}" for problem in exc.problems]
        return None
    except RegistryInputError as exc:
        problems.append(f"{declaration.where}: {exc}")
        return None
    return None if after == before else AdapterChange(before, after)


def _placed(
    code: str,
    name: str,
    placement: Placement,
    before: Assignment | None,
    initial: AdapterState,
    problems: list[str],
) -> Assignment | None:
    """The assignment `placement` asks for, reached by a legal transition from `before`."""
    where = f"{placement.where}.state"
    if before is None:
        state = placement.state or initial
        left = placement.suspended_from
        if state is AdapterState.SUSPENDED and left is None:
            problems.append(
                f"{placement.where}.suspended_from: required for an adapter that is new to "
                f"{code} and suspended (the state it is to go back to)"
            )
            return None
        return Assignment(code, name, placement.enabled, state, left)
    after = replace(before, enabled=placement.enabled)
    if placement.state is not None:
        try:
            after = after.moved_to(placement.state)
        except RegistryError as exc:
            problems.append(f"{where}: {exc}")
            return None
    if placement.suspended_from not in (None, after.suspended_from):
        problems.append(
            f"{placement.where}.suspended_from: {placement.suspended_from} does not match the "
            f"registry, where {name} in {code} is suspended from {after.suspended_from}"
        )
        return None
    return after


# -------------------------------------------------------------------------------------------------
# The services: apply, import, export
# -------------------------------------------------------------------------------------------------


def apply_files(
    engine: Engine,
    host: PluginHost,
    path: Path,
    *,
    actor: str,
    reason: str | None,
    dry_run: bool = False,
) -> list[Change]:
    """Make the registry say what the folder or file at `path` says (see the module
    docstring); the changes made — or, with `dry_run`, that would be."""
    document = read_files(path)
    return edit(
        engine,
        lambda current: plan_document(host, document, current),
        actor=actor,
        reason=reason,
        dry_run=dry_run,
    )


def import_adapters_file(
    engine: Engine,
    host: PluginHost,
    path: Path,
    *,
    initial: AdapterState,
    actor: str,
    reason: str | None,
    dry_run: bool = False,
) -> list[Change]:
    """Bring the interim adapters file into the registry (see `read_adapters_file`); a second
    import of the same file changes nothing."""
    if not path.is_file():
        raise RegistryFileError([f"{path}: no such file (the interim adapters file)"])
    document = read_adapters_file(path, host, initial)
    return edit(
        engine,
        lambda current: plan_document(host, document, current),
        actor=actor,
        reason=reason,
        dry_run=dry_run,
    )


def export_registry(engine: Engine) -> dict[str, str]:
    """The live registry as files (file name → TOML text)."""
    return export_files(read_registry(engine))


# -------------------------------------------------------------------------------------------------
# Writing
# -------------------------------------------------------------------------------------------------


def export_files(registry: Registry) -> dict[str, str]:
    """The registry as files: `adapters.toml` and one file per territory that has adapters."""
    declarations = {
        name: {
            "plugin": adapter.plugin,
            "timeout_s": adapter.timeout_s,
            **({"settings": dict(adapter.settings)} if adapter.settings else {}),
        }
        for name, adapter in sorted(registry.adapters.items())
    }
    files = {
        ADAPTERS_FILE: "# Adapters of the SAS Connect territory registry, each declared once;\n"
        "# secrets only by reference (env:NAME, file:PATH). Written by `sas registry export`.\n\n"
        + tomli_w.dumps({"adapters": declarations})
    }
    for t in TERRITORIES:
        assignments = registry.in_territory(t.code)
        if not assignments:
            continue
        body = {
            "adapters": {
                a.adapter: {
                    "state": str(a.state),
                    **({"suspended_from": str(a.suspended_from)} if a.suspended_from else {}),
                    "enabled": a.enabled,
                }
                for a in assignments
            }
        }
        files[f"{t.code}.toml"] = f"# {t.code} — {t.name}\n\n" + tomli_w.dumps(body)
    return files


def write_files(files: Mapping[str, str], folder: Path) -> list[Path]:
    """Write `files` into `folder` and remove the territory files it no longer has (so that
    applying the folder gives the registry back); the removed files are returned."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    stale = [
        old
        for old in sorted(folder.glob("*.toml"))
        if old.name not in files and _is_territory_file(old)
    ]
    for old in stale:
        old.unlink()
    return stale


def _is_territory_file(path: Path) -> bool:
    try:
        check_territory(path.stem)
    except ValueError:
        return False
    return True
