"""One page per hook under docs/plugins/hooks/, in step with `sas_core/hookspecs.py`: a new hook
without a page fails, and so does a page for a hook that is gone (datasette's test_docs)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import pytest

from sas_core import hookspecs

from .pages import DOCS, nav_pages

HOOK_PAGES = DOCS / "plugins" / "hooks"
SECTIONS = ("## When it is called", "## Arguments", "## Returns", "## Example")


def specs() -> dict[str, Callable[..., Any]]:
    return {
        name: fn for name, fn in vars(hookspecs).items() if name.startswith("sas_") and callable(fn)
    }


def declared(fn: Callable[..., Any]) -> str:
    """The specification's line as the page shows it: `def name(arg: Type, …) -> Type: ...`."""
    signature = inspect.signature(fn)
    args = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
    return f"def {fn.__name__}({args}) -> {signature.return_annotation}: ..."


def flat(code: str) -> str:
    """Code without its layout (ruff formats the docs' blocks: long signatures are wrapped)."""
    return re.sub(r"\s+", "", code).replace(",)", ")")


def test_every_hook_has_a_page_and_every_page_a_hook() -> None:
    pages = {p.stem for p in HOOK_PAGES.glob("*.md") if p.stem != "index"}
    assert pages == set(specs()), "docs/plugins/hooks/ and sas_core/hookspecs.py disagree"


def test_every_hook_page_is_in_the_navigation() -> None:
    assert {f"plugins/hooks/{name}.md" for name in specs()} <= set(nav_pages())


@pytest.mark.parametrize("name", sorted(specs()))
def test_a_hook_page_has_its_signature_and_sections(name: str) -> None:
    fn = specs()[name]
    text = (HOOK_PAGES / f"{name}.md").read_text()
    title = text.splitlines()[0]
    assert title == f"# {name}({', '.join(inspect.signature(fn).parameters)})"
    assert flat(declared(fn)) in flat(text), f"{name}.md does not show the spec's signature"
    for section in SECTIONS:
        assert re.search(rf"^{section}$", text, flags=re.MULTILINE), f"{name}.md: no {section}"
    arguments = text.split("## Arguments", 1)[1].split("\n## ", 1)[0]
    for param in inspect.signature(fn).parameters:
        assert f"`{param}`" in arguments, f"{name}.md does not describe {param}"
    firstresult = bool(getattr(fn, f"{hookspecs.PROJECT}_spec")["firstresult"])
    assert ("firstresult" in text) is firstresult, f"{name}.md and the spec disagree on firstresult"
    example = text.split("## Example", 1)[1]
    assert re.search(rf"^(async )?def {name}\(", example, flags=re.MULTILINE)
