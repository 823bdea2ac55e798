"""`FhirExchange.search_bundle` against an `httpx.MockTransport`: one test per class of bad vendor
answer, through an INT_R01 Slot search as the sas-fhir plugin sends it."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from sas_core import AdapterConfig, BundleIssue, SearchWindow, Slot, SlotBatch, SlotQuery
from sas_core.fhir import (
    DIAGNOSTICS_MAX_CHARS,
    ClientPool,
    FhirEndpointSettings,
    FhirExchange,
    parse_slot_bundle,
    slot_search_params,
)

pytestmark = pytest.mark.anyio

EMPTY_BUNDLE = {"resourceType": "Bundle", "type": "searchset", "total": 0}
#: Shape-valid IDNPS (`8` + RPPS) that the mocked vendors do not know.
UNKNOWN_IDNPS = "810000000042"

Handler = Callable[[httpx.Request], httpx.Response]


def build_adapter(
    base_url: str = "https://vendor.example/fhir", *, timeout_s: float = 1.0, **settings: Any
) -> AdapterConfig:
    """An adapter instance as `PluginHost.adapter` builds it (settings validated)."""
    return AdapterConfig(
        name="vendor-test",
        plugin="sas-fhir",
        timeout_s=timeout_s,
        settings=FhirEndpointSettings(base_url=base_url, **settings),
    )


@pytest.fixture
def make_adapter() -> Callable[..., AdapterConfig]:
    """`make_adapter(base_url, timeout_s=…, **settings)`; timeout 1 s unless told."""
    return build_adapter


@pytest.fixture
def query() -> SlotQuery:
    now = datetime.now(UTC).replace(microsecond=0)
    return SlotQuery(
        window=SearchWindow(start=now, end=now + timedelta(hours=48)),
        practitioners=(UNKNOWN_IDNPS,),
    )


@pytest.fixture
async def mock_exchange() -> Any:
    """`mock_exchange(handler)`: a FhirExchange whose every request goes to `handler`."""
    exchanges: list[FhirExchange] = []

    def build(handler: Handler) -> FhirExchange:
        pool = ClientPool(transport_factory=lambda _a, _s: httpx.MockTransport(handler))
        exchanges.append(FhirExchange(pool=pool))
        return exchanges[-1]

    yield build
    for exchange in exchanges:
        await exchange.close("vendor-test")


async def search(exchange: FhirExchange, adapter: AdapterConfig, query: SlotQuery) -> SlotBatch:
    """The INT_R01 search of one lot, as the sas-fhir plugin runs it."""

    def parse(body: bytes, fetched_at: datetime) -> tuple[list[Slot], list[BundleIssue]]:
        return parse_slot_bundle(
            body, adapter=adapter.name, query=query, fetched_at=fetched_at, now=fetched_at
        )

    return await exchange.search_bundle(adapter, "Slot", slot_search_params(query), parse)


def fhir_json(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/fhir+json", **headers},
    )


def operation_outcome(diagnostics: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "exception", "diagnostics": diagnostics}],
    }


class EndlessStream(httpx.AsyncByteStream):
    """A body that never ends, `chunk` bytes at a time, every `pause` seconds."""

    def __init__(self, chunk: bytes, pause: float = 0.0) -> None:
        self.chunk = chunk
        self.pause = pause
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            if self.pause:
                await asyncio.sleep(self.pause)
            self.sent += len(self.chunk)
            yield self.chunk


async def test_request_is_one_get_slot_with_the_int_r01_parameters(
    mock_exchange: Any, query: SlotQuery, make_adapter: Any
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return fhir_json(200, EMPTY_BUNDLE)

    batch = await search(mock_exchange(handler), make_adapter(user_agent="sas-test/1"), query)

    assert batch.outcome.status == "ok", batch.outcome.error
    assert batch.outcome.http_status == 200
    assert batch.outcome.slot_count == 0
    [request] = seen
    assert request.method == "GET"
    assert request.url.path == "/fhir/Slot"
    assert request.url.params.multi_items() == slot_search_params(query)
    assert request.headers["Accept"] == "application/fhir+json"
    assert request.headers["User-Agent"] == "sas-test/1"


async def test_500_names_the_status_and_the_operation_outcome(
    mock_exchange: Any, query: SlotQuery, make_adapter: Any
) -> None:
    exchange = mock_exchange(lambda r: fhir_json(500, operation_outcome("agenda database down")))

    outcome = (await search(exchange, make_adapter(), query)).outcome

    assert outcome.status == "error"
    assert outcome.http_status == 500
    assert outcome.error == (
        "HTTP 500 Internal Server Error: OperationOutcome error/exception: agenda database down"
    )


async def test_long_diagnostics_are_truncated(
    mock_exchange: Any, query: SlotQuery, make_adapter: Any
) -> None:
    exchange = mock_exchange(lambda r: fhir_json(422, operation_outcome("x" * 5000)))

    outcome = (await search(exchange, make_adapter(), query)).outcome

    assert outcome.error is not None
    assert outcome.error.startswith("HTTP 422 Unprocessable Entity: OperationOutcome")
    assert outcome.error.endswith("…")
    assert len(outcome.error) < DIAGNOSTICS_MAX_CHARS + 80


async def test_404_html_names_the_status_not_the_page(
    mock_exchange: Any, query: SlotQuery, make_adapter: Any
) -> None:
    page = "<html><body>Not here, secret-internal-path</body></html>"
    exchange = mock_exchange(
        lambda r: httpx.Response(404, text=page, headers={"Content-Type": "text/html"})
    )

    outcome = (await search(exchange, make_adapter(), query)).outcome

    assert outcome.status == "error"
    assert outcome.http_status == 404
    assert outcome.error == "HTTP 404 Not Found (body is text/html, not an OperationOutcome)"


async def test_redirect_is_not_followed(
    mock_exchange: Any, query: SlotQuery, make_adapter: Any
) -> None:
    exchange = mock_exchange(
        lambda r: httpx.Response(302, headers={"Location": "https://elsewhere.example/"})
    )

    outcome = (await search(exchange, make_adapter(), query)).outcome

    assert outcome.error == "HTTP 302 Found: redirects are not followed; check base_url"


@pytest.mark.parametrize("retry_after", ["0", "date"])
async def test_429_within_the_deadline_is_retried(
    mock_exchange: Any, query: SlotQuery, retry_after: str, make_adapter: Any
) -> None:
    calls: list[int] = []
    frozen = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    header = retry_after if retry_after != "date" else format_datetime(frozen, usegmt=True)

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return fhir_json(429, operation_outcome("slow down"), **{"Retry-After": header})
        return fhir_json(200, EMPTY_BUNDLE)

    exchange = mock_exchange(handler)
    exchange.clock = lambda: frozen

    outcome = (await search(exchange, make_adapter(), query)).outcome

    assert outcome.status == "ok", outcome.error
    assert outcome.http_status == 200
    assert len(calls) == 2


@pytest.mark.parametrize("retry_after", ["120", "date"])
async def test_429_beyond_the_deadline_is_an_error_naming_retry_after(
    mock_exchange: Any, query: SlotQuery, retry_after: str, make_adapter: Any
) -> None:
    calls: list[int] = []
    frozen = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    header = (
        retry_after
        if retry_after != "date"
        else format_datetime(frozen + timedelta(minutes=2), usegmt=True)
    )

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(429, headers={"Retry-After": header})

    exchange = mock_exchange(handler)
    exchange.clock = lambda: frozen
    started = time.monotonic()

    outcome = (await search(exchange, make_adapter(timeout_s=1), query)).outcome

    assert time.monotonic() - started < 1 + 2
    assert outcome.status == "error"
    assert outcome.http_status == 429
    assert outcome.error is not None
    assert outcome.error.startswith(f"HTTP 429 Too Many Requests: Retry-After {header} (120 s)")
    assert "does not fit" in outcome.error
    assert len(calls) == 1


async def test_429_without_retry_after(
    mock_exchange: Any, query: SlotQuery, make_adapter: Any
) -> None:
    outcome = (
        await search(mock_exchange(lambda r: httpx.Response(429)), make_adapter(), query)
    ).outcome

    assert outcome.error == "HTTP 429 Too Many Requests with no Retry-After"


async def test_non_json_200_is_an_unusable_answer(
    mock_exchange: Any, query: SlotQuery, make_adapter: Any
) -> None:
    exchange = mock_exchange(
        lambda r: httpx.Response(200, text="<html>maintenance</html>", headers={"X": "y"})
    )

    outcome = (await search(exchange, make_adapter(), query)).outcome

    assert outcome.status == "error"
    assert outcome.http_status == 200
    assert outcome.error is not None
    assert outcome.error.startswith("unusable answer: ")
    assert "maintenance" not in outcome.error


async def test_json_that_is_not_a_bundle_is_an_unusable_answer(
    mock_exchange: Any, query: SlotQuery, make_adapter: Any
) -> None:
    patient = {"resourceType": "Patient", "name": [{"family": "CONFIDENTIEL"}]}
    exchange = mock_exchange(lambda r: fhir_json(200, patient))

    outcome = (await search(exchange, make_adapter(), query)).outcome

    assert outcome.status == "error"
    assert outcome.error is not None
    assert outcome.error.startswith("unusable answer: ")
    assert "CONFIDENTIEL" not in outcome.error


async def test_oversized_content_length_is_refused_unread(
    mock_exchange: Any, query: SlotQuery, make_adapter: Any
) -> None:
    stream = EndlessStream(b"x" * 1024)
    exchange = mock_exchange(
        lambda r: httpx.Response(200, stream=stream, headers={"Content-Length": str(10**9)})
    )

    outcome = (await search(exchange, make_adapter(max_body_bytes=4096), query)).outcome

    assert outcome.status == "error"
    assert outcome.error == (
        "answer of 1000000000 bytes (Content-Length) exceeds max_body_bytes (4096 bytes); "
        "refused without reading it"
    )
    assert stream.sent == 0


async def test_oversized_streamed_body_is_cut_at_the_cap(
    mock_exchange: Any, query: SlotQuery, make_adapter: Any
) -> None:
    stream = EndlessStream(b'{"resourceType":"Bundle",' + b" " * 1000)
    exchange = mock_exchange(lambda r: httpx.Response(200, stream=stream))

    outcome = (await search(exchange, make_adapter(max_body_bytes=64 * 1024), query)).outcome

    assert outcome.status == "error"
    assert outcome.error is not None
    assert outcome.error.startswith("answer exceeds max_body_bytes (65536 bytes); refused after")
    assert stream.sent < 64 * 1024 + 2 * len(stream.chunk)


def raising(exc: BaseException, message: str) -> Any:
    """A handler failing like httpx does: an httpx error caused by the socket's exception."""

    def handler(request: httpx.Request) -> httpx.Response:
        try:
            raise exc
        except BaseException as cause:
            raise httpx.ConnectError(message, request=request) from cause

    return handler


