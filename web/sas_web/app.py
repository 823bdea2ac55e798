"""The platform's Litestar app and its vendor-facing FHIR endpoint (INT_R03, digest §9).

Routes under `/fhir`:
- `GET /fhir/metadata`: the CapabilityStatement (server; Appointment create, update with
  `updateCreate` and `conditionalUpdate`, read, search by identifier; both profiles);
- `POST /fhir/Appointment`: 201 + Location, 200 for an identical resubmission, 409 for a
  different one under an existing identifier;
- `PUT /fhir/Appointment?identifier=system|value`: 200 (update) or 201 (create);
- `GET /fhir/Appointment?identifier=system|value`: a searchset Bundle of the vendor's own;
- `GET /fhir/Appointment/{id}`.

Before a body is read: the vendor is identified (403), the Content-Type checked (415) and the
size capped (413, on Content-Length and while streaming: the rest is never read); a body that does
not arrive within its deadline is a 408. Every error is an OperationOutcome (digest §2). The
rules themselves are `sas_core.appointments.intake`'s.

Every answer, of `/fhir` and of the realm, goes through the access log (with its request id) and
the security headers (`sas_web.access_log`, `sas_web.security_headers`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
import orjson
from litestar import Litestar, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from sqlalchemy.engine import Engine

from sas_core.appointments.intake import AppointmentIntake, IntakeResult
from sas_core.appointments.parties import KnownParties
from sas_core.fhir.appointments import PROFILE_APPOINTMENT, PROFILE_SOS_APPOINTMENT
from sas_core.fhir.media_types import FHIR_JSON
from sas_core.fhir.outcomes import FhirRefusal, Issue, IssueCode, operation_outcome
from sas_core.plugins.host import PluginHost
from sas_core.settings import PlatformSettings
from sas_core.storage import open_database
from sas_core.storage.engine import REQUEST_THREADS
from sas_core.storage.parties import StoredParties
from sas_web.access_log import AccessLog
from sas_web.body_deadline import DEFAULT_BODY_TIMEOUT_S, BodyDeadline
from sas_web.front import Front
from sas_web.front.auth import LoginRequired, RealmLink, front_client, login_required
from sas_web.front.errors import error_page, expired_form, is_expired_form
from sas_web.front.settings import FrontSettings
from sas_web.oidc import OidcProvider
from sas_web.security_headers import add_security_headers
from sas_web.vendors import CertificateAllowList, VendorIdentity

log = logging.getLogger(__name__)

#: Digest §2: the FHIR type, the legacy DSTU2 type the IG's tables name, and plain JSON.
ACCEPTED_CONTENT_TYPES = frozenset(
    {"application/fhir+json", "application/json+fhir", "application/json"}
)
#: The largest Appointment body accepted. An Appointment is a few KiB; 1 MiB leaves room for
#: narrative and extensions while bounding what one request may make the server hold.
APPOINTMENT_BODY_MAX_BYTES = 1 << 20
#: The limit of every other body: the realm's forms (token request, login) are a few hundred bytes.
FORM_MAX_BODY_BYTES = 64 << 10
_CAPABILITIES = "https://interop.esante.gouv.fr/ig/fhir/sas/CapabilityStatement"


def create_app(
    settings: PlatformSettings | None = None,
    *,
    identity: VendorIdentity,
    engine: Engine | None = None,
    directory: KnownParties | None = None,
    max_body_bytes: int = APPOINTMENT_BODY_MAX_BYTES,
    oidc: OidcProvider | None = None,
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S,
    front: bool = True,
    plugins: PluginHost | None = None,
    front_settings: FrontSettings | None = None,
    secure_cookies: bool = True,
) -> Litestar:
    """The platform app on `engine` (default: the configured database, opened here and disposed
    at shutdown); with `oidc`, the realm `sas` is mounted under `/realms/sas` (see
    `sas_web.oidc`). Who is "known" at intake defaults to the platform's own tables
    (`StoredParties`). A request body must arrive within `body_timeout_s` of its headers (408).
    The outbox and the account queue are the background jobs' work (`sas_core.scheduling`,
    run by `sas serve` and `sas scheduler run`), not the app's.

    With `front` (the default) the regulators' and platform team's pages, the JSON API under
    `/api/v1`, `/health` and the OpenAPI schema are mounted too (`sas_web.front`); their login
    goes through `oidc` when given (the front registers itself there as a public client).
    `secure_cookies=False` only for plain-HTTP development (`--insecure-dev`)."""
    owns_engine = engine is None
    db = engine if engine is not None else open_database(settings)
    intake = AppointmentIntake(db, directory or StoredParties(db))
    the_front = (
        Front.build(
            db,
            plugins or PluginHost.discover(settings=settings or PlatformSettings()),
            settings or PlatformSettings(),
            settings=front_settings,
            secure_cookies=secure_cookies,
            realm=RealmLink(oidc.settings.issuer, oidc.host_allowed) if oidc else None,
            trusted_proxies=(
                identity.trusted_proxies if isinstance(identity, CertificateAllowList) else ()
            ),
        )
        if front
        else None
    )
    if the_front is not None and oidc is not None:
        client_id = the_front.settings.oidc_client_id
        oidc.clients.setdefault(client_id, front_client(client_id, oidc.host_allowed))

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # Handlers' database work runs on at most this many threads, for which the pool is sized
        # (`sas_core.storage.engine`); anyio's default of 40 would outnumber the connections.
        anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
        try:
            yield
        finally:
            if owns_engine:
                db.dispose()

    def vendor_of(request: Request[Any, Any, Any]) -> str:
        return identity.vendor_of(request.scope, request.headers)

    def base_of(request: Request[Any, Any, Any]) -> str:
        return f"{str(request.base_url).rstrip('/')}/fhir"

    def written(request: Request[Any, Any, Any], result: IntakeResult) -> Response[bytes]:
        location = f"{base_of(request)}/Appointment/{result.appointment.id}"
        return fhir_response(result.resource, result.http_status, {"Location": location})

    @get("/fhir/metadata", sync_to_thread=False, include_in_schema=False)
    def metadata(request: Request[Any, Any, Any]) -> Response[bytes]:
        return fhir_response(capability_statement(base_of(request)))

    # `read_body` caps the FHIR writes (413 OperationOutcome), not the app-wide form limit.
    @post("/fhir/Appointment", status_code=201, request_max_body_size=None, include_in_schema=False)
    async def create(request: Request[Any, Any, Any]) -> Response[bytes]:
        vendor = vendor_of(request)
        body = await read_body(request, max_body_bytes)
        result = await anyio.to_thread.run_sync(intake.create, body, vendor)
        return written(request, result)

    @put("/fhir/Appointment", request_max_body_size=None, include_in_schema=False)
    async def update(request: Request[Any, Any, Any]) -> Response[bytes]:
        vendor = vendor_of(request)
        identifier = request.query_params.get("identifier")
        body = await read_body(request, max_body_bytes)
        result = await anyio.to_thread.run_sync(intake.update, identifier, body, vendor)
        return written(request, result)

    @get("/fhir/Appointment", include_in_schema=False)
    async def search(request: Request[Any, Any, Any]) -> Response[bytes]:
        vendor = vendor_of(request)
        identifier = request.query_params.get("identifier")
        found = await anyio.to_thread.run_sync(intake.search, identifier, vendor)
        base = base_of(request)
        query = request.scope["query_string"].decode("utf-8", errors="replace")
        return fhir_response(
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": len(found),
                "link": [{"relation": "self", "url": f"{base}/Appointment?{query}"}],
                "entry": [
                    {
                        "fullUrl": f"{base}/Appointment/{r['id']}",
                        "resource": r,
                        "search": {"mode": "match"},
                    }
                    for r in found
                ],
            }
        )

    @get("/fhir/Appointment/{appointment_id:str}", include_in_schema=False)
    async def read(
        request: Request[Any, Any, Any], appointment_id: FromPath[str]
    ) -> Response[bytes]:
        vendor = vendor_of(request)
        found = await anyio.to_thread.run_sync(intake.read, appointment_id, vendor)
        if found is None:
            raise FhirRefusal(
                404, Issue(f"no Appointment {appointment_id}", "Appointment.id", "not-found")
            )
        return fhir_response(found)

    app = Litestar(
        route_handlers=[
            metadata,
            create,
            update,
            search,
            read,
            *([oidc.router()] if oidc is not None else []),
            *(the_front.routers() if the_front is not None else []),
        ],
        exception_handlers={
            FhirRefusal: _refusal,
            LoginRequired: login_required,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
        lifespan=[lifespan],
        state=State({"intake": intake, **(the_front.state() if the_front else {})}),
        openapi_config=the_front.openapi_config() if the_front else None,
        template_config=the_front.template_config() if the_front else None,
        middleware=[the_front.session_config().middleware] if the_front else [],
        csrf_config=the_front.csrf_config() if the_front else None,
        # `sas serve` and the tests configure logging; the app must not.
        logging_config=None,
        request_max_body_size=FORM_MAX_BODY_BYTES,
        before_send=[add_security_headers],
    )
    # Litestar runs app middleware on matched routes only; wrapping its ASGI handler puts the
    # unmatched ones (404, 405: what a scanner gets) under the access log and the deadline too.
    app.asgi_handler = AccessLog(BodyDeadline(app.asgi_handler, body_timeout_s))
    return app


async def read_body(request: Request[Any, Any, Any], limit: int) -> bytes:
    """The request body after the Content-Type (415) and size (413) checks; never reads past
    `limit` bytes."""
    content_type = request.headers.get("content-type")
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in ACCEPTED_CONTENT_TYPES:
        raise FhirRefusal(
            415,
            Issue(
                f"Content-Type {content_type!r} is not accepted: send {FHIR_JSON} "
                "(application/json+fhir and application/json are accepted too)",
                None,
                "not-supported",
            ),
        )
    too_large = FhirRefusal(
        413,
        Issue(f"the body exceeds {limit} bytes, the limit for an Appointment", None, "too-costly"),
        {"Connection": "close"},
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def fhir_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response[bytes]:
    return Response(orjson.dumps(body), status_code=status, media_type=FHIR_JSON, headers=headers)


def capability_statement(base: str) -> dict[str, Any]:
    """What the platform serves (SAS-GestionnaireAgenda-RDVpsindiv and -RDVSOS, digest §1)."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": datetime.now(UTC).date().isoformat(),
        "kind": "instance",
        "instantiates": [
            f"{_CAPABILITIES}/SAS-GestionnaireAgenda-RDVpsindiv",
            f"{_CAPABILITIES}/SAS-GestionnaireAgenda-RDVSOS",
        ],
        "software": {"name": "SAS Connect"},
        "implementation": {"description": "SAS platform appointment reporting", "url": base},
        "fhirVersion": "4.0.1",
        "format": [FHIR_JSON, "application/json+fhir", "application/json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": "Mutual TLS (TLS >= 1.2): the client certificate's CN/OU "
                    "names the vendor (digest §2)"
                },
                "resource": [
                    {
                        "type": "Appointment",
                        "profile": PROFILE_APPOINTMENT,
                        "supportedProfile": [PROFILE_APPOINTMENT, PROFILE_SOS_APPOINTMENT],
                        "interaction": [
                            {"code": "create"},
                            {"code": "update"},
                            {"code": "read"},
                            {"code": "search-type"},
                        ],
                        "versioning": "versioned",
                        "updateCreate": True,
                        "conditionalCreate": False,
                        "conditionalUpdate": True,
                        "searchParam": [{"name": "identifier", "type": "token"}],
                    }
                ],
            }
        ],
    }


