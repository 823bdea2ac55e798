"""The interim adapters file: which adapters serve which territory, validated on load."""

from __future__ import annotations

from pathlib import Path

import pytest

from sas_core.plugins.host import PluginHost
from sas_core.registry.adapters_file import AdaptersFileError, check_territory, load_adapters_file


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost.discover(allow=["sas-fhir"])


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "adapters.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_adapters_are_listed_per_territory_with_validated_settings(
    tmp_path: Path, host: PluginHost
) -> None:
    path = write(
        tmp_path,
        """
[adapters.vendor-a]
plugin = "sas-fhir"
territories = ["SAS-33", "SAS-20A"]
timeout_s = 3
[adapters.vendor-a.settings]
base_url = "https://a.example/fhir"

[adapters.vendor-b]
plugin = "sas-fhir"
territories = ["SAS-974"]
settings = { base_url = "https://b.example/fhir" }
""",
    )

    directory = load_adapters_file(path, host)

    [a] = directory.adapters_for("SAS-33")
    assert a.name == "vendor-a" and a.timeout_s == 3
    assert a.settings.base_url == "https://a.example/fhir"
    assert [x.name for x in directory.adapters_for("SAS-974")] == ["vendor-b"]
    assert directory.adapters_for("SAS-75") == []
    assert directory.adapter_named("vendor-b") is not None
    assert directory.adapter_named("vendor-z") is None


def test_an_absent_file_enables_nothing(tmp_path: Path, host: PluginHost) -> None:
    assert load_adapters_file(tmp_path / "none.toml", host).adapters_for("SAS-33") == []


def test_every_problem_is_named_at_once(tmp_path: Path, host: PluginHost) -> None:
    path = write(
        tmp_path,
        """
surprise = 1
[adapters.no-plugin]
territories = ["SAS-33"]
[adapters.bad-territory]
plugin = "sas-fhir"
territories = ["Gironde"]
settings = { base_url = "https://a.example/fhir" }
[adapters.bad-settings]
plugin = "sas-fhir"
territories = ["SAS-33"]
settings = { base_url = "ftp://a.example" }
[adapters.unknown-plugin]
plugin = "nope"
territories = ["SAS-33"]
""",
    )

    with pytest.raises(AdaptersFileError) as caught:
        load_adapters_file(path, host)

    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    for expected in (
        "unknown top-level key 'surprise'",
        "adapters.no-plugin: `plugin`",
        "adapters.bad-territory: unknown territory 'Gironde'",
        "adapters.bad-settings: invalid settings for adapter 'sas-fhir': base_url",
        "adapters.unknown-plugin: unknown adapter plugin 'nope'",
    ):
        assert expected in message


def test_unreadable_toml_is_refused(tmp_path: Path, host: PluginHost) -> None:
    with pytest.raises(AdaptersFileError, match="cannot read it"):
        load_adapters_file(write(tmp_path, "[adapters.x\n"), host)


@pytest.mark.parametrize("code", ["SAS-01", "SAS-20A", "SAS-20B", "SAS-95", "SAS-971", "SAS-976"])
def test_territory_codes(code: str) -> None:
    assert check_territory(code) == code


def test_the_file_stores_corsica_in_the_official_form(tmp_path: Path, host: PluginHost) -> None:
    path = write(
        tmp_path,
        '[adapters.a]\nplugin = "sas-fhir"\nterritories = ["SAS-2A"]\n'
        'settings = { base_url = "https://a.example/fhir" }\n',
    )
    directory = load_adapters_file(path, host)
    assert [a.name for a in directory.adapters_for("SAS-20A")] == ["a"]


@pytest.mark.parametrize("code", ["SAS-00", "SAS-20", "SAS-96", "SAS-975", "33", "sas-33"])
def test_bad_territory_codes(code: str) -> None:
    with pytest.raises(ValueError, match="unknown territory"):
        check_territory(code)