@pytest.mark.parametrize(
    ("cause", "expected"),
    [
        (
            ConnectionRefusedError(111, "Connection refused"),
            "connection refused by vendor.example",
        ),
        (
            socket.gaierror(-2, "Name or service not known"),
            "cannot resolve the vendor's host vendor.example (DNS: Name or service not known)",
        ),
        (
            OSError(101, "Network is unreachable"),
            "vendor.example is unreachable (Network is unreachable)",
        ),
    ],
)
async def test_connection_errors_name_the_cause(
    mock_exchange: Any, query: SlotQuery, cause: OSError, expected: str, make_adapter: Any
) -> None:
    exchange = mock_exchange(raising(cause, str(cause)))

    outcome = (await search(exchange, make_adapter(), query)).outcome

    assert outcome.status == "error"
    assert outcome.http_status is None
    assert outcome.error == expected


async def test_hanging_vendor_is_cut_at_the_deadline(
    mock_exchange: Any, query: SlotQuery, make_adapter: Any
) -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    started = time.monotonic()
    outcome = (await search(mock_exchange(hang), make_adapter(timeout_s=0.5), query)).outcome

    assert time.monotonic() - started < 0.5 + 2
    assert outcome.status == "error"
    assert outcome.error == (
        "no complete answer within the 0.5 s deadline (timeout_s): cut while waiting for the "
        "response (connection, TLS handshake, headers)"
    )


