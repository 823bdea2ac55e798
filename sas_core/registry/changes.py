"""Editing the registry: enable, disable, configure, move along the lifecycle — each edit
planned against the registry as it is, checked, then written with its audit rows at once.

Every function returns the changes it made (empty: nothing to do). A refused edit raises before
anything is written: `RegistryInputError` for a value (territory, adapter, plugin, settings),
`RegistryStateError` for what the current state forbids (an illegal transition).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from sas_core.plugins.host import PluginHost
from sas_core.plugins.models import DEFAULT_TIMEOUT_S
from sas_core.registry.models import (
    INITIAL_STATE,
    AdapterChange,
    AdapterState,
    Assignment,
    AssignmentChange,
    Change,
    Registry,
    RegistryInputError,
    RegistryStateError,
)
from sas_core.registry.settings import check_adapter_name, declare
from sas_core.registry.territories import check_territory
from sas_core.storage.registry import editing_registry

Clock = Callable[[], datetime]
#: Plans an edit against the current registry: the changes it makes, or a refusal.
Plan = Callable[[Registry], list[Change]]


def default_actor() -> str:
    """Who edits when no `--actor` is given: the OS user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no such user in a container's passwd
        return "unknown"


def utcnow() -> datetime:
    return datetime.now(UTC)


def edit(
    engine: Engine,
    plan: Plan,
    *,
    actor: str,
    reason: str | None,
    dry_run: bool = False,
    clock: Clock = utcnow,
) -> list[Change]:
    """Plan an edit on the registry as it is (edits are serialised), and write it unless
    `dry_run`; a plan that raises writes nothing."""
    with editing_registry(engine) as editor:
        changes = plan(editor.current)
        if changes and not dry_run:
            editor.write(changes, at=clock(), actor=actor, reason=reason)
    return changes


def enable(
    engine: Engine,
    host: PluginHost,
    territory: str,
    adapter: str,
    *,
    plugin: str | None = None,
    settings: Mapping[str, str] | None = None,
    timeout_s: float | None = None,
    actor: str,
    reason: str | None = None,
) -> list[Change]:
    """Enable `adapter` in `territory`; an adapter never declared is declared first, with
    `plugin` (default: the plugin called `adapter`) and `settings`. A new assignment starts at
    `onboarding`; a re-enabled one keeps its state."""
    code = _territory(territory)

    def plan(current: Registry) -> list[Change]:
        changes: list[Change] = list(
            _declaration(host, current, adapter, plugin, settings or {}, (), timeout_s)
        )
        before = current.assignments.get((code, adapter))
        if before is None:
            after = Assignment(code, adapter, True, INITIAL_STATE)
        else:
            after = replace(before, enabled=True)
        if after != before:
            changes.append(AssignmentChange(before, after))
        return changes

    return edit(engine, plan, actor=actor, reason=reason)


def disable(
    engine: Engine, territory: str, adapter: str, *, actor: str, reason: str | None = None
) -> list[Change]:
    """Stop calling `adapter` in `territory`; its state there is kept for when it comes back."""
    code = _territory(territory)

    def plan(current: Registry) -> list[Change]:
        _declared(current, adapter)
        before = current.assignments.get((code, adapter))
        if before is None or not before.enabled:
            return []
        return [AssignmentChange(before, replace(before, enabled=False))]

    return edit(engine, plan, actor=actor, reason=reason)


def configure(
    engine: Engine,
    host: PluginHost,
    adapter: str,
    *,
    plugin: str | None = None,
    settings: Mapping[str, str] | None = None,
    unset: Sequence[str] = (),
    timeout_s: float | None = None,
    actor: str,
    reason: str | None = None,
) -> list[Change]:
    """Change an adapter's settings or deadline, in every territory at once (or declare it,
    enabled nowhere yet)."""

    def plan(current: Registry) -> list[Change]:
        return list(_declaration(host, current, adapter, plugin, settings or {}, unset, timeout_s))

    return edit(engine, plan, actor=actor, reason=reason)


def move(
    engine: Engine,
    territory: str,
    adapter: str,
    state: AdapterState,
    *,
    actor: str,
    reason: str | None = None,
) -> list[Change]:
    """Move `adapter` along its lifecycle in `territory` (see `Assignment.moved_to`)."""
    code = _territory(territory)

    def plan(current: Registry) -> list[Change]:
        _declared(current, adapter)
        before = current.assignments.get((code, adapter))
        if before is None:
            raise RegistryStateError(
                f"adapter {adapter!r} was never enabled in {code}: "
                f"`sas registry enable --territory {code} --adapter {adapter}` first"
            )
        after = before.moved_to(state)
        return [] if after == before else [AssignmentChange(before, after)]

    return edit(engine, plan, actor=actor, reason=reason)


def _territory(code: str) -> str:
    try:
        return check_territory(code)
    except ValueError as exc:
        raise RegistryInputError(str(exc)) from None


def _declared(current: Registry, adapter: str) -> None:
    if adapter not in current.adapters:
        raise RegistryInputError(
            f"unknown adapter {adapter!r}: not declared in the registry "
            f"(declared: {', '.join(sorted(current.adapters)) or 'none'})"
        )


def _declaration(
    host: PluginHost,
    current: Registry,
    name: str,
    plugin: str | None,
    settings: Mapping[str, str],
    unset: Sequence[str],
    timeout_s: float | None,
) -> list[AdapterChange]:
    """The change to `name`'s declaration these options make (none if they change nothing)."""
    before = current.adapters.get(name)
    if before is None:
        check_adapter_name(name)
        if plugin is None and name not in {p.name for p in host.loaded()}:
            loaded = ", ".join(sorted(p.name for p in host.loaded())) or "none"
            raise RegistryInputError(
                f"unknown adapter {name!r}: not declared in the registry "
                f"(declared: {', '.join(sorted(current.adapters)) or 'none'}) and no installed "
                f"plugin has that name (loaded plugins: {loaded}); give --plugin to declare it"
            )
        after = declare(
            host,
            name,
            plugin or name,
            {k: v for k, v in settings.items() if k not in unset},
            DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s,
        )
        return [AdapterChange(None, after)]
    if plugin is not None and plugin != before.plugin:
        raise RegistryInputError(
            f"adapter {name!r} is declared with plugin {before.plugin}, not {plugin}: an "
            "adapter's plugin never changes (its name keys its regulators' accounts); "
            "declare another adapter"
        )
    missing = sorted(set(unset) - set(before.settings))
    if missing:
        raise RegistryInputError(f"adapter {name!r} has no setting {', '.join(missing)} to unset")
    if not settings and not unset and timeout_s is None:
        return []
    merged = {k: v for k, v in {**before.settings, **settings}.items() if k not in unset}
    after = declare(
        host,
        name,
        before.plugin,
        merged,
        before.timeout_s if timeout_s is None else timeout_s,
    )
    return [] if after == before else [AdapterChange(before, after)]
