"""Commands other distributions add to `sas` through the `sas_connect.commands` entry points."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from sas_core.cli.main import cli, contributed_commands

GREETING = """
    import click

    @click.command(short_help="Say hello.")
    def hello() -> None:
        click.echo("hello from a vendor's distribution")

    not_a_command = 42
"""


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on sys.path where the test installs a distribution declaring commands."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sastest_commands.py").write_text(textwrap.dedent(GREETING))
    (site / "sastest_broken_commands.py").write_text("raise RuntimeError('vendor bug')\n")
    dist = site / "sastest_commands-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: sastest-commands\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[sas_connect.commands]\n"
        "hello = sastest_commands:hello\n"
        "broken = sastest_broken_commands:command\n"
        "number = sastest_commands:not_a_command\n"
        "slots = sastest_commands:hello\n"
    )
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in [m for m in sys.modules if m.startswith("sastest_")]:
        del sys.modules[name]


def test_help_lists_contributed_commands_and_reports_the_broken_ones(install: Path) -> None:
    result = CliRunner().invoke(cli, ["--help"])

    assert result.exit_code == 0, result.output
    assert "  hello " in result.stdout and "Say hello." in result.stdout
    assert "  simulator " in result.stdout and "  slots " in result.stdout
    assert "broken" not in result.stdout and "number" not in result.stdout
    assert (
        "sas: command 'broken' of sastest-commands 1.0 failed to load: "
        "RuntimeError: vendor bug" in result.stderr
    )
    assert (
        "sas: command 'number' of sastest-commands 1.0 is not a click command: "
        "sastest_commands:not_a_command is a int" in result.stderr
    )
    assert "sas: command 'slots' of sastest-commands 1.0 ignored: the core has one" in (
        result.stderr
    )


def test_a_contributed_command_runs_and_a_broken_one_does_not_stop_it(install: Path) -> None:
    result = CliRunner().invoke(cli, ["hello"])

    assert result.exit_code == 0, result.output
    assert result.stdout == "hello from a vendor's distribution\n"


def test_a_core_command_keeps_its_name(install: Path) -> None:
    result = CliRunner().invoke(cli, ["slots", "--help"])

    assert result.exit_code == 0, result.output
    assert "Fetch free slots from vendors." in result.stdout


def test_running_a_broken_command_says_why(install: Path) -> None:
    result = CliRunner().invoke(cli, ["broken"])

    assert result.exit_code == 2
    assert "failed to load: RuntimeError: vendor bug" in result.stderr
    assert "No such command 'broken'" in result.stderr


def test_the_simulator_commands_come_from_its_distribution() -> None:
    found = contributed_commands()

    for name in ("simulator", "demo"):
        dist = found[name].dist
        assert dist is not None and dist.name == "sas-simulator"
