"""The simulated vendor's HTTP API: the INT_R01 FHIR endpoint plus simulator-only controls.

Routes:
- `GET /fhir/metadata`: CapabilityStatement of a PS-indiv agenda server (digest §1, §4.2);
- `GET /fhir/Slot?…`: the INT_R01 search (digest §4), subject to the configured `Faults`;
- `GET /agenda/{id}`: the page booking URLs point to (SSO and booking come later);
- `GET|PUT /_sim/faults`: read or replace the faults at runtime (outside the FHIR base).

Every error is an OperationOutcome (digest §2) and every FHIR answer is
`Content-Type: application/fhir+json`, the type the test kit expects.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Literal

import anyio
import orjson
from litestar import Litestar, Request, Response, get, put
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Stream

from sas_simulator.bundles import (
    PROFILE_PRACTITIONER,
    PROFILE_ROLE,
    PROFILE_SCHEDULE,
    PROFILE_SLOT,
    slot_search_bundle,
)
from sas_simulator.dataset import PARIS, Dataset
from sas_simulator.faults import Faults, FaultState
from sas_simulator.search import SearchError, parse_slot_search

FHIR_JSON = "application/fhir+json"
#: Digest §2: accept the legacy DSTU2 type the IG's tables still name, and plain JSON.
ACCEPTED_TYPES = frozenset(
    {"application/fhir+json", "application/json+fhir", "application/json", "*/*", "application/*"}
)
ACCEPTED_FORMATS = frozenset(
    {"json", "application/json", "application/fhir+json", "application/json+fhir"}
)
CAPABILITY_URL = (
    "https://interop.esante.gouv.fr/ig/fhir/sas/CapabilityStatement/SAS-GestionnaireAgenda-PsIndiv"
)
START_PARAM_DEFINITION = "https://interop.esante.gouv.fr/ig/fhir/sas/SearchParameter/slot-sp-start"
TRICKLE_INTERVAL_S = 0.5

IssueCode = Literal["invalid", "required", "not-supported", "not-found", "exception", "throttled"]


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


def fault_state(app: Litestar) -> FaultState:
    """The live faults of an app made by `create_app`, for in-process tests and tools."""
    state = app.state.get("faults")
    if not isinstance(state, FaultState):
        raise TypeError("this application was not made by sas_simulator.app.create_app")
    return state


def create_app(
    dataset: Dataset, faults: Faults | None = None, *, public_base: str | None = None
) -> Litestar:
    """The simulator application serving `dataset`.

    `public_base` is the root URL clients reach the simulator at (fullUrls, self links and
    booking URLs are built on it); by default it is taken from each request's Host.
    """
    faults_state = FaultState(faults)
    started = datetime.now(PARIS).isoformat(timespec="seconds")

    def root_of(request: Request[Any, Any, Any]) -> str:
        return (public_base or str(request.base_url)).rstrip("/")

    @get("/fhir/metadata", sync_to_thread=False)
    def metadata(request: Request[Any, Any, Any]) -> Response[bytes]:
        _negotiate(request)
        return fhir_response(_capability_statement(f"{root_of(request)}/fhir", started))

    @get("/fhir/Slot")
    async def search_slots(request: Request[Any, Any, Any]) -> Response[Any]:
        _negotiate(request)
        query = request.scope["query_string"].decode("utf-8", errors="replace")
        search = parse_slot_search(query)
        root = root_of(request)
        self_url = f"{root}/fhir/Slot" + (f"?{query}" if query else "")
        current = faults_state.current
        if current.latency_ms:
            await anyio.sleep(current.latency_ms / 1000)
        if current.mode == "http-429" and faults_state.take_rate_limit():
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
        bundle = slot_search_bundle(
            dataset,
            search.practitioners,
            search.start,
            search.end,
            base_url=f"{root}/fhir",
            self_url=self_url,
            agenda_base=root,
            not_before=datetime.now(PARIS),
        )
        return fhir_response(bundle)

    @get("/agenda/{practitioner_id:str}", sync_to_thread=False)
    def agenda(
        practitioner_id: FromPath[str],
        place: FromQuery[str | None] = None,
        origin: FromQuery[str | None] = None,
    ) -> Response[str]:
        practitioner = dataset.by_id(practitioner_id)
        if practitioner is None:
            raise FhirError(404, "not-found", f"no practitioner {practitioner_id!r}")
        names = {p.id: f"{p.name}, {p.line}, {p.postal_code} {p.city}" for p in practitioner.places}
        where = names.get(place or "", "tous les lieux")
        title = html.escape(f"Dr {practitioner.given} {practitioner.family}")
        body = (
            f"<!doctype html><html lang='fr'><meta charset='utf-8'><title>{title}</title>"
            f"<h1>Agenda de {title}</h1><p>Lieu : {html.escape(where)}</p>"
            f"<p>Origine : {html.escape(origin or 'inconnue')}</p></html>"
        )
        return Response(body, media_type="text/html; charset=utf-8")

    @get("/_sim/faults", sync_to_thread=False)
    def read_faults() -> Faults:
        return faults_state.current

    @put("/_sim/faults", sync_to_thread=False)
    def replace_faults(data: JSONBody[Faults]) -> Faults:
        faults_state.set(data)
        return data

    return Litestar(
        route_handlers=[metadata, search_slots, agenda, read_faults, replace_faults],
        exception_handlers={
            FhirError: _fhir_error,
            SearchError: _search_error,
            HTTPException: _http_error,
        },
        state=State({"faults": faults_state, "dataset": dataset}),
        openapi_config=None,
        # The simulator runs inside tests and the CLI: it must not reconfigure their logging.
        logging_config=None,
    )


def _negotiate(request: Request[Any, Any, Any]) -> None:
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


def _capability_statement(base_url: str, date: str) -> dict[str, Any]:
    """What this server does: the INT_R01 search only (digest §1, §4.2)."""
    include_only = "returned by the Slot search through _include / _include:iterate"
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "SAS Connect",
        "kind": "instance",
        "instantiates": [CAPABILITY_URL],
        "software": {"name": "SAS Connect vendor simulator"},
        "implementation": {"description": "Simulated vendor agenda (INT_R01)", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": [FHIR_JSON],
        "implementationGuide": ["https://interop.esante.gouv.fr/ig/fhir/sas"],
        "rest": [
            {
                "mode": "server",
                "security": {"cors": False},
                "resource": [
                    {
                        "type": "Slot",
                        "profile": PROFILE_SLOT,
                        "interaction": [{"code": "search-type"}],
                        "searchInclude": ["Slot:schedule", "Schedule:actor"],
                        "searchParam": [
                            {
                                "name": "start",
                                "definition": START_PARAM_DEFINITION,
                                "type": "date",
                                "documentation": "exactly one start=ge and one start=le",
                            },
                            {
                                "name": "status",
                                "definition": "http://hl7.org/fhir/SearchParameter/Slot-status",
                                "type": "token",
                                "documentation": "always free",
                            },
                            {
                                "name": "schedule",
                                "definition": "http://hl7.org/fhir/SearchParameter/Slot-schedule",
                                "type": "reference",
                                "documentation": (
                                    "chained as schedule.actor:Practitioner.identifier="
                                    "urn:oid:1.2.250.1.71.4.2.1|8<RPPS>[,…], 1 to 25 values"
                                ),
                            },
                        ],
                    },
                    {
                        "type": "Schedule",
                        "profile": PROFILE_SCHEDULE,
                        "documentation": include_only,
                        "searchParam": [
                            {
                                "name": "actor",
                                "definition": "http://hl7.org/fhir/SearchParameter/Schedule-actor",
                                "type": "reference",
                            }
                        ],
                    },
                    {
                        "type": "Practitioner",
                        "profile": PROFILE_PRACTITIONER,
                        "documentation": include_only,
                        "searchParam": [
                            {
                                "name": "identifier",
                                "definition": (
                                    "http://hl7.org/fhir/SearchParameter/Practitioner-identifier"
                                ),
                                "type": "token",
                            }
                        ],
                    },
                    {
                        "type": "PractitionerRole",
                        "profile": PROFILE_ROLE,
                        "documentation": include_only,
                    },
                ],
            }
        ],
    }
