"""The global options (`--data-dir`, `--plugins`, `--trace-hooks`) reach every command as a
`CliContext`, in-process, without writing to the process's environment."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sas_core.cli.context import CliContext, cli_context, platform_settings
from sas_core.cli.main import cli
from sas_core.plugins.host import BUILTIN_PLUGIN, TRACE_ENV

OPTIONS_ENV = ("SAS_DATA_DIR", "SAS_PLUGINS", "SAS_TRACE_HOOKS")


@pytest.fixture
def environment_kept() -> Iterator[None]:
    """Fails the test when the command changed the global options' variables."""
    before = {name: os.environ.get(name) for name in OPTIONS_ENV}
    yield
    assert {name: os.environ.get(name) for name in OPTIONS_ENV} == before


def sas(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.mark.usefixtures("environment_kept")
def test_data_dir_is_used_but_the_environment_is_not_changed(
    tmp_path: Path, _isolated_data_dir: Path
) -> None:
    other = tmp_path / "other"
    result = sas("--data-dir", str(other), "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert (other / "sas.sqlite3").is_file()
    assert not (_isolated_data_dir / "sas.sqlite3").exists()
    assert os.environ.get("SAS_DATA_DIR") == str(_isolated_data_dir)


@pytest.mark.usefixtures("environment_kept")
def test_plugins_and_trace_hooks_are_used_but_the_environment_is_not_changed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="sas_core.hooks")
    result = sas("--plugins", "sas-fhir", "--trace-hooks", "plugins", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    assert {p["name"] for p in json.loads(result.output)} == {"sas-fhir", BUILTIN_PLUGIN}
    assert any("sas_plugin_metadata" in r.getMessage() for r in caplog.records)
    assert os.environ.get("SAS_PLUGINS") is None
    assert os.environ.get(TRACE_ENV) is None


def test_the_options_win_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAS_PLUGINS", "sas-cpts")
    result = sas("--plugins", "sas-sos", "plugins", "list", "--format", "json")
    assert {p["name"] for p in json.loads(result.output)} == {"sas-sos", BUILTIN_PLUGIN}
    result = sas("plugins", "list", "--format", "json")
    assert {p["name"] for p in json.loads(result.output)} == {"sas-cpts", BUILTIN_PLUGIN}


class _NoServer:
    """Stands in for `serve_forever`: `sas serve` returns once everything is built."""

    def __call__(self, server: Any, ready: Any = None) -> None:
        self.server = server


@pytest.mark.usefixtures("environment_kept")
@pytest.mark.parametrize(
    "command",
    [
        ["db", "upgrade"],
        ["db", "current"],
        ["regulators", "show", "00000000-0000-0000-0000-000000000000"],
        [
            "slots",
            "fetch",
            "--adapter",
            "sas-fhir",
            "--base-url",
            "http://127.0.0.1:9/fhir",
            "--timeout",
            "1",
            "--rpps",
            "10100050075",
            "--store",
        ],
        ["oidc", "keys"],
        ["serve", "--insecure-dev", "--port", "0"],
        ["demo"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_every_command_keeps_its_data_in_the_data_dir_option(
    command: list[str], tmp_path: Path, _isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sas_core.serving.server.serve_forever", _NoServer())
    other = tmp_path / "other"
    result = sas("--data-dir", str(other), *command)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert (other / "sas.sqlite3").is_file(), result.output
    assert not (_isolated_data_dir / "sas.sqlite3").exists()


def test_a_command_outside_the_group_reads_the_environment(_isolated_data_dir: Path) -> None:
    assert cli_context() == CliContext()
    assert platform_settings().data_dir == _isolated_data_dir


def test_the_options_as_a_child_process_takes_them(tmp_path: Path) -> None:
    given = CliContext(data_dir=tmp_path, plugins="sas-fhir", trace_hooks=True)
    assert given.arguments() == [
        "--data-dir",
        str(tmp_path),
        "--plugins",
        "sas-fhir",
        "--trace-hooks",
    ]
    assert CliContext().arguments() == []
