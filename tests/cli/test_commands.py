"""The `sas` command as a whole: help everywhere, the demo end to end."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sas_core.cli.main import cli


def all_commands() -> list[list[str]]:
    paths: list[list[str]] = [[]]
    ctx = click.Context(cli)

    def walk(group: click.Command, prefix: list[str]) -> None:
        if not isinstance(group, click.Group):
            return
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None
            paths.append([*prefix, name])
            walk(command, [*prefix, name])

    walk(cli, [])
    return paths


def test_top_level_help_lists_every_command_without_importing_them() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    for name in ("db", "demo", "plugins", "simulator", "slots"):
        assert f"  {name} " in result.output


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p) or "sas")
def test_every_command_has_help(path: list[str]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_unknown_option_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["slots", "fetch", "--bogus"])
    assert result.exit_code == 2
    assert "No such option" in result.output


def test_demo_fetches_stores_and_summarises(_isolated_data_dir: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "sas_core.cli", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert run.returncode == 0, run.stderr
    for vendor in ("editeur-a", "editeur-b", "editeur-sos"):
        assert vendor in run.stdout
    assert "free slots of 50 practitioners (through 3 CPTS) and 2 SOS" in run.stdout
    table = run.stdout.split("slots fetched per adapter")[1].split("free slots")[0]
    assert table.count("│ ok ") == 3
    database = _isolated_data_dir / "sas.sqlite3"
    with sqlite3.connect(database) as db:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
    assert any("slot" in t for t in tables)


def test_demo_reports_a_failing_vendor_without_failing(_isolated_data_dir: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "sas_core.cli", "demo", "--faulty-vendor"],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert run.returncode == 0, run.stderr
    assert "editeur-c" in run.stdout
    assert "500" in run.stdout
