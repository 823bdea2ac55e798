from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sas_core.cli.main import cli
from sas_core.storage import head_revision


def sas(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_upgrade_then_current_on_the_default_database(_isolated_data_dir: Path) -> None:
    code, out = sas("db", "upgrade")
    assert code == 0, out
    assert f"upgraded from none (empty) to {head_revision()}" in out
    assert (_isolated_data_dir / "sas.sqlite3").is_file()

    code, out = sas("db", "upgrade")
    assert code == 0
    assert f"already at revision {head_revision()}" in out

    code, out = sas("db", "current")
    assert code == 0
    assert f"revision {head_revision()} (up to date)" in out


def test_global_data_dir_option_is_honoured(tmp_path: Path) -> None:
    code, out = sas("--data-dir", str(tmp_path / "other"), "db", "upgrade")
    assert code == 0, out
    assert (tmp_path / "other" / "sas.sqlite3").is_file()


def test_upgrade_and_current_take_a_database_url(database_url: str) -> None:
    code, out = sas("db", "current", "--database-url", database_url)
    assert code == 0, out
    assert "revision none (empty) (behind" in out
    code, out = sas("db", "upgrade", "--database-url", database_url)
    assert code == 0, out
    assert head_revision() in out


def test_database_url_comes_from_the_environment(
    database_url: str, monkeypatch: pytest.MonkeyPatch, _isolated_data_dir: Path
) -> None:
    monkeypatch.setenv("SAS_DATABASE_URL", database_url)
    assert sas("db", "upgrade")[0] == 0
    assert f"revision {head_revision()} (up to date)" in sas("db", "current")[1]
    assert not (_isolated_data_dir / "sas.sqlite3").exists()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://sas:secret@127.0.0.1:1/sas", "Connection refused"),
        ("nonsense://", "Can't load plugin"),
    ],
)
@pytest.mark.parametrize("command", ["upgrade", "current"])
def test_an_unusable_database_is_a_readable_error(command: str, url: str, reason: str) -> None:
    code, out = sas("db", command, "--database-url", url)
    assert code == 1
    assert out.startswith("Error: cannot use the database ")
    assert reason in out
    assert "secret" not in out
    assert "Traceback" not in out


def test_an_unknown_revision_is_a_readable_error() -> None:
    code, out = sas("db", "upgrade", "--revision", "nope")
    assert code == 1
    assert "Can't locate revision identified by 'nope'" in out


@pytest.mark.parametrize("args", [["db"], ["db", "upgrade"], ["db", "current"]])
def test_help(args: list[str]) -> None:
    code, out = sas(*args, "--help")
    assert code == 0
    assert "Usage: " in out
