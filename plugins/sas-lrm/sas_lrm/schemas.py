"""Checking a message against JSON schemas before it is published (an invalid one never is).

Two sets of schemas, one interface:

- the plugin's own (`schemas/report.schema.json`, shipped in the package): the one message the
  platform sends, an EDXL-DE `Report` carrying an RS-SAS-RDV appointment, written for this
  project from the Hub's model and at least as strict as it (`additionalProperties: false`
  everywhere, the same enums and patterns; tests/lrm check that everything it accepts the
  Hub's own schemas accept too);
- the Hub's (`SAS_LRM_HUB_SCHEMAS`: the `json-schema` folder of ansforge/SAMU-Hub-Modeles):
  the whole message against `EDXL-DE-full.schema.json`, as the Hub's dispatcher does. Every
  file of that folder declares the same `$id` and refers to its siblings by bare file name, so
  each is registered under a URI of its own and the shared `$id` is dropped (digest (b), "How
  to reproduce the Hub's validation in Python").
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

#: Where the Hub's schemas are registered (a base that allows relative references).
HUB_BASE = "http://local.invalid/json-schema/"
#: What the Hub's dispatcher validates every message against.
HUB_ENTRY = "EDXL-DE-full.schema.json"
#: How many validation errors a report keeps.
MAX_ERRORS = 5


class InvalidMessage(ValueError):
    """A message its schemas refuse; the text lists the first errors with their paths."""


class MessageSchemas:
    """Validates outgoing messages: against the Hub's folder when given, else the plugin's own."""

    def __init__(self, hub_schemas: Path | None = None) -> None:
        self.source = str(hub_schemas / HUB_ENTRY) if hub_schemas else "sas_lrm report schema"
        self._validator = _hub_validator(hub_schemas) if hub_schemas else _own_validator()
        self._hub = hub_schemas is not None

    def errors(self, message: dict[str, Any]) -> list[str]:
        """The message's errors, each `path: reason`; empty when valid. The Hub's `oneOf` only
        says that no message kind matched: the plugin's schema then names what is wrong."""
        found = [_describe(e) for e in _sorted(self._validator.iter_errors(message))]
        if found and self._hub:
            hints = _sorted(_own_validator().iter_errors(message))
            found += [f"{_describe(e)} (plugin schema)" for e in hints]
        return found

    def check(self, message: dict[str, Any]) -> None:
        """Raise InvalidMessage naming the first errors, unless `message` is valid."""
        errors = self.errors(message)
        if errors:
            shown = "; ".join(errors[:MAX_ERRORS])
            more = f" (and {len(errors) - MAX_ERRORS} more)" if len(errors) > MAX_ERRORS else ""
            raise InvalidMessage(f"invalid against {self.source}: {shown}{more}")


def _sorted(errors: Any) -> list[Any]:
    return sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])


def _describe(error: Any) -> str:
    path = "/".join(str(p) for p in error.absolute_path) or "(message)"
    return f"{path}: {error.message}"


@cache
def _own_validator() -> Draft7Validator:
    text = files("sas_lrm").joinpath("schemas", "report.schema.json").read_text(encoding="utf-8")
    return Draft7Validator(json.loads(text))


@cache
def _hub_validator(folder: Path) -> Draft7Validator:
    if not (folder / HUB_ENTRY).is_file():
        raise FileNotFoundError(f"{folder} holds no {HUB_ENTRY} (SAS_LRM_HUB_SCHEMAS)")
    resources = []
    for path in sorted(folder.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        contents.pop("$id", None)
        resources.append((HUB_BASE + path.name, Resource.from_contents(contents, DRAFT7)))
    registry: Registry[Any] = Registry().with_resources(resources)
    return Draft7Validator({"$ref": HUB_BASE + HUB_ENTRY}, registry=registry)
