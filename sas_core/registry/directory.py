"""Reading the registry: territories and their adapters, and the `AdapterDirectory` the flows use.

`RegistryDirectory` reads the database at every question, so an adapter enabled, suspended or
reconfigured is seen by a running `sas serve` at its next call, and resolves the adapter's secret
references only then, to build the `AdapterConfig` of that call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from sas_core.plugins.host import PluginHost
from sas_core.plugins.models import AdapterConfig
from sas_core.registry.models import DeclaredAdapter, RegistryInputError, TerritoryView
from sas_core.registry.settings import adapter_config, resolve_settings
from sas_core.registry.territories import TERRITORIES, check_territory, territory
from sas_core.storage.registry import read_registry

log = logging.getLogger(__name__)


def territory_views(engine: Engine) -> list[TerritoryView]:
    """All 101 territories, each with its adapters (enabled or not), by adapter name."""
    registry = read_registry(engine)
    return [TerritoryView(t.code, t.name, registry.in_territory(t.code)) for t in TERRITORIES]


def territory_view(engine: Engine, code: str) -> TerritoryView:
    """One territory (aliases accepted), or RegistryInputError naming the value and the rule."""
    try:
        found = territory(code)
    except ValueError as exc:
        raise RegistryInputError(str(exc)) from None
    return TerritoryView(found.code, found.name, read_registry(engine).in_territory(found.code))


def declared_adapter(engine: Engine, name: str) -> DeclaredAdapter:
    """The declaration of `name` (settings as stored: secrets as references)."""
    adapters = read_registry(engine).adapters
    if name not in adapters:
        raise RegistryInputError(
            f"unknown adapter {name!r}: not declared in the registry "
            f"(declared: {', '.join(sorted(adapters)) or 'none'})"
        )
    return adapters[name]


@dataclass(frozen=True)
class LiveAdapter:
    """An adapter the platform calls in a territory, ready for a call — or why it cannot be
    (`error`: a secret that cannot be resolved, settings the schema now refuses)."""

    name: str
    plugin: str
    timeout_s: float
    settings: dict[str, Any] | None
    error: str | None = None


class RegistryDirectory:
    """The `AdapterDirectory` of the account services and the web app, backed by the registry
    (and the `ServedDirectory` of the health probe).

    Only adapters enabled and in `connected-test` or `production` are called in a territory.
    `built` keeps every adapter handed out, for the caller to close when done.
    """

    def __init__(self, engine: Engine, host: PluginHost) -> None:
        self.engine = engine
        self.host = host
        self.built: dict[str, AdapterConfig] = {}

    def live(self, territory: str) -> list[LiveAdapter]:
        """The adapters called in `territory`, secrets resolved now."""
        try:
            code = check_territory(territory)
        except ValueError:
            return []
        registry = read_registry(self.engine)
        found = []
        for assignment in registry.in_territory(code):
            if not assignment.live:
                continue
            declared = registry.adapters[assignment.adapter]
            settings: dict[str, Any] | None = None
            error: str | None = None
            try:
                settings = resolve_settings(self.host, declared).given
            except RegistryInputError as exc:
                log.warning("adapter %s cannot be used in %s: %s", declared.name, code, exc)
                error = str(exc)
            found.append(
                LiveAdapter(declared.name, declared.plugin, declared.timeout_s, settings, error)
            )
        return found

    def adapters_for(self, territory: str) -> list[AdapterConfig]:
        try:
            code = check_territory(territory)
        except ValueError:
            return []
        registry = read_registry(self.engine)
        return [
            config
            for a in registry.in_territory(code)
            if a.live and (config := self._build(registry.adapters[a.adapter])) is not None
        ]

    def adapter_named(self, name: str) -> AdapterConfig | None:
        """The adapter declared as `name`, whatever its state: a withdrawal must reach every
        vendor that has the account."""
        declared = read_registry(self.engine).adapters.get(name)
        return None if declared is None else self._build(declared)

    def served_territories(self) -> list[str]:
        """Every territory where the platform calls at least one adapter (enabled, in
        `connected-test` or `production`): what the health probe goes through."""
        registry = read_registry(self.engine)
        return sorted({a.territory for a in registry.assignments.values() if a.live})

    def _build(self, declared: DeclaredAdapter) -> AdapterConfig | None:
        try:
            config = adapter_config(self.host, declared)
        except RegistryInputError as exc:
            log.warning("adapter %s cannot be used: %s", declared.name, exc)
            return None
        self.built[config.name] = config
        return config
