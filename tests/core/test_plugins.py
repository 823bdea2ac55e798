"""Discovery through real entry points: good, broken and filtered plugins."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sas_core import AdapterConfig
from sas_core.plugins.host import BUILTIN_PLUGIN, PluginError, PluginHost
from tests.core.conftest import GOOD_PLUGIN, MakePlugin

REPO = Path(__file__).resolve().parents[2]


def test_installed_plugin_is_found_with_its_distribution_version(make_plugin: MakePlugin) -> None:
    make_plugin("good-vendor", "sastest_good", GOOD_PLUGIN.format(name="good-vendor"))
    host = PluginHost.discover()
    info = host.get("good-vendor")
    assert info.error is None
    assert info.version == "1.2.3"
    assert [str(u) for u in info.use_cases] == ["ps-individual"]
    assert info.distribution == "sastest-good"
    assert BUILTIN_PLUGIN in host.plugins


def test_broken_import_is_reported_and_others_still_load(make_plugin: MakePlugin) -> None:
    make_plugin("good-vendor", "sastest_good", GOOD_PLUGIN.format(name="good-vendor"))
    make_plugin("broken-vendor", "sastest_broken", "raise RuntimeError('vendor bug at import')\n")
    host = PluginHost.discover()
    broken = host.plugins["broken-vendor"]
    assert broken.error is not None
    assert "vendor bug at import" in broken.error
    assert host.get("good-vendor").error is None
    with pytest.raises(PluginError, match="unusable"):
        host.get("broken-vendor")


def test_invalid_metadata_is_reported(make_plugin: MakePlugin) -> None:
    body = """
        from sas_core import hookimpl
        @hookimpl
        def sas_plugin_metadata():
            return {"name": "bad-meta", "use_cases": ["teleportation"]}
    """
    make_plugin("bad-meta", "sastest_badmeta", body)
    info = PluginHost.discover().plugins["bad-meta"]
    assert info.error is not None
    assert info.error.startswith("invalid metadata")
    assert "teleportation" in info.error


def test_metadata_name_must_match_entry_point(make_plugin: MakePlugin) -> None:
    make_plugin("alias", "sastest_alias", GOOD_PLUGIN.format(name="real-name"))
    info = PluginHost.discover().plugins["alias"]
    assert info.error is not None
    assert "'real-name'" in info.error


def test_unknown_hook_implementation_is_refused(make_plugin: MakePlugin) -> None:
    body = GOOD_PLUGIN.format(name="typo") + (
        "\n    @hookimpl\n    def sas_fetch_slot(adapter):\n        return None\n"
    )
    make_plugin("typo", "sastest_typo", body)
    info = PluginHost.discover().plugins["typo"]
    assert info.error is not None
    assert "sas_fetch_slot" in info.error


def test_allow_list_restricts_loading(
    make_plugin: MakePlugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_plugin("good-vendor", "sastest_good", GOOD_PLUGIN.format(name="good-vendor"))
    make_plugin("other-vendor", "sastest_other", GOOD_PLUGIN.format(name="other-vendor"))
    monkeypatch.setenv("SAS_PLUGINS", "other-vendor, missing-vendor")
    host = PluginHost.discover()
    assert "good-vendor" not in host.plugins
    assert host.get("other-vendor").error is None
    assert BUILTIN_PLUGIN in host.plugins
    assert "no installed distribution" in (host.plugins["missing-vendor"].error or "")
    explicit = PluginHost.discover(allow={"good-vendor"})
    assert set(explicit.plugins) == {"good-vendor", BUILTIN_PLUGIN}


def test_adapter_settings_are_validated_against_the_schema(make_plugin: MakePlugin) -> None:
    make_plugin("good-vendor", "sastest_good", GOOD_PLUGIN.format(name="good-vendor"))
    host = PluginHost.discover()
    adapter = host.adapter("good-vendor", {"base_url": "https://v.example/fhir", "weight": "3"})
    assert adapter.settings.weight == 3
    with pytest.raises(PluginError, match="base_url: Field required"):
        host.adapter("good-vendor", {"weight": 1})
    with pytest.raises(PluginError, match="unknown adapter plugin 'nope'"):
        host.adapter("nope")


def test_cli_lists_plugins_as_json_in_a_real_process(make_plugin: MakePlugin) -> None:
    make_plugin("good-vendor", "sastest_good", GOOD_PLUGIN.format(name="good-vendor"))
    make_plugin("broken-vendor", "sastest_broken", "import not_a_module_anywhere\n")
    out = subprocess.run(
        [sys.executable, "-m", "sas_core.cli", "plugins", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    listed = {p["name"]: p for p in json.loads(out.stdout)}
    assert listed["good-vendor"]["error"] is None
    assert listed["good-vendor"]["use_cases"] == ["ps-individual"]
    assert listed["good-vendor"]["version"] == "1.2.3"
    assert "not_a_module_anywhere" in listed["broken-vendor"]["error"]
    assert listed["sas-fhir"]["error"] is None
    for entry in listed.values():
        assert {"name", "version", "use_cases", "error"} <= set(entry)


def test_allow_list_is_a_platform_setting_and_a_cli_option(make_plugin: MakePlugin) -> None:
    make_plugin("good-vendor", "sastest_good", GOOD_PLUGIN.format(name="good-vendor"))
    make_plugin("other-vendor", "sastest_other", GOOD_PLUGIN.format(name="other-vendor"))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "sas_core.cli",
            "--plugins",
            "other-vendor",
            "plugins",
            "list",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    assert {p["name"] for p in json.loads(out.stdout)} == {"other-vendor", BUILTIN_PLUGIN}


def test_a_plugin_is_named_by_its_entry_point(make_plugin: MakePlugin) -> None:
    body = """
        from sas_core import PluginMetadata, UseCase, hookimpl

        @hookimpl
        def sas_plugin_metadata():
            return PluginMetadata(use_cases=(UseCase.PS_INDIVIDUAL,))
    """
    make_plugin("unnamed-vendor", "sastest_unnamed", body)

    info = PluginHost.discover().get("unnamed-vendor")

    assert info.error is None
    assert info.metadata is not None and info.metadata.name == "unnamed-vendor"


CLOSING_PLUGIN = """
    from sas_core import PluginMetadata, hookimpl

    closed = []

    @hookimpl
    def sas_plugin_metadata():
        return PluginMetadata()

    @hookimpl
    async def sas_adapter_closed(adapter):
        closed.append(adapter.name)
"""


@pytest.mark.anyio
async def test_closing_an_adapter_reaches_only_its_plugin(make_plugin: MakePlugin) -> None:
    make_plugin("vendor-a", "sastest_closing_a", CLOSING_PLUGIN)
    make_plugin("vendor-b", "sastest_closing_b", CLOSING_PLUGIN)
    host = PluginHost.discover(allow=["vendor-a", "vendor-b"])

    await host.close_adapter(host.adapter("vendor-a", name="a-1"))
    await host.close_adapter(AdapterConfig(name="gone", plugin="not-installed"))

    assert sys.modules["sastest_closing_a"].closed == ["a-1"]
    assert sys.modules["sastest_closing_b"].closed == []
