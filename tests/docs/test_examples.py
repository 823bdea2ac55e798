"""Every code example in the docs is checked: parsed, and run where that is cheap.

Python blocks are parsed and, unless their first line is `# fragment` (a piece of a larger
program, such as a test using the kit's fixtures), run in a fresh module, and whatever hook
implementations they define are registered with pluggy against the hook specifications; TOML
and JSON blocks are parsed (an SSO clients file is loaded as the realm loads it); `sas …`
command lines name existing commands and options, and `make …` lines existing targets.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
import tomllib
from pathlib import Path
from types import ModuleType

import pluggy
import pytest

from sas_core import hookspecs
from sas_web.oidc.clients import load_clients

from .commands import check_command_line
from .pages import REPO, Block, all_blocks, written_pages

#: Languages a fenced block may declare; each is checked below or is plain output.
CHECKED = {"python", "toml", "json", "console", "sh", "bash", "shell"}
UNCHECKED = {"text", "nginx"}
SHELL = {"console", "sh", "bash", "shell"}


def of(*langs: str) -> list[Block]:
    return [b for b in all_blocks() if b.lang in langs]


def ids(blocks: list[Block]) -> list[str]:
    return [str(b) for b in blocks]


def test_every_block_declares_a_known_language() -> None:
    unknown = [str(b) for b in all_blocks() if b.lang not in CHECKED | UNCHECKED]
    assert not unknown, f"fenced blocks without a checked language: {unknown}"


@pytest.mark.parametrize("block", of("python"), ids=ids(of("python")))
def test_python_examples_run_and_implement_real_hooks(block: Block) -> None:
    ast.parse(block.text, filename=str(block))
    if block.text.startswith("# fragment"):
        return
    plugin = ModuleType("docs_example")
    exec(compile(block.text, str(block), "exec"), plugin.__dict__)
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    manager.register(plugin)  # a wrong hook argument is refused here
    manager.check_pending()  # a misspelt hook name here


@pytest.mark.parametrize("block", of("toml"), ids=ids(of("toml")))
def test_toml_examples_parse(block: Block, tmp_path: Path) -> None:
    data = tomllib.loads(block.text)
    if "clients" in data:
        clients_file = tmp_path / "oidc-clients.toml"
        clients_file.write_text(block.text)
        assert load_clients(clients_file)


@pytest.mark.parametrize("block", of("json"), ids=ids(of("json")))
def test_json_examples_parse(block: Block) -> None:
    json.loads(block.text)


def shell_lines(block: Block) -> list[str]:
    """The commands of a shell block: continuations joined, prompts and output left out."""
    lines, current = [], ""
    for raw in block.text.splitlines():
        if block.lang == "console" and not current and not raw.startswith("$ "):
            continue  # output
        line = raw.removeprefix("$ ") if not current else raw
        current += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            lines.append(current.strip())
            current = ""
    return [line for line in lines if line]


def sas_lines() -> list[tuple[str, str]]:
    return [
        (str(block), line)
        for block in of(*SHELL)
        for line in shell_lines(block)
        if shlex.split(line, comments=True)[:1] in (["sas"], [".venv/bin/sas"])
    ]


@pytest.mark.parametrize(("where", "line"), sas_lines(), ids=[w for w, _ in sas_lines()])
def test_documented_command_lines_name_existing_commands_and_options(where: str, line: str) -> None:
    assert check_command_line(line) == [], f"{where}: {line}"


def test_the_docs_show_command_lines() -> None:
    assert len(sas_lines()) >= 10


def make_targets() -> set[str]:
    text = (REPO / "Makefile").read_text()
    return set(re.findall(r"^([\w-]+):", text, flags=re.MULTILINE))


def test_documented_make_commands_exist() -> None:
    targets = make_targets()
    for block in of(*SHELL):
        for line in shell_lines(block):
            words = shlex.split(line, comments=True)
            if words[:1] == ["make"]:
                assert set(words[1:]) <= targets, f"{block}: {line}"
    for page in written_pages():
        for target in re.findall(r"`make ([\w-]+)`", page.read_text()):
            assert target in targets, f"{page.relative_to(REPO)}: make {target}"
