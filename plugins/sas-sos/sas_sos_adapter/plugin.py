"""The `sas-sos` plugin: the SOS Médecins search, `GET [base]/Schedule` (digest §6).

The platform names associations (IDNST `3` + SIRET); the vendor answers the Schedules of their
fixed consultation sites (PFG/LFC) with the free slots in the window, each site's Location and its
association. Each slot comes back with `structure` = the association's IDNST and `place` = the
site. The SOS specifics are the core's building blocks `schedule_search_params` (the request)
and `SOS_READER` (the association behind each site), which this plugin passes to the generic
reading.

List size (digest §6.1, §16.6): the functional page allows 1 to 10 SIRET per request, the
technical table 1..25. We send at most 10: the core splits structures into lots of
`MAX_STRUCTURES_PER_QUERY` (10), which every vendor accepts whichever page it followed.

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
    SOS_READER,
    FhirEndpointSettings,
    FhirExchange,
    parse_slot_bundle,
    schedule_search_params,
)

#: The plugin's connections and clock; tests swap in a frozen clock.
exchange = FhirExchange(FhirEndpointSettings)


@hookimpl
def sas_plugin_metadata() -> PluginMetadata:
    return PluginMetadata(
        use_cases=(UseCase.SOS_MEDECINS,),
        settings_schema=FhirEndpointSettings,
        description=(
            "Adapter for vendors implementing the ANS SAS FHIR IG for SOS Médecins: the Schedule "
            "search of associations' fixed sites over FHIR R4 and mutual TLS."
        ),
    )


@hookimpl
async def sas_fetch_slots(adapter: AdapterConfig, query: SlotQuery) -> SlotBatch:
    """Digest §6.2: `GET [base]/Schedule` for one lot of associations (at most 10)."""
    if query.practitioners:
        error = (
            f"{adapter.plugin} searches SOS Médecins associations; "
            "practitioner lots are not supported"
        )
        return SlotBatch(outcome=SourceOutcome(status="error", error=error))
    try:
        params = schedule_search_params(query)
    except ValueError as exc:  # a structure that is not an association
        return SlotBatch(outcome=SourceOutcome(status="error", error=str(exc)))

    def parse(body: bytes, fetched_at: datetime) -> tuple[list[Slot], list[BundleIssue]]:
        return parse_slot_bundle(
            body,
            adapter=adapter.name,
            query=query,
            fetched_at=fetched_at,
            now=fetched_at,
            structures=SOS_READER,
        )

    return await exchange.search_bundle(adapter, "Schedule", params, parse)


@hookimpl
async def sas_adapter_closed(adapter: AdapterConfig) -> None:
    """Close the adapter's pooled connections."""
    await exchange.close(adapter.name)
