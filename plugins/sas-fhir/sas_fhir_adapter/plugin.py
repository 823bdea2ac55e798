"""The `sas-fhir` plugin: every vendor that implements the ANS SAS FHIR IG is an instance of it.

The HTTP exchange (pooled mTLS clients, deadline, body cap, 429, error messages) is the core's
`FhirExchange`; this plugin only says what to search (INT_R01's `GET [base]/Slot`) and how to
read the answer. Regulator accounts (INT_R02) reuse the same `exchange`, hence its base URL and
mTLS set-up (digest §2): POST or conditional PUT of an FrPractitionerRegul (digest §7).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sas_core import (
    AccountAction,
    AccountSync,
    AccountSyncResult,
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
    FhirExchange,
    account_token,
    parse_slot_bundle,
    practitioner_regul,
    slot_search_params,
)
from sas_fhir_adapter.settings import FhirAdapterSettings

#: The plugin's connections and clock; tests swap in one with a frozen clock.
exchange = FhirExchange(FhirAdapterSettings)


@hookimpl
def sas_plugin_metadata() -> PluginMetadata:
    return PluginMetadata(
        use_cases=(UseCase.PS_INDIVIDUAL,),
        settings_schema=FhirAdapterSettings,
        description=(
            "Generic adapter for vendors implementing the ANS SAS FHIR IG: INT_R01 slot search "
            "and INT_R02 regulator accounts over FHIR R4 and mutual TLS."
        ),
    )


@hookimpl
async def sas_fetch_slots(adapter: AdapterConfig, query: SlotQuery) -> SlotBatch:
    """Digest §4: `GET [base]/Slot` for one lot; never raises for vendor-side problems."""
    if query.structures:
        error = (
            f"{adapter.plugin} searches practitioners (INT_R01); structure lots are not supported"
        )
        return SlotBatch(outcome=SourceOutcome(status="error", error=error))

    def parse(body: bytes, fetched_at: datetime) -> tuple[list[Slot], list[BundleIssue]]:
        return parse_slot_bundle(
            body, adapter=adapter.name, query=query, fetched_at=fetched_at, now=fetched_at
        )

    return await exchange.search_bundle(adapter, "Slot", slot_search_params(query), parse)


@hookimpl
async def sas_sync_regulator_account(
    adapter: AdapterConfig, sync: AccountSync
) -> AccountSyncResult:
    """Digest §7.2–7.4: a creation is `POST [base]/Practitioner`; an update, a re-keying or a
    withdrawal (`active=false`) is `PUT [base]/Practitioner?identifier=<sync.match>` with the
    full resource, which a vendor without that account answers by creating it (201)."""
    body = practitioner_regul(sync.regulator)
    if sync.action is AccountAction.CREATE:
        method: Literal["POST", "PUT"] = "POST"
        params: list[tuple[str, str]] = []
    else:
        method = "PUT"
        params = [("identifier", sync.match or account_token(sync.regulator))]
    sent = await exchange.send_resource(adapter, method, "Practitioner", params, body)
    if sent.status == "ok":
        created = sent.http_status == 201
        return AccountSyncResult(
            status="created" if created else "updated",
            http_status=sent.http_status,
            vendor_location=sent.location,
            http_method=method,
        )
    return AccountSyncResult(
        status="retry" if sent.status == "transient" else "rejected",
        http_status=sent.http_status,
        error=sent.error,
        http_method=method,
        retry_after_s=sent.retry_after_s,
    )


@hookimpl
async def sas_adapter_closed(adapter: AdapterConfig) -> None:
    """Close the adapter's pooled connections."""
    await exchange.close(adapter.name)
