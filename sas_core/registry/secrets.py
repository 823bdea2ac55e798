"""Secrets in adapter settings: which fields hold one, and the references that stand for them.

The registry never holds a secret, only where to find it: `env:NAME` (an environment variable of
the process that calls the vendor) or `file:PATH` (an absolute path). A settings field is a
secret when the plugin's settings schema says so — `Field(json_schema_extra={"secret": True})`,
or a pydantic `SecretStr`/`SecretBytes` field. A reference is resolved only when an adapter is
built for a call (and when its declaration is checked); for a field that holds a file path (a
private key), `file:PATH` gives the path itself, so the key is read by the TLS layer and never by
the registry; for any other field it gives the file's content.
"""

from __future__ import annotations

import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, Literal

from pydantic import BaseModel, SecretBytes, SecretStr
from pydantic.fields import FieldInfo

#: The `json_schema_extra` key that marks a settings field as a secret.
SECRET_MARK = "secret"

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

REFERENCE_RULE = (
    "give it by reference — env:NAME (an environment variable) or file:PATH (an absolute path) — "
    "never its value"
)


class SecretError(ValueError):
    """A secret field given in clear, a malformed reference, or one that cannot be resolved.

    The message never quotes the value given: it may be the secret itself.
    """


@dataclass(frozen=True)
class SecretReference:
    """Where a secret lives: `env:NAME` or `file:PATH`."""

    kind: Literal["env", "file"]
    target: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.target}"

    def resolve(self, *, as_path: bool, environ: Mapping[str, str] | None = None) -> str:
        """The value the adapter is given: the variable's value, the file's path (`as_path`)
        or the file's content without its final line break."""
        if self.kind == "env":
            value = (os.environ if environ is None else environ).get(self.target)
            if value is None:
                raise SecretError(f"{self} is not set in this process's environment")
            return value
        if as_path:
            return self.target
        try:
            return Path(self.target).read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise SecretError(f"{self} cannot be read: {reason}") from None


def parse_reference(value: object) -> SecretReference:
    """The reference `value` is, or SecretError stating the rule (without quoting `value`)."""
    if isinstance(value, str):
        kind, sep, target = value.partition(":")
        if sep and kind == "env" and _ENV_NAME.match(target):
            return SecretReference("env", target)
        if sep and kind == "file" and target and PurePath(target).is_absolute():
            return SecretReference("file", target)
    raise SecretError(f"holds a secret: {REFERENCE_RULE}")


def secret_fields(schema: type[BaseModel] | None) -> dict[str, bool]:
    """The secret fields of `schema`, each mapped to whether it holds a file path."""
    if schema is None:
        return {}
    return {
        name: _holds_path(info.annotation)
        for name, info in schema.model_fields.items()
        if _is_secret(info)
    }


def redact(message: str, revealed: Mapping[str, str]) -> str:
    """`message` with every resolved secret value replaced by its reference (`revealed` maps
    value → reference), so a validator that quotes its input leaks nothing."""
    for value, reference in sorted(revealed.items(), key=lambda item: -len(item[0])):
        if value:
            message = message.replace(value, reference)
    return message


def _is_secret(info: FieldInfo) -> bool:
    extra = info.json_schema_extra
    if isinstance(extra, dict) and extra.get(SECRET_MARK) is True:
        return True
    return any(t in (SecretStr, SecretBytes) for t in _members(info.annotation))


def _holds_path(annotation: Any) -> bool:
    return any(isinstance(t, type) and issubclass(t, PurePath) for t in _members(annotation))


def _members(annotation: Any) -> tuple[Any, ...]:
    """The types of an annotation, looking through `X | None` and `Annotated`."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return tuple(m for arg in typing.get_args(annotation) for m in _members(arg))
    return (annotation,)
