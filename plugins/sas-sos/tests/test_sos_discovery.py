"""The plugin is found through its entry point, like any vendor's distribution would be."""

from __future__ import annotations

from sas_core import UseCase
from sas_core.fhir import FhirEndpointSettings
from sas_core.plugins.host import PluginHost


def test_discover_finds_sas_sos_with_its_version_and_use_case() -> None:
    info = PluginHost.discover().get("sas-sos")

    assert info.error is None
    assert info.distribution == "sas-plugin-sos"
    assert info.version == "0.1.0"
    assert info.use_cases == (UseCase.SOS_MEDECINS,)
    assert info.module == "sas_sos_adapter.plugin"
    assert info.metadata is not None
    assert info.metadata.settings_schema is FhirEndpointSettings
    assert "SOS Médecins" in info.description


def test_adapter_settings_are_the_core_fhir_endpoint_settings() -> None:
    host = PluginHost.discover(allow=["sas-sos"])

    adapter = host.adapter("sas-sos", {"base_url": "https://vendor.example/fhir/"}, name="v1")

    assert isinstance(adapter.settings, FhirEndpointSettings)
    assert adapter.settings.base_url == "https://vendor.example/fhir"
