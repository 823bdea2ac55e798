"""The plugin is found through its entry point, like any vendor's distribution would be."""

from __future__ import annotations

from sas_core import UseCase
from sas_core.plugins.host import PluginHost
from sas_fhir_adapter.settings import FhirAdapterSettings


def test_discover_finds_sas_fhir_with_its_version_and_use_cases() -> None:
    host = PluginHost.discover()

    info = host.get("sas-fhir")

    assert info.error is None
    assert info.distribution == "sas-plugin-fhir"
    assert info.version == "0.1.0"
    assert info.use_cases == (UseCase.PS_INDIVIDUAL,)
    assert info.module == "sas_fhir_adapter.plugin"
    assert info.metadata is not None
    assert info.metadata.settings_schema is FhirAdapterSettings
    assert "INT_R01" in info.description


def test_adapter_settings_are_validated_by_the_host() -> None:
    host = PluginHost.discover(allow=["sas-fhir"])

    adapter = host.adapter("sas-fhir", {"base_url": "https://vendor.example/fhir/"}, name="v1")

    assert adapter.plugin == "sas-fhir"
    assert isinstance(adapter.settings, FhirAdapterSettings)
    assert adapter.settings.base_url == "https://vendor.example/fhir"
