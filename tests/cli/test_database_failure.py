"""A command that cannot use the platform's database says why in one line and exits 1, whichever
command it is (`sas_core.cli.context.open_platform_database`)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from sas_core.cli.main import cli


@pytest.mark.parametrize(
    "command",
    [
        ["regulators", "show"],
        ["regulators", "deactivate", "00000000-0000-4000-8000-000000000000"],
        ["registry", "list"],
        ["registry", "audit", "--format", "json"],
    ],
)
def test_an_unusable_database_is_one_line_and_exit_1(
    command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAS_DATABASE_URL", "postgresql://sas:secret@127.0.0.1:1/sas")
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: cannot use the database: ")
    assert "Connection refused" in result.stderr
    assert result.stdout == ""
    assert "secret" not in result.stderr
    assert "Traceback" not in result.stderr
