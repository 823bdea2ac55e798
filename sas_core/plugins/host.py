"""Finding, loading and calling plugins.

Plugins are declared under one entry-point group, loaded with stevedore (so one that fails to
import is reported and the others still load) and registered with pluggy under their entry
point's name. The platform calls them through `PluginHost.hooks`, one typed method per hook.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import logging
import os
from collections.abc import Awaitable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint
from types import ModuleType
from typing import Any, TypeVar, cast

import pluggy
from pydantic import ValidationError
from stevedore import ExtensionManager, NamedExtensionManager

from sas_core import hookspecs
from sas_core.accounts.models import AccountSync, AccountSyncResult, Regulator
from sas_core.appointments.models import AppointmentEvent
from sas_core.geography.models import GeocodeResult
from sas_core.plugins.models import DEFAULT_TIMEOUT_S, AdapterConfig, PluginMetadata, UseCase
from sas_core.settings import PlatformSettings, load_settings
from sas_core.slots.models import Slot, SlotBatch, SlotQuery
from sas_core.sso.models import SsoRedirect

#: The entry-point group every plugin distribution declares.
ENTRY_POINT_GROUP = "sas_connect.plugins"
#: Comma-separated plugin names: only these load (the built-in defaults always do).
ALLOW_ENV = "SAS_PLUGINS"
#: Set to 1 to log every hook call with its arguments and result (logger `sas_core.hooks`).
TRACE_ENV = "SAS_TRACE_HOOKS"
#: The plugin holding the platform's own default behaviour, registered like any other.
BUILTIN_PLUGIN = "sas-core-defaults"

log = logging.getLogger(__name__)
trace_log = logging.getLogger("sas_core.hooks")

T = TypeVar("T")


class PluginError(Exception):
    """A plugin or adapter the caller asked for cannot be used; the message says why."""


@dataclass
class PluginInfo:
    """What `sas plugins list` shows about one plugin, loaded or not."""

    name: str
    version: str | None = None
    use_cases: tuple[UseCase, ...] = ()
    description: str = ""
    error: str | None = None
    module: str | None = None
    distribution: str | None = None
    metadata: PluginMetadata | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "use_cases": [str(u) for u in self.use_cases],
            "description": self.description,
            "module": self.module,
            "distribution": self.distribution,
            "error": self.error,
        }


class Hooks:
    """The hooks as typed calls (tox 4's plugin manager): one method per hook of
    `sas_core.hookspecs`, so mypy checks every call site against the specification.

    A flow or lifecycle hook about an adapter reaches only the plugin that owns it
    (`adapter.plugin`), through pluggy's subset caller so tracing still sees the call; the others
    reach every plugin. Each returns what pluggy returns: a list of the answers (an `async def`
    implementation's are awaitables, see `resolve`), or the first answer for firstresult hooks.
    """

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self._pm = pm

    # -- slots, accounts, SSO, appointments -------------------------------------------------------

    def sas_fetch_slots(
        self, adapter: AdapterConfig, query: SlotQuery
    ) -> list[SlotBatch | Awaitable[SlotBatch] | None]:
        hook = self._only(self._pm.hook.sas_fetch_slots, adapter.plugin)
        return cast(
            list[SlotBatch | Awaitable[SlotBatch] | None], hook(adapter=adapter, query=query)
        )

    def sas_sync_regulator_account(
        self, adapter: AdapterConfig, sync: AccountSync
    ) -> list[AccountSyncResult | Awaitable[AccountSyncResult] | None]:
        hook = self._only(self._pm.hook.sas_sync_regulator_account, adapter.plugin)
        return cast(
            list[AccountSyncResult | Awaitable[AccountSyncResult] | None],
            hook(adapter=adapter, sync=sync),
        )

    def sas_sso_redirect(
        self, adapter: AdapterConfig, regulator: Regulator, slot: Slot, origin: str
    ) -> SsoRedirect | None:
        return cast(
            SsoRedirect | None,
            self._pm.hook.sas_sso_redirect(
                adapter=adapter, regulator=regulator, slot=slot, origin=origin
            ),
        )

    def sas_geocode(self, query: str) -> GeocodeResult | None:
        """The first geocoder's answer (an online plugin before the built-in gazetteer)."""
        return cast(GeocodeResult | None, self._pm.hook.sas_geocode(query=query))

    def sas_appointment_reported(
        self, event: AppointmentEvent, *, plugin: str | None = None
    ) -> list[Awaitable[None] | None]:
        """Every listener, or only `plugin`'s (the outbox bounds each listener on its own)."""
        hook = self._pm.hook.sas_appointment_reported
        if plugin is not None:
            hook = self._only(hook, plugin)
        return cast(list[Awaitable[None] | None], hook(event=event))

    # -- metadata and lifecycle ------------------------------------------------------------------

    def sas_plugin_metadata(self, plugin: str) -> list[PluginMetadata | Mapping[str, Any]]:
        hook = self._only(self._pm.hook.sas_plugin_metadata, plugin)
        return cast(list[PluginMetadata | Mapping[str, Any]], hook())

    def sas_adapter_closed(self, adapter: AdapterConfig) -> list[Awaitable[None] | None]:
        hook = self._only(self._pm.hook.sas_adapter_closed, adapter.plugin)
        return cast(list[Awaitable[None] | None], hook(adapter=adapter))

    def listeners(self) -> list[pluggy.HookImpl]:
        """The implementations of `sas_appointment_reported`, in pluggy's calling order."""
        return self._pm.hook.sas_appointment_reported.get_hookimpls()

    def _only(self, hook: pluggy.HookCaller, plugin: str) -> pluggy.HookCaller:
        """`hook` restricted to `plugin`'s implementation (none when it is not registered)."""
        others = [p for name, p in self._pm.list_name_plugin() if name != plugin]
        return self._pm.subset_hook_caller(hook.name, others)


class PluginHost:
    """The loaded plugins, the pluggy manager that holds them, and `hooks` that calls them."""

    def __init__(self, *, trace: bool | None = None) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.hooks = Hooks(self.pm)
        if trace if trace is not None else os.environ.get(TRACE_ENV) == "1":
            self.pm.add_hookcall_monitoring(_trace_before, _trace_after)

    @classmethod
    def discover(
        cls,
        allow: Collection[str] | None = None,
        *,
        trace: bool | None = None,
        settings: PlatformSettings | None = None,
    ) -> PluginHost:
        """Load the installed plugins, restricted to `allow` (default: the `plugins` setting of
        `settings`, else of the environment, i.e. `$SAS_PLUGINS`; unset: all)."""
        host = cls(trace=trace)
        allowed = set(allow) if allow is not None else (settings or load_settings()).plugins
        # stevedore memoises entry points per namespace for the life of the process; forget them
        # so a plugin installed since then is seen (its on-disk cache keeps this cheap).
        ExtensionManager.ENTRY_POINT_CACHE.pop(ENTRY_POINT_GROUP, None)
        manager: ExtensionManager[Any]
        if allowed is None:
            manager = ExtensionManager(
                ENTRY_POINT_GROUP,
                invoke_on_load=False,
                on_load_failure_callback=host._load_failed,
            )
        else:
            manager = NamedExtensionManager(
                ENTRY_POINT_GROUP,
                names=sorted(allowed | {BUILTIN_PLUGIN}),
                name_order=True,
                invoke_on_load=False,
                on_load_failure_callback=host._load_failed,
                on_missing_entrypoints_callback=host._missing,
            )
        for ext in manager:
            host.register(ext.plugin, name=ext.name, entry_point=ext.entry_point)
        return host

    def register(
        self, plugin: ModuleType | object, *, name: str, entry_point: EntryPoint | None = None
    ) -> PluginInfo:
        """Register one plugin object; invalid metadata is recorded, not raised."""
        info = PluginInfo(name=name, module=getattr(plugin, "__name__", type(plugin).__name__))
        info.distribution, info.version = _distribution(entry_point)
        self.plugins[name] = info
        try:
            self.pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            info.error = f"invalid hook implementation: {exc}"
            return info
        unknown = sorted(c.name for c in self.pm.get_hookcallers(plugin) or [] if not c.has_spec())
        if unknown:
            self.pm.unregister(name=name)
            info.error = (
                f"implements unknown hook(s) {', '.join(unknown)}: "
                f"check the names against sas_core.hookspecs"
            )
            return info
        try:
            metadata = self._ask_metadata(name)
        except Exception as exc:
            self.pm.unregister(name=name)
            info.error = f"invalid metadata: {_one_line(exc)}"
            return info
        if metadata.name is None:
            metadata = metadata.model_copy(update={"name": name})
        elif metadata.name != name:
            self.pm.unregister(name=name)
            info.error = (
                f"invalid metadata: plugin calls itself {metadata.name!r} "
                f"but its entry point is named {name!r}"
            )
            return info
        if metadata.version is None and info.version is not None:
            metadata = metadata.model_copy(update={"version": info.version})
        info.metadata = metadata
        info.version = metadata.version
        info.use_cases = metadata.use_cases
        info.description = metadata.description
        return info

    def _ask_metadata(self, name: str) -> PluginMetadata:
        answers = self.hooks.sas_plugin_metadata(name)
        if not answers:
            raise PluginError("the plugin does not implement sas_plugin_metadata")
        answer = answers[0]
        if isinstance(answer, PluginMetadata):
            return answer
        return PluginMetadata.model_validate(answer)

    def _load_failed(self, _manager: object, entry_point: EntryPoint, exc: BaseException) -> None:
        dist, version = _distribution(entry_point)
        self.plugins[entry_point.name] = PluginInfo(
            name=entry_point.name,
            version=version,
            distribution=dist,
            module=entry_point.value,
            error=f"failed to load {entry_point.value}: {_one_line(exc)}",
        )
        log.warning("plugin %s failed to load: %s", entry_point.name, exc)

    def _missing(self, names: Iterable[str]) -> None:
        for name in names:
            self.plugins[name] = PluginInfo(
                name=name,
                error=f"in the plugin allow-list ({ALLOW_ENV}) but no installed distribution "
                f"declares it in the {ENTRY_POINT_GROUP!r} entry-point group",
            )

    # -- using plugins ---------------------------------------------------------------------------

    def loaded(self) -> list[PluginInfo]:
        return [p for p in self.plugins.values() if p.error is None]

    def get(self, name: str) -> PluginInfo:
        """The loaded plugin `name`, or a `PluginError` that says what is installed instead."""
        info = self.plugins.get(name)
        if info is None:
            known = ", ".join(sorted(p.name for p in self.loaded())) or "none"
            raise PluginError(f"unknown adapter plugin {name!r} (loaded plugins: {known})")
        if info.error is not None:
            raise PluginError(f"plugin {name!r} is installed but unusable: {info.error}")
        return info

    def adapter(
        self,
        plugin: str,
        settings: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> AdapterConfig:
        """Build an adapter instance, validating `settings` against the plugin's schema."""
        info = self.get(plugin)
        assert info.metadata is not None
        schema = info.metadata.settings_schema
        validated: Any = dict(settings or {})
        if schema is not None:
            try:
                validated = schema.model_validate(validated)
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
                    for e in exc.errors()
                )
                raise PluginError(f"invalid settings for adapter {plugin!r}: {problems}") from None
        return AdapterConfig(
            name=name or plugin, plugin=plugin, timeout_s=timeout_s, settings=validated
        )

    async def close_adapter(self, adapter: AdapterConfig) -> None:
        """`sas_adapter_closed` on the plugin that owns `adapter`, awaited."""
        for result in self.hooks.sas_adapter_closed(adapter):
            await resolve(result)


async def resolve(value: T | Awaitable[T]) -> T:
    """Await what an `async def` hook returned; pass a plain value through."""
    if inspect.isawaitable(value):
        return await value
    return value


def _distribution(entry_point: EntryPoint | None) -> tuple[str | None, str | None]:
    """The distribution declaring `entry_point`, and its version.

    stevedore caches entry points without their distribution, so it is looked up here, among
    the installed entry points of that name (each distribution's `entry_points.txt`: a few
    milliseconds), not through `packages_distributions()`, which reads every distribution's file
    list and cost a `sas` process about half a second per plugin.
    """
    if entry_point is None:
        return None, None
    declared = importlib.metadata.entry_points(group=entry_point.group, name=entry_point.name)
    for found in declared:
        if found.value == entry_point.value and found.dist is not None:
            return found.dist.name, found.dist.version
    return None, None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if not text.startswith(type(exc).__name__) else text


def _trace_before(
    hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]
) -> None:
    trace_log.info("call %s on %s with %s", hook_name, [i.plugin_name for i in impls], dict(kwargs))


def _trace_after(
    outcome: pluggy.Result[Any],
    hook_name: str,
    impls: Sequence[pluggy.HookImpl],
    kwargs: Mapping[str, Any],
) -> None:
    exc = outcome.exception
    if exc is not None:
        trace_log.info("%s raised %r", hook_name, exc)
    else:
        trace_log.info("%s returned %r", hook_name, outcome.get_result())
