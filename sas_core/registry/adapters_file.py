"""The `AdapterDirectory` protocols, and the interim adapters file the territory registry replaced.

The services only know the `AdapterDirectory` protocol; the platform's implementation is
`sas_core.registry.directory.RegistryDirectory`, backed by the registry's tables. Before the
registry, one TOML file (`SAS_ADAPTERS_FILE`, default `$SAS_DATA_DIR/adapters.toml`) declared
each adapter once, with the territories it serves; `sas registry import-file` brings it into the
registry once, and tests use `FileAdapterDirectory` as a directory without a database::

    [adapters.vendor-a]
    plugin = "sas-fhir"
    territories = ["SAS-33", "SAS-20A"]   # SAS-2A is read as SAS-20A
    timeout_s = 7                       # optional
    [adapters.vendor-a.settings]        # validated by the plugin's settings schema
    base_url = "https://vendor-a.example/fhir"
    client_cert = "/etc/sas/client.pem"

Declaring an adapter once (not once per territory) keeps its name — the key of its accounts'
sync state — bound to one set of settings.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sas_core.plugins.host import PluginError, PluginHost
from sas_core.plugins.models import DEFAULT_TIMEOUT_S, AdapterConfig
from sas_core.registry.territories import check_territory

__all__ = [
    "AdapterDirectory",
    "AdaptersFileError",
    "FileAdapterDirectory",
    "ServedDirectory",
    "check_territory",
    "load_adapters_file",
    "parse_adapters",
]


class AdapterDirectory(Protocol):
    """What the account services need to know about the adapters of each territory."""

    def adapters_for(self, territory: str) -> list[AdapterConfig]:
        """The adapters enabled in `territory`, settings validated."""
        ...

    def adapter_named(self, name: str) -> AdapterConfig | None:
        """The adapter called `name` wherever it is enabled (a withdrawal reaches every vendor
        that has the account, even one no longer enabled in the regulator's territory)."""
        ...


class ServedDirectory(AdapterDirectory, Protocol):
    """An adapter directory that can also list the territories it enables adapters in (what
    the health probe, `sas_core.slots.probe`, goes through)."""

    def served_territories(self) -> list[str]:
        """Every territory with at least one adapter enabled."""
        ...


class AdaptersFileError(ValueError):
    """The adapters file cannot be used; the message names the file, the entry and the rule."""


@dataclass(frozen=True)
class FileAdapterDirectory:
    """The adapters declared in a TOML file (see the module docstring)."""

    adapters: Mapping[str, AdapterConfig]
    territories: Mapping[str, tuple[str, ...]]
    source: Path | None = None

    def adapters_for(self, territory: str) -> list[AdapterConfig]:
        return [a for name, a in self.adapters.items() if territory in self.territories[name]]

    def adapter_named(self, name: str) -> AdapterConfig | None:
        return self.adapters.get(name)

    def served_territories(self) -> list[str]:
        """Every territory some adapter is enabled in (what the health probe goes through)."""
        return sorted({code for codes in self.territories.values() for code in codes})


def load_adapters_file(path: Path, host: PluginHost) -> FileAdapterDirectory:
    """Read and validate `path`; an absent file is an empty directory (nothing enabled).

    Every problem is reported at once, each naming its entry, so a broken file is fixed in one
    go; any problem refuses the whole file rather than running with part of it.
    """
    if not path.exists():
        return FileAdapterDirectory({}, {}, path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AdaptersFileError(f"{path}: cannot read it: {exc}") from None
    return parse_adapters(document, host, source=path)


def parse_adapters(
    document: Mapping[str, Any], host: PluginHost, *, source: Path | None = None
) -> FileAdapterDirectory:
    """Build the directory from a parsed document, validating settings through `host`."""
    where = f"{source}: " if source else ""
    unknown = sorted(set(document) - {"adapters"})
    entries = document.get("adapters", {})
    problems = [f"unknown top-level key {key!r} (only [adapters.NAME] tables)" for key in unknown]
    if not isinstance(entries, dict):
        raise AdaptersFileError(f"{where}`adapters` must be a table of [adapters.NAME]")
    adapters: dict[str, AdapterConfig] = {}
    territories: dict[str, tuple[str, ...]] = {}
    for name, entry in entries.items():
        try:
            adapters[name], territories[name] = _entry(name, entry, host)
        except (ValueError, PluginError) as exc:
            problems.append(f"adapters.{name}: {exc}")
    if problems:
        raise AdaptersFileError(where + "; ".join(problems))
    return FileAdapterDirectory(adapters, territories, source)


def _entry(name: str, entry: Any, host: PluginHost) -> tuple[AdapterConfig, tuple[str, ...]]:
    if not isinstance(entry, dict):
        raise ValueError("must be a table")
    extra = sorted(set(entry) - {"plugin", "territories", "timeout_s", "settings"})
    if extra:
        raise ValueError(f"unknown key(s) {', '.join(extra)}")
    plugin = entry.get("plugin")
    if not isinstance(plugin, str) or not plugin:
        raise ValueError("`plugin` (the plugin's name, e.g. sas-fhir) is required")
    codes = entry.get("territories")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        raise ValueError("`territories` must be a non-empty list of codes such as SAS-33")
    timeout = entry.get("timeout_s", DEFAULT_TIMEOUT_S)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not 0 < timeout <= 60:
        raise ValueError("`timeout_s` must be a number of seconds in (0, 60]")
    settings = entry.get("settings", {})
    if not isinstance(settings, dict):
        raise ValueError("`settings` must be a table")
    adapter = host.adapter(plugin, settings, name=name, timeout_s=float(timeout))
    return adapter, tuple(check_territory(c) for c in codes)
