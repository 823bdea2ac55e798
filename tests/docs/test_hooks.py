"""The hook documentation stays in step with the hook specifications."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from types import ModuleType

import pluggy

import sas_core
from sas_core import hookspecs

from .pages import DOCS

HOOKS_PAGE = DOCS / "plugins" / "hooks.md"
REFERENCE_PAGE = DOCS / "reference" / "hooks.md"


def specs() -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(fn)
        for name, fn in vars(hookspecs).items()
        if name.startswith("sas_") and callable(fn)
    }


def test_every_hook_has_a_docs_section_with_its_signature() -> None:
    headings = re.findall(r"^## (sas_\w+)\((.*)\)$", HOOKS_PAGE.read_text(), flags=re.MULTILINE)
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


def test_the_hook_reference_renders_every_hookspec() -> None:
    """mkdocstrings renders the module's members named `sas_*`: every hook, none hand-picked."""
    text = REFERENCE_PAGE.read_text()
    assert re.search(r"^::: sas_core\.hookspecs$", text, flags=re.MULTILINE)
    assert not re.search(r"^::: sas_core\.hookspecs\.", text, flags=re.MULTILINE)


def test_every_hookspec_example_is_a_valid_implementation() -> None:
    """The `Example::` under each docstring parses, and pluggy accepts it as that hook."""
    for name, fn in vars(hookspecs).items():
        if not name.startswith("sas_"):
            continue
        doc = inspect.getdoc(fn) or ""
        example = textwrap.dedent(doc.split("Example::", 1)[1]).strip("\n")
        ast.parse(example, filename=f"{name} example")
        plugin = ModuleType(f"{name}_example")
        plugin.__dict__.update({k: getattr(sas_core, k) for k in sas_core.__all__})
        exec(compile(example, f"{name} example", "exec"), plugin.__dict__)
        manager = pluggy.PluginManager(hookspecs.PROJECT)
        manager.add_hookspecs(hookspecs)
        manager.register(plugin)
        manager.check_pending()
