"""The hook documentation stays in step with the hook specifications."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from sas_core import hookspecs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugin_hooks.md"


def specs() -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(fn)
        for name, fn in vars(hookspecs).items()
        if name.startswith("sas_") and callable(fn)
    }


def test_every_hook_has_a_docs_section_with_its_signature() -> None:
    headings = re.findall(r"^## (sas_\w+)\((.*)\)$", DOCS.read_text(), flags=re.MULTILINE)
    documented = {
        name: [a.strip() for a in args.split(",") if a.strip()] for name, args in headings
    }
    assert set(documented) == set(specs())
    for name, signature in specs().items():
        assert documented[name] == list(signature.parameters), name


def test_every_hook_is_documented_like_pytest_does() -> None:
    for name, fn in vars(hookspecs).items():
        if not name.startswith("sas_"):
            continue
        doc = inspect.getdoc(fn) or ""
        for param in inspect.signature(fn).parameters:
            assert f":param {param}:" in doc, f"{name} does not document {param}"
        assert "Example::" in doc, f"{name} has no example"
        assert fn.__annotations__.get("return"), f"{name} has no return type"
