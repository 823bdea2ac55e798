"""The `sas` command tree as the docs tests see it: the assembled CLI, walked and resolved.

The CLI is the click group the `sas` console script runs, walked through click's own
`list_commands`/`get_command` (as `sas --help` does), so lazily imported commands and those that
other distributions contribute are all found.
"""

from __future__ import annotations

import importlib
import shlex
from collections.abc import Iterator
from functools import cache
from importlib.metadata import entry_points

import click


def assembled_cli() -> click.Command:
    """The click command behind the `sas` script: the script itself when it is one, else the
    `cli` group beside the function it names (`sas_core.cli:main` runs `cli()`)."""
    (script,) = entry_points(group="console_scripts", name="sas")
    target = script.load()
    if isinstance(target, click.Command):
        return target
    command = getattr(importlib.import_module(target.__module__), "cli", None)
    assert isinstance(command, click.Command), f"{script.value} runs no click group named cli"
    return command


def walk(
    command: click.Command | None = None,
    path: tuple[str, ...] = ("sas",),
    parent: click.Context | None = None,
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command and subcommand, with its path (`("sas", "db", "upgrade")`)."""
    command = command or assembled_cli()
    ctx = click.Context(command, info_name=path[-1], parent=parent)
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{' '.join(path)} lists {name} but cannot load it"
            yield from walk(sub, (*path, name), ctx)


@cache
def commands() -> dict[tuple[str, ...], click.Command]:
    """Path → command, for the whole tree (walked once: the docs tests only read it)."""
    return dict(walk())


def option_names(command: click.Command) -> set[str]:
    names = {"--help", "-h"}
    for param in command.params:
        if isinstance(param, click.Option):
            names.update(param.opts)
            names.update(param.secondary_opts)
    return names


def _takes_value(command: click.Command, name: str) -> bool:
    for param in command.params:
        if isinstance(param, click.Option) and name in param.opts:
            return not (param.is_flag or param.count)
    return False


def check_command_line(line: str) -> list[str]:
    """What is wrong with a documented `sas …` command line: unknown commands or options.

    Values are not checked (they are placeholders in the docs), only the command path and the
    options of each command on it.
    """
    tokens = shlex.split(line, comments=True)
    assert tokens and tokens[0].endswith("sas"), line
    tree = commands()
    path: tuple[str, ...] = ("sas",)
    command = tree[path]
    problems = []
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    rest = iter(tokens[1:])
    for token in rest:
        if token.startswith("-") and not token.startswith("--") and len(token) > 2:
            # Short flags together: `-vv`.
            problems.extend(
                f"{' '.join(path)} has no option -{flag}"
                for flag in token[1:]
                if f"-{flag}" not in option_names(command)
            )
        elif token.startswith("-") and token != "-":
            name = token.split("=", 1)[0]
            if name not in option_names(command):
                problems.append(f"{' '.join(path)} has no option {name}")
            elif "=" not in token and _takes_value(command, name):
                next(rest, None)
        elif isinstance(command, click.Group):
            if (*path, token) not in tree:
                problems.append(f"{' '.join(path)} has no command {token!r}")
                break
            path = (*path, token)
            command = tree[path]
            arguments = [p for p in command.params if isinstance(p, click.Argument)]
        elif not arguments:
            problems.append(f"{' '.join(path)} takes no argument, got {token!r}")
    runs_alone = isinstance(command, click.Group) and command.invoke_without_command
    if isinstance(command, click.Group) and not runs_alone and not {"--help", "-h"} & set(tokens):
        problems.append(f"{' '.join(path)} is a group: name one of its commands")
    return problems
