"""Griffe extension: Sphinx markup in our docstrings, read as Markdown.

The hook specifications are written the way pytest writes its own (`:param x:` fields,
``:class:`~sas_core.SlotBatch` `` roles, `Example::` literal blocks). griffe's Sphinx parser
takes the fields; this extension turns the roles into code spans and `::` into `:` so the
indented block under it is a Markdown code block, on every object mkdocstrings renders.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

#: :class:`~pkg.Name` → `Name`; :mod:`pkg` → `pkg` (the `~` keeps only the last component).
ROLE = re.compile(r":(?:class|data|mod|func|meth|attr|obj|exc):`(~?)([\w.]+)`")
LITERAL_BLOCK = re.compile(r"::$", flags=re.MULTILINE)


def markdown_of(text: str) -> str:
    """The docstring text with Sphinx roles and literal-block markers made Markdown."""

    def code(match: re.Match[str]) -> str:
        tilde, target = match.groups()
        return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"

    return LITERAL_BLOCK.sub(":", ROLE.sub(code, text))


class SphinxRoles(griffe.Extension):
    def on_object(self, *, obj: griffe.Object, **_: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown_of(obj.docstring.value)
