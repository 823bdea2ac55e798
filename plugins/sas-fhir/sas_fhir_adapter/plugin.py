"""The `sas-fhir` plugin: every vendor that implements the ANS SAS FHIR IG is an instance of it.

The HTTP exchange (pooled mTLS clients, deadline, body cap, 429, error messages) is the core's
`FhirExchange`; this plugin only says what to search (INT_R01's `GET [base]/Slot`) and how to
read the answer. Regulator accounts (INT_R02) must reuse the same `exchange`, hence its base URL
and mTLS set-up (digest §2), when they are added here.
"""

from __future__ import annotations

from datetime import datetime

from sas_core import (
    AdapterConfig,
    BundleIssue,
    PluginMetadata,
    Slot,
    SlotBatch,
    SlotQuery,
    SourceOutcome,
    UseCase,
    hookimpl,
)
from sas_core.fhir import FhirExchange, parse_slot_bundle, slot_search_params
from sas_fhir_adapter.settings import FhirAdapterSettings

PLUGIN_NAME = "sas-fhir"

#: The plugin's connections and clock; tests swap in one with a frozen clock.
exchange = FhirExchange(FhirAdapterSettings)


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
    if query.structures:
        error = "sas-fhir searches practitioners (INT_R01); structure lots are not supported"
        return SlotBatch(outcome=SourceOutcome(status="error", error=error))

    def parse(body: bytes, fetched_at: datetime) -> tuple[list[Slot], list[BundleIssue]]:
        return parse_slot_bundle(
            body, adapter=adapter.name, query=query, fetched_at=fetched_at, now=fetched_at
        )

    return await exchange.search_bundle(adapter, "Slot", slot_search_params(query), parse)


@hookimpl
async def sas_adapter_closed(adapter: AdapterConfig) -> None:
    """Close the adapter's pooled connections (called on every plugin: skip others' adapters)."""
    if adapter.plugin == PLUGIN_NAME:
        await exchange.close(adapter.name)
