"""An adapter's settings as the registry keeps them: checked against the plugin's settings schema
when declared, secrets kept as references and resolved only to build the adapter for a call.

Checking a declaration resolves its secret references too (a key file that does not match its
certificate, an unset variable), so a mistake is reported when the registry is edited on the
platform's host, not at 3 a.m. during a search. What is stored is the schema's normalised value
of each field the operator gave (a number stays a number in the exported TOML), and a secret's
reference as given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from sas_core.plugins.host import PluginError, PluginHost
from sas_core.plugins.models import AdapterConfig
from sas_core.registry.models import DeclaredAdapter, RegistryInputError
from sas_core.registry.secrets import SecretError, parse_reference, redact, secret_fields

#: Adapter names: the key of regulators' accounts and of slot provenance, so kept plain.
ADAPTER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
#: Digest §4.1: the platform waits 7 s for a vendor; a declared deadline stays within 60 s.
MAX_TIMEOUT_S = 60.0


class InvalidSettings(RegistryInputError):
    """Settings an adapter cannot be declared or built with; `problems` are `settings.FIELD:
    reason` (or `timeout_s: reason`), one per broken rule."""

    def __init__(self, adapter: str, plugin: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"invalid settings for adapter {adapter!r} (plugin {plugin}): " + "; ".join(problems)
        )


@dataclass(frozen=True)
class ResolvedSettings:
    """Settings ready for a call: `given` with secrets resolved, and the schema's `validated`
    value of them (the model, or the plain dict of a plugin without a schema)."""

    given: dict[str, Any]
    validated: Any


def check_adapter_name(name: str) -> str:
    if not ADAPTER_NAME.match(name):
        raise RegistryInputError(
            f"invalid adapter name {name!r}: lower-case letters, digits, '.', '_' and '-', "
            "starting with a letter or digit, at most 100 characters"
        )
    return name


def declare(
    host: PluginHost,
    name: str,
    plugin: str,
    settings: Mapping[str, Any],
    timeout_s: float,
) -> DeclaredAdapter:
    """The declaration as stored, or InvalidSettings naming every broken field (the plugin
    must be installed: PluginError's message otherwise, as a RegistryInputError)."""
    check_adapter_name(name)
    schema = _schema(host, plugin)
    problems: list[str] = []
    if isinstance(timeout_s, bool) or not 0 < timeout_s <= MAX_TIMEOUT_S:
        problems.append(f"timeout_s: must be a number of seconds in (0, {MAX_TIMEOUT_S:g}]")
    try:
        resolved = _resolve(name, plugin, schema, settings)
    except InvalidSettings as exc:
        raise InvalidSettings(name, plugin, [*problems, *exc.problems]) from None
    if problems:
        raise InvalidSettings(name, plugin, problems)
    secrets = secret_fields(schema)
    if isinstance(resolved.validated, BaseModel):
        plain = set(settings) - set(secrets)
        normalised = resolved.validated.model_dump(mode="json", include=plain)
    else:
        normalised = dict(settings)
    stored = {
        key: settings[key] if key in secrets else normalised[key]
        for key in settings
        if key in secrets or normalised.get(key) is not None
    }
    return DeclaredAdapter(name=name, plugin=plugin, timeout_s=float(timeout_s), settings=stored)


def adapter_config(host: PluginHost, declared: DeclaredAdapter) -> AdapterConfig:
    """The adapter for a call, its secrets resolved now (RegistryInputError if they cannot be,
    or if the settings no longer pass the schema — a key file removed since)."""
    resolved = resolve_settings(host, declared)
    return AdapterConfig(
        name=declared.name,
        plugin=declared.plugin,
        timeout_s=declared.timeout_s,
        settings=resolved.validated,
    )


def resolve_settings(host: PluginHost, declared: DeclaredAdapter) -> ResolvedSettings:
    """`declared`'s settings with their secrets resolved, checked against the schema."""
    return _resolve(
        declared.name, declared.plugin, _schema(host, declared.plugin), declared.settings
    )


def _schema(host: PluginHost, plugin: str) -> type[BaseModel] | None:
    try:
        info = host.get(plugin)
    except PluginError as exc:
        raise RegistryInputError(str(exc)) from None
    assert info.metadata is not None
    return info.metadata.settings_schema


def _resolve(
    name: str, plugin: str, schema: type[BaseModel] | None, settings: Mapping[str, Any]
) -> ResolvedSettings:
    secrets = secret_fields(schema)
    problems: list[str] = []
    given: dict[str, Any] = {}
    revealed: dict[str, str] = {}
    for key, value in settings.items():
        if key not in secrets:
            given[key] = value
            continue
        try:
            reference = parse_reference(value)
            given[key] = reference.resolve(as_path=secrets[key])
        except SecretError as exc:
            problems.append(f"settings.{key}: {exc}")
            continue
        if given[key] != reference.target:
            revealed[given[key]] = str(reference)
    if problems:
        raise InvalidSettings(name, plugin, problems)
    if schema is None:
        return ResolvedSettings(given, dict(given))
    try:
        return ResolvedSettings(given, schema.model_validate(given))
    except ValidationError as exc:
        raise InvalidSettings(
            name, plugin, [redact(_problem(error), revealed) for error in exc.errors()]
        ) from None


def _problem(error: Any) -> str:
    where = ".".join(str(p) for p in ("settings", *error["loc"]))
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}"
