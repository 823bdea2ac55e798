"""The `sas-cpts` plugin: INT_R04, the practitioners' slot search with the CPTS data (digest §5).

INT_R04 is INT_R01's `GET [base]/Slot` plus two includes (the HealthcareService of each CPTS a
slot is visible to, and its Organization), so its answer is a superset of INT_R01's: a vendor
that serves INT_R04 is configured with this plugin *instead of* `sas-fhir`, not beside it, or
every slot would be fetched twice. A slot visible to N CPTS becomes N slots, one per CPTS
(`structure` = the CPTS's IDNST `1…`); a member's other slots come back as INT_R01 slots. The
CPTS specifics are the core's building blocks `CPTS_INCLUDES` (the request) and `CPTS_READER`
(which CPTS each slot is visible to), which this plugin passes to the generic search and reading.

The HTTP exchange (pooled mTLS clients, deadline, body cap, 429, error messages) is the core's
`FhirExchange`; the settings are the core's `FhirEndpointSettings`.
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
from sas_core.fhir import (
    CPTS_INCLUDES,
    CPTS_READER,
    FhirEndpointSettings,
    FhirExchange,
    parse_slot_bundle,
    slot_search_params,
)

#: The plugin's connections and clock; tests swap in a frozen clock.
exchange = FhirExchange(FhirEndpointSettings)


@hookimpl
def sas_plugin_metadata() -> PluginMetadata:
    return PluginMetadata(
        use_cases=(UseCase.CPTS,),
        settings_schema=FhirEndpointSettings,
        description=(
            "Adapter for vendors implementing the ANS SAS FHIR IG for CPTS: INT_R04 slot search "
            "(INT_R01 plus the CPTS each slot is visible to) over FHIR R4 and mutual TLS."
        ),
    )


@hookimpl
async def sas_fetch_slots(adapter: AdapterConfig, query: SlotQuery) -> SlotBatch:
    """Digest §5: `GET [base]/Slot` with the CPTS includes for one lot of practitioners."""
    if query.structures:
        error = (
            f"{adapter.plugin} searches practitioners (INT_R04); structure lots are not supported"
        )
        return SlotBatch(outcome=SourceOutcome(status="error", error=error))

    def parse(body: bytes, fetched_at: datetime) -> tuple[list[Slot], list[BundleIssue]]:
        return parse_slot_bundle(
            body,
            adapter=adapter.name,
            query=query,
            fetched_at=fetched_at,
            now=fetched_at,
            structures=CPTS_READER,
        )

    params = slot_search_params(query, CPTS_INCLUDES)
    return await exchange.search_bundle(adapter, "Slot", params, parse)


@hookimpl
async def sas_adapter_closed(adapter: AdapterConfig) -> None:
    """Close the adapter's pooled connections."""
    await exchange.close(adapter.name)
