"""The README is the front door: short, the two set-up commands, and a map of the docs."""

from __future__ import annotations

import re

from .pages import DOCS, README, REPO, nav_pages

MAX_LINES = 250
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_the_readme_is_under_250_lines() -> None:
    lines = README.read_text().count("\n")
    assert lines < MAX_LINES, f"README.md has {lines} lines: move the detail to docs/"


def test_the_readme_sets_up_with_make_run_and_make_test() -> None:
    text = README.read_text()
    setup = text.split("## Set up", 1)[1]
    block = re.search(r"```sh\n(.*?)```", setup, flags=re.DOTALL)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block[1].splitlines()]
    assert commands == ["make run", "make test"]
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^run:", makefile, flags=re.MULTILINE)
    assert re.search(r"^test:", makefile, flags=re.MULTILINE)


def test_the_readme_links_every_page_of_the_site() -> None:
    linked = {target for target in LINK.findall(README.read_text())}
    missing = [page for page in nav_pages() if f"docs/{page}" not in linked]
    assert not missing, f"pages the README's map does not link: {missing}"


def test_the_readme_links_resolve() -> None:
    for target in LINK.findall(README.read_text()):
        if "://" not in target:
            assert (REPO / target).exists(), f"README.md links to a missing {target}"


def test_every_page_is_in_the_navigation() -> None:
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert pages == set(nav_pages())
