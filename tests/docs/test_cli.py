"""Every `sas` command is documented, and what the docs say about commands exists."""

from __future__ import annotations

import importlib
import re

import click
import markdown

from .commands import assembled_cli, commands, option_names, walk
from .pages import DOCS, REPO, written_pages, written_text

REFERENCE_PAGE = DOCS / "reference" / "cli.md"


def test_the_tree_is_walked_through_the_assembled_cli() -> None:
    paths = {" ".join(path) for path in commands()}
    assert {"sas", "sas db upgrade", "sas regulators sync", "sas slots fetch"} <= paths


def test_every_command_and_subcommand_is_written_about() -> None:
    """Each command path (`sas db upgrade`) appears in a page people write, not only in the
    generated reference."""
    text = written_text()
    missing = [" ".join(path) for path in commands() if " ".join(path) not in text]
    assert not missing, f"commands no page writes about: {missing}"


def test_the_cli_reference_is_generated_from_the_assembled_cli() -> None:
    """The mkdocs-click directive names the very group the `sas` script runs."""
    page = REFERENCE_PAGE.read_text()
    options = dict(re.findall(r"^    :(\w+): (.+)$", page, flags=re.MULTILINE))
    named = getattr(importlib.import_module(options["module"]), options["command"])
    assert named is assembled_cli()
    assert options["prog_name"] == "sas"


def test_the_cli_reference_renders_every_command_and_option() -> None:
    """Rendered as MkDocs does (mkdocs-click is a Markdown extension), the reference has a
    heading per command and every option of each."""
    html = markdown.markdown(
        REFERENCE_PAGE.read_text(), extensions=["attr_list", "toc", "mkdocs-click"]
    )
    for path, command in walk():
        name = " ".join(path)
        assert re.search(rf"<h\d[^>]*>{re.escape(name)}</h\d>", html), f"no heading for {name}"
        for option in option_names(command) - {"-h"}:
            if option.startswith("--"):
                assert option in html, f"{name} {option} is missing from the CLI reference"


#: An inline `sas …` span: its command words, then anything (options, placeholders).
SPAN = re.compile(r"`((?:\.venv/bin/)?sas(?: [^`]*)?)`")
WORD = re.compile(r"[a-z][a-z-]*(?:\\?\|[a-z][a-z-]*)*")
OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")


def span_problems(span: str) -> list[str]:
    """Unknown commands or options in an inline span such as
    `sas regulators add|update … [--national-id ID]` (values and brackets are placeholders)."""
    tree = commands()
    path: tuple[str, ...] = ("sas",)
    allowed = option_names(tree[path])
    problems = []
    for word in span.split()[1:]:
        if word.startswith("-") or not WORD.fullmatch(word):
            if not word.startswith("-"):
                break
            continue
        if not isinstance(tree[path], click.Group):
            break
        names = word.replace("\\|", "|").split("|")
        unknown = [n for n in names if (*path, n) not in tree]
        if unknown:
            problems.append(f"{span}: {' '.join(path)} has no command {unknown}")
            return problems
        if len(names) > 1:
            return problems  # alternatives: their options are not on this line
        path = (*path, names[0])
        allowed |= option_names(tree[path])
    problems.extend(
        f"{span}: {' '.join(path)} has no option {option}"
        for option in OPTION.findall(span)
        if option not in allowed
    )
    return problems


def test_inline_command_spans_name_existing_commands_and_options() -> None:
    problems = []
    spans = 0
    for page in written_pages():
        for span in SPAN.findall(page.read_text()):
            spans += 1
            problems.extend(f"{page.relative_to(REPO)}: {p}" for p in span_problems(span))
    assert spans >= 30
    assert not problems, "\n".join(problems)