async def test_trickling_body_is_cut_at_the_deadline(
    mock_exchange: Any, query: SlotQuery, make_adapter: Any
) -> None:
    stream = EndlessStream(b" ", pause=0.05)
    exchange = mock_exchange(lambda r: httpx.Response(200, stream=stream))

    started = time.monotonic()
    outcome = (await search(exchange, make_adapter(timeout_s=0.5), query)).outcome

    assert time.monotonic() - started < 0.5 + 2
    assert outcome.status == "error"
    assert outcome.http_status == 200
    assert outcome.error is not None
    assert outcome.error.startswith(
        "no complete answer within the 0.5 s deadline (timeout_s): cut while reading the "
        "response body ("
    )


async def test_unvalidated_settings_are_checked(
    mock_exchange: Any, query: SlotQuery, make_adapter: Any
) -> None:
    adapter = make_adapter().model_copy(update={"settings": {"base_url": "ftp://vendor"}})

    outcome = (
        await search(mock_exchange(lambda r: fhir_json(200, EMPTY_BUNDLE)), adapter, query)
    ).outcome

    assert outcome.error == (
        "invalid settings: base_url: Value error, must be an http:// or https:// URL"
    )


async def test_client_is_pooled_per_adapter_until_closed(
    query: SlotQuery, make_adapter: Any
) -> None:
    built: list[int] = []

    def factory(_adapter: Any, _settings: Any) -> httpx.AsyncBaseTransport:
        built.append(1)
        return httpx.MockTransport(lambda r: fhir_json(200, EMPTY_BUNDLE))

    pool = ClientPool(transport_factory=factory)
    exchange = FhirExchange(pool=pool)
    adapter = make_adapter()
    lots = await asyncio.gather(*(search(exchange, adapter, query) for _ in range(5)))
    assert [b.outcome.status for b in lots] == ["ok"] * 5
    assert len(built) == 1

    client = pool.client(adapter, adapter.settings)
    await pool.close(adapter.name)
    assert client.is_closed
    await search(exchange, adapter, query)
    assert len(built) == 2
    await pool.close(adapter.name)