def _refusal(_: Request[Any, Any, Any], exc: FhirRefusal) -> Response[bytes]:
    return fhir_response(operation_outcome(exc.issues), exc.status, exc.headers)


def _audience(request: Request[Any, Any, Any]) -> str:
    """Who an error answer is for: vendors (FHIR), programs (JSON) or people (a page)."""
    path = request.url.path
    if path.startswith(("/fhir", "/realms")) or "front" not in request.app.state:
        return "fhir"
    if path.startswith(("/api/", "/schema", "/health")):
        return "json"
    return "page"


def _json_error(status: int, detail: str, headers: dict[str, str] | None = None) -> Response[bytes]:
    body = {"status_code": status, "detail": detail}
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    audience = _audience(request)
    if audience == "json":
        return _json_error(exc.status_code, str(exc.detail), exc.headers)
    if audience == "page":
        if is_expired_form(exc):
            return expired_form(request)
        return error_page(request, exc.status_code)
    return _fhir_error(exc)


def _fhir_error(exc: HTTPException) -> Response[bytes]:
    codes: dict[int, IssueCode] = {404: "not-found", 405: "not-supported", 408: "timeout"}
    code = codes.get(exc.status_code, "invalid")
    issue = Issue(str(exc.detail), None, code)
    return fhir_response(operation_outcome([issue]), exc.status_code, exc.headers)


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    audience = _audience(request)
    log.exception("unexpected error while serving %s", request.url.path, exc_info=exc)
    if audience == "json":
        return _json_error(500, "internal error; nothing was stored by this request")
    if audience == "page":
        return error_page(request, 500)
    issue = Issue("internal error; nothing was stored by this request", None, "exception")
    return fhir_response(operation_outcome([issue]), 500)
