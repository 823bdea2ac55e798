"""How the simulator speaks FHIR's RESTful API: content negotiation, FHIR JSON answers, and
errors as OperationOutcomes (digest §2), for every route."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.types import ExceptionHandlersMap

from sas_core.fhir.media_types import FHIR_JSON
from sas_simulator.search import SearchError

#: Digest §2: accept the legacy DSTU2 type the IG's tables still name, and plain JSON.
ACCEPTED_TYPES = frozenset(
    {"application/fhir+json", "application/json+fhir", "application/json", "*/*", "application/*"}
)
ACCEPTED_FORMATS = frozenset(
    {"json", "application/json", "application/fhir+json", "application/json+fhir"}
)
#: Digest §7.5: a regulator's Practitioner is a few hundred bytes; anything past this is refused.
MAX_WRITE_BODY_BYTES = 64 * 1024

IssueCode = Literal[
    "invalid", "required", "not-supported", "not-found", "exception", "throttled", "too-costly"
]


class FhirError(Exception):
    """An error answered as an OperationOutcome with the given HTTP status."""

    def __init__(
        self, status: int, code: IssueCode, diagnostics: str, headers: dict[str, str] | None = None
    ) -> None:
        self.status = status
        self.code = code
        self.diagnostics = diagnostics
        self.headers = headers or {}
        super().__init__(diagnostics)


def operation_outcome(code: IssueCode, diagnostics: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}],
    }


def fhir_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response[bytes]:
    return Response(orjson.dumps(body), status_code=status, media_type=FHIR_JSON, headers=headers)


def negotiate(request: Request[Any, Any, Any]) -> None:
    """Digest §2: JSON in any of its FHIR spellings, by `_format` (which wins) or `Accept`."""
    requested = request.query_params.get("_format")
    if requested is not None:
        # An unencoded `+` arrives as a space.
        fmt = requested.replace(" ", "+").split(";")[0].strip().lower()
        if fmt not in ACCEPTED_FORMATS:
            raise FhirError(406, "not-supported", f"_format={requested!r}: only JSON is served")
        return
    accept = request.headers.get("accept")
    if not accept:
        return
    types = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if not types & ACCEPTED_TYPES:
        raise FhirError(
            406, "not-supported", f"Accept: {accept!r}: only {FHIR_JSON} (or JSON) is served"
        )


async def write_body(request: Request[Any, Any, Any]) -> object:
    """The JSON body of a write: FHIR JSON in any spelling (digest §2), size-capped."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ACCEPTED_TYPES - {"*/*", "application/*"}:
        raise FhirError(
            415, "not-supported", f"Content-Type {kind or 'missing'!r}: send {FHIR_JSON}"
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_WRITE_BODY_BYTES:
        raise FhirError(413, "too-costly", f"body over {MAX_WRITE_BODY_BYTES} bytes")
    body = await request.body()
    if len(body) > MAX_WRITE_BODY_BYTES:
        raise FhirError(413, "too-costly", f"body over {MAX_WRITE_BODY_BYTES} bytes")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FhirError(400, "invalid", f"the body is not JSON: {exc}") from None


def _fhir_error(_: Request[Any, Any, Any], exc: FhirError) -> Response[bytes]:
    return fhir_response(operation_outcome(exc.code, exc.diagnostics), exc.status, exc.headers)


def _search_error(_: Request[Any, Any, Any], exc: SearchError) -> Response[bytes]:
    return fhir_response(operation_outcome(exc.code, str(exc)), 400)


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    codes: dict[int, IssueCode] = {404: "not-found", 405: "not-supported"}
    code = codes.get(exc.status_code, "exception" if exc.status_code >= 500 else "invalid")
    detail = exc.detail
    extra = getattr(exc, "extra", None)
    if extra:
        detail = f"{detail}: {extra}"
    return fhir_response(operation_outcome(code, detail), exc.status_code)


#: Every error the routes raise, answered as an OperationOutcome.
EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    FhirError: _fhir_error,
    SearchError: _search_error,
    HTTPException: _http_error,
}
