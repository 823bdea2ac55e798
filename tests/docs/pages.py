"""The documentation as the tests read it: its pages and the fenced code blocks in them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
README = REPO / "README.md"
#: Pages generated at build time (mkdocs-click, mkdocstrings, our settings hook): they hold
#: directives, not prose, so "documented" means written in one of the other pages.
GENERATED = ("reference/cli.md", "reference/hooks.md", "reference/settings.md")

FENCE = re.compile(
    r"^(?P<indent>[ ]*)```(?P<lang>[\w+-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ ]*$",
    flags=re.MULTILINE | re.DOTALL,
)


@dataclass(frozen=True)
class Block:
    """One fenced code block: where it is, its language and its text (indent removed)."""

    page: Path
    line: int
    lang: str
    text: str

    def __str__(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line} ({self.lang or 'no language'})"


def pages() -> list[Path]:
    """Every Markdown page of the site, and the README."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def written_pages() -> list[Path]:
    """The pages people write (all but the generated references)."""
    generated = {DOCS / name for name in GENERATED}
    return [p for p in pages() if p not in generated]


def written_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in written_pages())


def blocks(page: Path) -> Iterator[Block]:
    text = page.read_text(encoding="utf-8")
    for match in FENCE.finditer(text):
        indent = len(match["indent"])
        body = "".join(line[indent:] for line in match["body"].splitlines(keepends=True))
        line = text.count("\n", 0, match.start()) + 1
        yield Block(page, line, match["lang"].lower(), body)


def all_blocks() -> list[Block]:
    return [block for page in pages() for block in blocks(page)]


def nav_pages() -> list[str]:
    """The pages mkdocs.yml's navigation lists, relative to docs/."""
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    found: list[str] = []

    def visit(node: object) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            for value in node.values():
                visit(value)

    visit(config["nav"])
    return found
