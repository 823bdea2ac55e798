from __future__ import annotations

from pathlib import Path

import pytest

from sas_core.settings import PlatformSettings, load_settings


def test_data_dir_comes_from_the_environment(_isolated_data_dir: Path) -> None:
    settings = load_settings()
    assert settings.data_dir == _isolated_data_dir
    assert settings.uses_embedded_database
    assert settings.effective_database_url == f"sqlite:///{_isolated_data_dir / 'sas.sqlite3'}"


def test_default_data_dir_is_relative_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAS_DATA_DIR")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.data_dir == Path(".sas-data")
    assert settings.sqlite_path == tmp_path.resolve() / ".sas-data" / "sas.sqlite3"


def test_database_url_wins_over_the_embedded_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAS_DATABASE_URL", "postgresql://sas@db/sas")
    settings = load_settings()
    assert not settings.uses_embedded_database
    assert settings.effective_database_url == "postgresql://sas@db/sas"


def test_an_empty_database_url_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAS_DATABASE_URL", "  ")
    assert load_settings().database_url is None


def test_overrides_win_and_none_overrides_are_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAS_DATABASE_URL", "sqlite:///from-env.db")
    settings = load_settings(data_dir=tmp_path / "elsewhere", database_url=None)
    assert settings.data_dir == tmp_path / "elsewhere"
    assert settings.database_url == "sqlite:///from-env.db"
    assert load_settings(database_url="sqlite:///given.db").database_url == "sqlite:///given.db"


def test_unknown_overrides_are_refused() -> None:
    with pytest.raises(ValueError, match="datadir"):
        load_settings(datadir="x")
    assert isinstance(load_settings(), PlatformSettings)


def test_an_empty_data_dir_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAS_DATA_DIR", "  ")
    assert load_settings().data_dir == Path(".sas-data")
    monkeypatch.setenv("SAS_DATA_DIR", "~/sas")
    assert load_settings().data_dir == Path.home() / "sas"
