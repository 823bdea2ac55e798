"""`RegistryDirectory`: what the account services and the web app are told about each
territory's adapters — read live from the registry, secrets resolved only for the call."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from sas_core.plugins.host import PluginHost
from sas_core.registry.changes import disable, enable, move
from sas_core.registry.directory import RegistryDirectory, territory_view, territory_views
from sas_core.registry.models import AdapterState
from sas_testkit.pki import make_pki

URL = "http://127.0.0.1:9/fhir"


def place(engine: Engine, host: PluginHost, territory: str, name: str, *states: str) -> None:
    enable(engine, host, territory, name, plugin="sas-fhir", settings={"base_url": URL},
           actor="test")  # fmt: skip
    for state in states:
        move(engine, territory, name, AdapterState(state), actor="test")


def test_only_enabled_adapters_in_test_or_production_are_called(
    engine: Engine, host: PluginHost
) -> None:
    place(engine, host, "SAS-33", "a", "connected-test")
    place(engine, host, "SAS-33", "b", "connected-test", "production")
    place(engine, host, "SAS-33", "c")
    place(engine, host, "SAS-33", "d", "connected-test", "suspended")
    place(engine, host, "SAS-33", "e", "connected-test")
    disable(engine, "SAS-33", "e", actor="test")
    directory = RegistryDirectory(engine, host)

    assert [a.name for a in directory.adapters_for("SAS-33")] == ["a", "b"]
    assert [a.name for a in directory.live("SAS-33")] == ["a", "b"]
    assert directory.adapters_for("SAS-75") == []
    assert directory.adapters_for("not a territory") == []

    # Live: an edit is seen at the next question, without a new directory.
    move(engine, "SAS-33", "a", AdapterState.SUSPENDED, actor="test", reason="vendor down")
    assert [a.name for a in directory.adapters_for("SAS-33")] == ["b"]
    # A withdrawal reaches a vendor wherever it stands.
    named = directory.adapter_named("d")
    assert named is not None and named.settings.base_url == URL
    assert directory.adapter_named("nobody") is None
    assert set(directory.built) == {"a", "b", "d"}


def test_served_territories_are_those_with_an_adapter_called(
    engine: Engine, host: PluginHost
) -> None:
    """What the health probe goes through: territories where some adapter is live."""
    place(engine, host, "SAS-33", "a", "connected-test")
    place(engine, host, "SAS-2B", "a", "connected-test", "production")
    place(engine, host, "SAS-75", "b")  # onboarding: not called
    place(engine, host, "SAS-69", "c", "connected-test")
    disable(engine, "SAS-69", "c", actor="test")
    assert RegistryDirectory(engine, host).served_territories() == ["SAS-20B", "SAS-33"]


def test_corsica_is_found_under_either_code(engine: Engine, host: PluginHost) -> None:
    place(engine, host, "SAS-2B", "a", "connected-test")
    directory = RegistryDirectory(engine, host)
    assert [a.name for a in directory.adapters_for("SAS-20B")] == ["a"]
    assert [a.name for a in directory.adapters_for("SAS-2B")] == ["a"]
    assert territory_view(engine, "SAS-2B").code == "SAS-20B"


def test_an_adapter_whose_secret_cannot_be_resolved_is_left_out_and_said_why(
    engine: Engine,
    host: PluginHost,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    pki = make_pki(tmp_path)
    place(engine, host, "SAS-33", "a", "connected-test")
    monkeypatch.setenv("VENDOR_B_KEY", str(pki.client_key))
    settings = {"base_url": "https://b.example/fhir", "client_cert": str(pki.client_cert),
                "client_key": "env:VENDOR_B_KEY"}  # fmt: skip
    enable(engine, host, "SAS-33", "b", plugin="sas-fhir", settings=settings, actor="test")
    move(engine, "SAS-33", "b", AdapterState.CONNECTED_TEST, actor="test")
    directory = RegistryDirectory(engine, host)
    assert [a.name for a in directory.adapters_for("SAS-33")] == ["a", "b"]

    monkeypatch.delenv("VENDOR_B_KEY")

    assert [a.name for a in directory.adapters_for("SAS-33")] == ["a"]
    assert "adapter b cannot be used: " in caplog.text
    assert "env:VENDOR_B_KEY is not set" in caplog.text
    [_, b] = directory.live("SAS-33")
    assert b.settings is None and b.error is not None and "env:VENDOR_B_KEY" in b.error
    assert str(pki.client_key) not in caplog.text


def test_every_territory_is_listed(engine: Engine, host: PluginHost) -> None:
    place(engine, host, "SAS-976", "a")
    views = territory_views(engine)
    assert len(views) == 101
    assert views[-1].as_dict() == {
        "code": "SAS-976",
        "name": "Mayotte",
        "adapters": [{"name": "a", "state": "onboarding", "enabled": True}],
    }
