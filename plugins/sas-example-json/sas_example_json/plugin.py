"""The `sas-example-json` plugin: Agendo, a vendor whose API is proprietary JSON.

What a FHIR vendor gets from the core's `FhirExchange` this plugin does itself, in a few lines:
one pooled `httpx.AsyncClient` per adapter instance (the adapter's deadline as its timeout),
and the vendor's failures turned into outcomes, never exceptions.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
from pydantic import ValidationError

from sas_core import (
    AccountSync,
    AccountSyncResult,
    AdapterConfig,
    PluginMetadata,
    Regulator,
    Slot,
    SlotBatch,
    SlotQuery,
    SourceOutcome,
    SsoRedirect,
    UseCase,
    hookimpl,
    with_origin,
)
from sas_example_json.api import (
    availability_params,
    link_signature,
    read_availabilities,
    user_body,
)
from sas_example_json.settings import ExampleJsonSettings

PLUGIN = "sas-example-json"

#: One pooled client per adapter instance, closed by `sas_adapter_closed`.
_clients: dict[str, httpx.AsyncClient] = {}


def settings_of(adapter: AdapterConfig) -> ExampleJsonSettings:
    settings = adapter.settings
    assert isinstance(settings, ExampleJsonSettings)
    return settings


def client(adapter: AdapterConfig) -> httpx.AsyncClient:
    found = _clients.get(adapter.name)
    if found is None:
        settings = settings_of(adapter)
        found = httpx.AsyncClient(
            base_url=settings.base_url,
            timeout=adapter.timeout_s,
            headers={"Authorization": f"Bearer {settings.api_key.get_secret_value()}"},
        )
        _clients[adapter.name] = found
    return found


def error_of(response: httpx.Response) -> str:
    """`HTTP 401 Unauthorized: <Agendo's message>`: what a person reads in the outcome."""
    try:
        detail = str(response.json().get("error", ""))
    except (ValueError, AttributeError):
        detail = ""
    head = f"HTTP {response.status_code} {response.reason_phrase}"
    return f"{head}: {detail}" if detail else head


@hookimpl
def sas_plugin_metadata() -> PluginMetadata:
    return PluginMetadata(
        use_cases=(UseCase.PS_INDIVIDUAL,),
        settings_schema=ExampleJsonSettings,
        description="Example adapter for a vendor with a proprietary JSON API (not FHIR): "
        "slots, regulator accounts and signed SSO links.",
    )


@hookimpl
async def sas_fetch_slots(adapter: AdapterConfig, query: SlotQuery) -> SlotBatch:
    """One lot of practitioners as one Agendo search; items it cannot read are issues."""
    if query.structures:
        error = f"{PLUGIN} searches practitioners; structure lots are not supported"
        return SlotBatch(outcome=SourceOutcome(status="error", error=error))
    started = time.monotonic()

    def outcome(**fields: object) -> SourceOutcome:
        elapsed = (time.monotonic() - started) * 1000
        return SourceOutcome.model_validate({"duration_ms": elapsed, **fields})

    try:
        response = await client(adapter).get(
            "/v2/availabilities", params=availability_params(query)
        )
    except httpx.HTTPError as exc:
        return SlotBatch(outcome=outcome(status="error", error=f"Agendo unreachable: {exc!r}"))
    if response.status_code != 200:
        error = error_of(response)
        return SlotBatch(
            outcome=outcome(status="error", error=error, http_status=response.status_code)
        )
    try:
        slots, issues = read_availabilities(
            response.content, adapter=adapter.name, query=query, fetched_at=datetime.now(UTC)
        )
    except ValidationError as exc:
        error = f"unusable answer: not Agendo's availabilities ({exc.error_count()} errors)"
        return SlotBatch(outcome=outcome(status="error", error=error, http_status=200))
    return SlotBatch(
        slots=slots,
        outcome=outcome(
            status="ok",
            http_status=200,
            slot_count=len(slots),
            dropped_slots=len(issues),
            issues=issues,
        ),
    )


@hookimpl
async def sas_sync_regulator_account(
    adapter: AdapterConfig, sync: AccountSync
) -> AccountSyncResult:
    """Every action is `PUT /v2/users/{sas_id}` with the whole user: creation, update,
    re-keying and withdrawal alike (Agendo keys accounts on the platform's id, not the RPPS)."""
    path = f"/v2/users/{sync.regulator.id}"
    try:
        response = await client(adapter).put(path, json=user_body(sync.regulator))
    except httpx.HTTPError as exc:
        return AccountSyncResult(
            status="retry", error=f"Agendo unreachable: {exc!r}", http_method="PUT"
        )
    if response.status_code in (200, 201):
        return AccountSyncResult(
            status="created" if response.status_code == 201 else "updated",
            http_status=response.status_code,
            vendor_location=str(response.url),
            http_method="PUT",
        )
    transient = response.status_code == 429 or response.status_code >= 500
    retry_after = response.headers.get("Retry-After", "")
    return AccountSyncResult(
        status="retry" if transient else "rejected",
        http_status=response.status_code,
        error=error_of(response),
        http_method="PUT",
        retry_after_s=float(retry_after) if retry_after.isdigit() else None,
    )


@hookimpl
def sas_sso_redirect(
    adapter: AdapterConfig, regulator: Regulator, slot: Slot, origin: str
) -> SsoRedirect | None:
    """Agendo's booking link, with `origin` (digest §8.1), the regulator's platform id and the
    platform's signature of the three, which Agendo checks before opening its regulator path."""
    if adapter.plugin != PLUGIN or slot.booking_url is None:
        return None
    user = str(regulator.id)
    secret = settings_of(adapter).link_secret.get_secret_value()
    signed = urlencode({"sas_user": user, "sig": link_signature(secret, slot.id, origin, user)})
    return SsoRedirect(
        url=f"{with_origin(slot.booking_url, origin)}&{signed}", adapter=adapter.name
    )


@hookimpl
async def sas_adapter_closed(adapter: AdapterConfig) -> None:
    found = _clients.pop(adapter.name, None)
    if found is not None:
        await found.aclose()