def test_each_event_loop_gets_its_own_client(make_adapter: Any) -> None:
    pool = ClientPool(
        transport_factory=lambda a, s: httpx.MockTransport(lambda r: httpx.Response(200))
    )
    adapter = make_adapter()

    async def client() -> httpx.AsyncClient:
        return pool.client(adapter, adapter.settings)

    # Objects, not ids: the first loop's client may be freed and its id reused by the second.
    first = asyncio.run(client())
    second = asyncio.run(client())
    assert first is not second


async def test_the_resource_type_parameters_and_parser_are_the_callers(
    mock_exchange: Any, make_adapter: Any
) -> None:
    seen: list[httpx.Request] = []
    parsed: list[tuple[bytes, datetime]] = []
    frozen = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"{}")

    def parse(body: bytes, fetched_at: datetime) -> tuple[list[Slot], list[BundleIssue]]:
        parsed.append((body, fetched_at))
        return [], []

    exchange = mock_exchange(handler)
    exchange.clock = lambda: frozen
    params = [("actor:Organization.identifier", "x|1"), ("_count", "10")]

    batch = await exchange.search_bundle(make_adapter(), "Schedule", params, parse)

    assert batch.outcome.status == "ok", batch.outcome.error
    [request] = seen
    assert request.url.path == "/fhir/Schedule"
    assert request.url.params.multi_items() == params
    assert parsed == [(b"{}", frozen)]


class CptsSettings(FhirEndpointSettings):
    territory: str


async def test_a_plugins_subclassed_schema_checks_unvalidated_settings(
    mock_exchange: Any, query: SlotQuery, make_adapter: Any
) -> None:
    exchange = mock_exchange(lambda r: fhir_json(200, EMPTY_BUNDLE))
    exchange.settings_schema = CptsSettings
    adapter = make_adapter().model_copy(
        update={"settings": {"base_url": "https://vendor.example/fhir"}}
    )

    outcome = (await search(exchange, adapter, query)).outcome

    assert outcome.error == "invalid settings: territory: Field required"
