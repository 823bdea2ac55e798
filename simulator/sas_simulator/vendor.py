"""One simulated vendor: what its routes share (dataset, faults, accounts, bookings, SSO) and
how the configured faults change its answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import orjson
from litestar import Request, Response
from litestar.response import Stream

from sas_core.fhir.media_types import FHIR_JSON
from sas_simulator.accounts import AccountStore
from sas_simulator.booking import Booking, ReportSettings
from sas_simulator.dataset import Dataset
from sas_simulator.faults import FaultState
from sas_simulator.rest import FhirError
from sas_simulator.sso import VendorSso

TRICKLE_INTERVAL_S = 0.5


class SimulatedVendor:
    """The state of one simulator app, injected into its routes as `vendor`.

    `started` is the app's start time (the CapabilityStatement's date); `public_base` the root
    URL clients reach the simulator at, None: each request's own. A plain class, not a
    dataclass: Litestar would convert a dataclass dependency field by field.
    """

    def __init__(
        self,
        dataset: Dataset,
        faults: FaultState,
        started: str,
        *,
        public_base: str | None = None,
        sso: VendorSso | None = None,
        reporting: ReportSettings | None = None,
    ) -> None:
        self.dataset = dataset
        self.faults = faults
        self.started = started
        self.public_base = public_base
        self.sso = sso
        self.reporting = reporting
        self.accounts = AccountStore()
        self.bookings: dict[str, Booking] = {}

    def root_of(self, request: Request[Any, Any, Any]) -> str:
        """The root URL fullUrls, self links and booking URLs are built on."""
        return (self.public_base or str(request.base_url)).rstrip("/")

    def booked_slots(self) -> set[str]:
        return {b.slot_id for b in self.bookings.values()}

    async def misbehave(
        self, request: Request[Any, Any, Any], self_url: str
    ) -> Response[Any] | None:
        """Apply the configured faults to a search or a write; None when it should be answered
        normally."""
        current = self.faults.current
        if current.latency_ms:
            await anyio.sleep(current.latency_ms / 1000)
        if current.mode == "http-429" and self.faults.take_rate_limit():
            raise FhirError(
                429,
                "throttled",
                "simulated rate limit (fault http-429)",
                {"Retry-After": str(_whole_seconds(current.retry_after_s))},
            )
        if current.mode == "http-500":
            raise FhirError(500, "exception", "simulated server failure (fault http-500)")
        if current.mode == "malformed-json":
            return Response(
                b'{"resourceType": "Bundle", "type": "searchset", "entry": [{"fullUrl": ',
                media_type=FHIR_JSON,
            )
        if current.mode == "hang":
            await _until_disconnected(request)
            return Response(b"", media_type=FHIR_JSON)
        if current.mode == "trickle":
            return Stream(_trickle(), media_type=FHIR_JSON)
        if current.mode == "oversized":
            return Stream(_oversized(current.oversized_mb, self_url), media_type=FHIR_JSON)
        return None


def _whole_seconds(seconds: float) -> int:
    """HTTP's Retry-After takes whole seconds: round up so the client never retries early."""
    whole = int(seconds)
    return whole if whole == seconds else whole + 1


async def _until_disconnected(request: Request[Any, Any, Any]) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _trickle() -> AsyncIterator[bytes]:
    while True:
        await anyio.sleep(TRICKLE_INTERVAL_S)
        yield b" "


async def _oversized(megabytes: int, self_url: str) -> AsyncIterator[bytes]:
    """A well-formed, IG-shaped empty Bundle padded past the size a client should accept."""
    yield (
        b'{"resourceType":"Bundle","type":"searchset","total":0,"link":[{"relation":"self","url":'
        + orjson.dumps(self_url)
        + b'}],"meta":{"tag":[{"system":"urn:sas-simulator:padding","code":"'
    )
    chunk = b"x" * (1 << 20)
    for _ in range(megabytes + 1):
        yield chunk
    yield b'"}]}}'
