"""The `sas-fhir` plugin: every vendor that implements the ANS SAS FHIR IG is an instance of it.

Hook implementations only delegate: the HTTP clients live in `clients` (one pool shared by every
flow, since INT_R02 must reuse INT_R01's base URL and mTLS set-up, digest §2) and each flow has its
own module. Regulator accounts (`sas_sync_regulator_account`, INT_R02) and the SSO redirect are
not implemented yet; they will be added here next to `sas_fetch_slots`, using the same `clients`.
"""

from __future__ import annotations

from sas_core import AdapterConfig, PluginMetadata, SlotBatch, SlotQuery, UseCase, hookimpl
from sas_fhir_adapter.clients import ClientPool
from sas_fhir_adapter.settings import FhirAdapterSettings
from sas_fhir_adapter.slot_source import SlotSource

PLUGIN_NAME = "sas-fhir"

#: The plugin's connections; tests swap `clients.transport_factory` for an `httpx.MockTransport`.
clients = ClientPool()
slot_source = SlotSource(clients)


@hookimpl
def sas_plugin_metadata() -> PluginMetadata:
    return PluginMetadata(
        name=PLUGIN_NAME,
        use_cases=(UseCase.PS_INDIVIDUAL,),
        settings_schema=FhirAdapterSettings,
        description=(
            "Generic adapter for vendors implementing the ANS SAS FHIR IG: INT_R01 slot search "
            "over FHIR R4 and mutual TLS."
        ),
    )


@hookimpl
async def sas_fetch_slots(adapter: AdapterConfig, query: SlotQuery) -> SlotBatch:
    """Digest §4: `GET [base]/Slot` for one lot; never raises for vendor-side problems."""
    return await slot_source.fetch(adapter, query)


@hookimpl
async def sas_adapter_closed(adapter: AdapterConfig) -> None:
    """Close the adapter's pooled connections (called on every plugin: skip others' adapters)."""
    if adapter.plugin == PLUGIN_NAME:
        await clients.close(adapter.name)
