"""One FHIR search against a vendor, `GET [base]/<type>?…`, turned into a `SlotBatch` whatever
the vendor does.

Every vendor flow (INT_R01 practitioners and INT_R04 CPTS search `Slot`, SOS Médecins searches
`Schedule`) is such a search answered by a searchset Bundle, so the HTTP rules are written once,
here, and a plugin only brings its parameters and its bundle parser.

The adapter's `timeout_s` (7 s by default, digest §4.1, §12) bounds the *whole* exchange — waiting
for a pooled connection, the handshake, any Retry-After pause and the last byte of the body — so a
vendor that trickles bytes forever is cut at the deadline like one that never answers.

Outcome policy: a bundle that parses is `ok` even when some of its resources broke the IG and
were dropped; they are listed in `outcome.issues` (digest §15.2 lets the platform keep the valid
slots). Only a whole answer that cannot be used (HTTP error, not a searchset Bundle, too big, too
slow, unreachable) makes the outcome `error`.

Writes (INT_R02 regulator accounts, digest §7) go through `send_resource` on the same pool and
deadline; its `WriteResult` sorts failures into final (`rejected`) and worth retrying
(`transient`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError

from sas_core.fhir.bundles import BundleError, dropped_slot_count
from sas_core.fhir.clients import ClientPool
from sas_core.fhir.endpoint import FhirEndpointSettings
from sas_core.fhir.failures import (
    FetchFailure,
    describe_status,
    describe_transport_error,
    retry_after_seconds,
    truncate,
)
from sas_core.fhir.media_types import FHIR_JSON
from sas_core.plugins.models import AdapterConfig
from sas_core.slots.models import BundleIssue, Slot, SlotBatch, SourceOutcome

log = logging.getLogger(__name__)

#: How much of an error answer is read to find an OperationOutcome in it.
ERROR_BODY_MAX_BYTES = 64 * 1024
#: 429 retries per lot, on top of the first request (each still bounded by the deadline).
MAX_RETRIES_AFTER_429 = 3
#: Bodies above this size are parsed in a worker thread so the fan-out's loop keeps running.
PARSE_IN_THREAD_BYTES = 1024 * 1024

#: Reads a vendor's body, given the instant it was fetched, into slots and IG issues; raises
#: `BundleError` when the answer as a whole is unusable. Big bodies are parsed in a worker thread.
BundleParser = Callable[[bytes, datetime], tuple[list[Slot], list[BundleIssue]]]


@dataclass(frozen=True)
class WriteResult:
    """How a FHIR write (`POST`/`PUT`) went.

    `status`: `ok` (2xx), `rejected` (the vendor refused the content: 3xx/4xx other than 408 and
    429 — final, sending it again would be refused again), `transient` (network, TLS, deadline,
    408, 429, 5xx — worth sending again later, after `retry_after_s` if the vendor said so).
    """

    status: Literal["ok", "rejected", "transient"]
    http_status: int | None = None
    location: str | None = None
    error: str | None = None
    retry_after_s: float | None = None


#: 4xx statuses that say "later", not "never".
TRANSIENT_CLIENT_STATUSES = frozenset({408, 429})


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _Progress:
    """The state of one exchange: where it was when the deadline struck, and what came back."""

    def __init__(self) -> None:
        self.phase = "waiting for the response (connection, TLS handshake, headers)"
        self.received = 0
        self.status = 0
        self.body = b""

    def reading(self, received: int) -> None:
        self.phase = "reading the response body"
        self.received = received

    def describe(self) -> str:
        if self.phase == "reading the response body":
            return f"{self.phase} ({self.received} bytes received)"
        return self.phase


class FhirExchange:
    """The vendor searches of one plugin: its connections (`pool`), the settings schema its
    adapters are configured with, and the `clock` (injectable for replayed tests)."""

    def __init__(
        self,
        settings_schema: type[FhirEndpointSettings] = FhirEndpointSettings,
        *,
        pool: ClientPool | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.settings_schema = settings_schema
        self.pool = pool if pool is not None else ClientPool()
        self.clock = clock

    async def search_bundle(
        self,
        adapter: AdapterConfig,
        resource_type: str,
        params: Sequence[tuple[str, str]],
        parse: BundleParser,
    ) -> SlotBatch:
        """`GET [base]/<resource_type>?<params>` and `parse` the answer; vendor-side problems
        (HTTP, TLS, network, deadline, size, an unusable body) become an error outcome."""
        started = time.monotonic()
        http_status: int | None = None
        try:
            settings = self._settings(adapter)
            http_status, body = await self._exchange(adapter, settings, resource_type, params)
            slots, issues = await self._parse(body, parse)
        except FetchFailure as exc:
            return self._failed(adapter, str(exc), exc.http_status or http_status, started)
        except BundleError as exc:
            # The parser may quote a value of the body (a resourceType): keep that short.
            error = f"unusable answer: {truncate(' '.join(str(exc).split()))}"
            return self._failed(adapter, error, http_status, started)
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        log.info(
            "%s: %d slots, %d issues in %.0f ms", adapter.name, len(slots), len(issues), duration_ms
        )
        outcome = SourceOutcome(
            status="ok",
            duration_ms=duration_ms,
            http_status=http_status,
            slot_count=len(slots),
            dropped_slots=dropped_slot_count(issues),
            issues=issues,
        )
        return SlotBatch(slots=slots, outcome=outcome)

    async def send_resource(
        self,
        adapter: AdapterConfig,
        method: Literal["POST", "PUT"],
        resource_type: str,
        params: Sequence[tuple[str, str]],
        body: dict[str, Any],
    ) -> WriteResult:
        """`POST|PUT [base]/<resource_type>?<params>` with a JSON `body`, sent once, inside the
        adapter's deadline, on the same pooled mTLS client as the searches (digest §2: INT_R02
        reuses INT_R01's base URL and mTLS set-up). Never raises for vendor-side problems.

        A write is not retried here, not even after a 429: whether to send it again is the
        caller's decision (the account sync queues it, digest §7.1).
        """
        try:
            settings = self._settings(adapter)
        except FetchFailure as exc:
            return WriteResult("rejected", error=str(exc))
        host = _host(settings.base_url)
        client = self.pool.client(adapter, settings)
        request = client.build_request(
            method,
            f"{settings.base_url}/{resource_type}",
            params=list(params),
            content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers={"Accept": FHIR_JSON, "Content-Type": FHIR_JSON},
            timeout=httpx.Timeout(adapter.timeout_s + 1),
        )
        progress = _Progress()
        try:
            async with asyncio.timeout(adapter.timeout_s):
                response = await client.send(request, stream=True)
                try:
                    progress.status = response.status_code
                    answer = await _read(response, ERROR_BODY_MAX_BYTES, progress, refuse=False)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            error = (
                f"no complete answer within the {adapter.timeout_s:g} s deadline (timeout_s): "
                f"cut while {progress.describe()}; the vendor may or may not have applied it"
            )
            return WriteResult("transient", progress.status or None, error=error)
        except httpx.HTTPError as exc:
            error = describe_transport_error(
                exc, host, tls=settings.uses_tls, client_cert=settings.client_cert is not None
            )
            return WriteResult("transient", error=error)
        status = response.status_code
        if 200 <= status < 300:
            return WriteResult("ok", status, location=response.headers.get("Location"))
        error = describe_status(response, answer)
        if status >= 500 or status in TRANSIENT_CLIENT_STATUSES:
            wait = retry_after_seconds(response.headers.get("Retry-After"), self.clock())
            return WriteResult("transient", status, error=error, retry_after_s=wait)
        return WriteResult("rejected", status, error=error)

    async def close(self, adapter_name: str) -> None:
        """Close the pooled connections of adapter `adapter_name` (for `sas_adapter_closed`)."""
        await self.pool.close(adapter_name)

    def _settings(self, adapter: AdapterConfig) -> FhirEndpointSettings:
        if isinstance(adapter.settings, self.settings_schema):
            return adapter.settings
        try:
            return self.settings_schema.model_validate(adapter.settings or {})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
                for e in exc.errors()
            )
            raise FetchFailure(f"invalid settings: {problems}") from None

    def _failed(
        self, adapter: AdapterConfig, error: str, http_status: int | None, started: float
    ) -> SlotBatch:
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        log.warning("%s: %s (%.0f ms)", adapter.name, error, duration_ms)
        outcome = SourceOutcome(
            status="error", error=error, duration_ms=duration_ms, http_status=http_status
        )
        return SlotBatch(outcome=outcome)

    async def _exchange(
        self,
        adapter: AdapterConfig,
        settings: FhirEndpointSettings,
        resource_type: str,
        params: Sequence[tuple[str, str]],
    ) -> tuple[int, bytes]:
        """The request, its 429 retries and the body, all inside one deadline."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + adapter.timeout_s
        progress = _Progress()
        host = _host(settings.base_url)
        client = self.pool.client(adapter, settings)
        request = client.build_request(
            "GET",
            f"{settings.base_url}/{resource_type}",
            params=list(params),
            headers={"Accept": FHIR_JSON},
            # httpx's own timeouts only back up the deadline below.
            timeout=httpx.Timeout(adapter.timeout_s + 1),
        )
        try:
            async with asyncio.timeout_at(deadline):
                for attempt in range(MAX_RETRIES_AFTER_429 + 1):
                    wait = await self._attempt(client, request, settings, progress, deadline)
                    if wait is None:
                        return progress.status, progress.body
                    if attempt == MAX_RETRIES_AFTER_429:
                        break
                    progress.phase = f"waiting {wait:.1f} s as asked by Retry-After"
                    await asyncio.sleep(wait)
        except TimeoutError:
            raise FetchFailure(
                f"no complete answer within the {adapter.timeout_s:g} s deadline "
                f"(timeout_s): cut while {progress.describe()}",
                progress.status or None,
            ) from None
        except httpx.TimeoutException:
            raise FetchFailure(
                f"no complete answer within the {adapter.timeout_s:g} s deadline (timeout_s): "
                f"{host} timed out while {progress.describe()}"
            ) from None
        except httpx.HTTPError as exc:
            raise FetchFailure(
                describe_transport_error(
                    exc, host, tls=settings.uses_tls, client_cert=settings.client_cert is not None
                )
            ) from None
        raise FetchFailure(
            f"HTTP 429 Too Many Requests {MAX_RETRIES_AFTER_429 + 1} times in a row; giving up",
            429,
        )

    async def _attempt(
        self,
        client: httpx.AsyncClient,
        request: httpx.Request,
        settings: FhirEndpointSettings,
        progress: _Progress,
        deadline: float,
    ) -> float | None:
        """Send once. Returns the wait before a retry (429), or None once the body is in
        `progress`; raises `FetchFailure` for an answer that cannot be used."""
        progress.phase = "waiting for the response (connection, TLS handshake, headers)"
        response = await client.send(request, stream=True)
        try:
            progress.status = response.status_code
            if response.status_code == 429:
                return self._retry_wait(response, deadline)
            if not 200 <= response.status_code < 300:
                body = await _read(response, ERROR_BODY_MAX_BYTES, progress, refuse=False)
                raise FetchFailure(describe_status(response, body), response.status_code)
            _refuse_declared_size(response, settings.max_body_bytes)
            progress.body = await _read(response, settings.max_body_bytes, progress, refuse=True)
            return None
        finally:
            # Closing an unfinished stream drops the connection instead of draining it.
            await response.aclose()

    def _retry_wait(self, response: httpx.Response, deadline: float) -> float:
        header = response.headers.get("Retry-After")
        wait = retry_after_seconds(header, self.clock())
        if wait is None:
            told = (
                f"an unreadable Retry-After {truncate(header, 40)!r}"
                if header
                else "no Retry-After"
            )
            raise FetchFailure(f"HTTP 429 Too Many Requests with {told}", 429)
        left = deadline - asyncio.get_running_loop().time()
        if wait >= left:
            raise FetchFailure(
                f"HTTP 429 Too Many Requests: Retry-After {header} ({wait:g} s) does not fit "
                f"in the {max(left, 0):.1f} s left before the deadline",
                429,
            )
        return wait

    async def _parse(
        self, body: bytes, parse: BundleParser
    ) -> tuple[list[Slot], list[BundleIssue]]:
        fetched_at = self.clock()
        if len(body) > PARSE_IN_THREAD_BYTES:
            return await asyncio.to_thread(parse, body, fetched_at)
        return parse(body, fetched_at)


def _host(base_url: str) -> str:
    return urlsplit(base_url).netloc


def _refuse_declared_size(response: httpx.Response, limit: int) -> None:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchFailure(
            f"answer of {int(declared)} bytes (Content-Length) exceeds max_body_bytes "
            f"({limit} bytes); refused without reading it",
            response.status_code,
        )


async def _read(
    response: httpx.Response, limit: int, progress: _Progress, *, refuse: bool
) -> bytes:
    """Read at most `limit` bytes: past it, stop and refuse (or, for error bodies, truncate)."""
    chunks: list[bytes] = []
    received = 0
    progress.reading(0)
    async for chunk in response.aiter_bytes():
        received += len(chunk)
        progress.reading(received)
        if received > limit:
            if refuse:
                raise FetchFailure(
                    f"answer exceeds max_body_bytes ({limit} bytes); refused after "
                    f"{received} bytes without reading the rest",
                    response.status_code,
                )
            chunks.append(chunk[: len(chunk) - (received - limit)])
            break
        chunks.append(chunk)
    return b"".join(chunks)
