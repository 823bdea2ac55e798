"""The plugin is found through its entry point, like any vendor's distribution would be."""

from __future__ import annotations

from sas_core import UseCase
from sas_core.fhir import FhirEndpointSettings
from sas_core.plugins.host import PluginHost


def test_discover_finds_sas_cpts_with_its_version_and_use_case() -> None:
    info = PluginHost.discover().get("sas-cpts")

    assert info.error is None
    assert info.distribution == "sas-plugin-cpts"
    assert info.version == "0.1.0"
    assert info.use_cases == (UseCase.CPTS,)
    assert info.module == "sas_cpts_adapter.plugin"
    assert info.metadata is not None
    assert info.metadata.settings_schema is FhirEndpointSettings
    assert "INT_R04" in info.description


def test_adapter_settings_are_the_core_fhir_endpoint_settings() -> None:
    host = PluginHost.discover(allow=["sas-cpts"])

    adapter = host.adapter("sas-cpts", {"base_url": "https://vendor.example/fhir/"}, name="v1")

    assert isinstance(adapter.settings, FhirEndpointSettings)
    assert adapter.settings.base_url == "https://vendor.example/fhir"
