"""The simulated vendor's HTTP API: the slot-search FHIR endpoints plus simulator-only controls.

Routes:
- `GET /fhir/metadata`: CapabilityStatement of a PS-indiv, CPTS and SOS agenda server (digest §1);
- `GET /fhir/Slot?…`: the INT_R01 search (digest §4), INT_R04 with the CPTS includes (§5);
- `GET /fhir/Schedule?…`: the SOS Médecins search (digest §6);
- `POST /fhir/Practitioner`, `PUT /fhir/Practitioner?identifier=SYS|VAL`: regulator accounts
  (INT_R02, digest §7), validated against FrPractitionerRegul (`sas_simulator.accounts`);
- `GET /agenda/{id}`: the booking URL of a practitioner's slots; refused without `origin`, sent
  to the platform's realm without a vendor session (`sas_simulator.sso`), else the booking page;
- `GET /callback`: the OpenID Connect callback; `POST /agenda/{id}/book`: book a slot and report
  it to the platform (INT_R03, `sas_simulator.booking`); `GET /_sim/bookings`: what was booked;
- `GET /site/{id}`: an SOS site's agenda page;
- `GET|PUT /_sim/faults`: read or replace the faults at runtime (outside the FHIR base);
- `GET /_sim/accounts`: the accounts the platform created here, and every write received.

The searches and the account writes are subject to the configured `Faults`, applied after the
request was validated (a bad request is a 400 whatever the faults).

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
from litestar import Litestar, Request, Response, get, post, put
from litestar.datastructures import Cookie, State
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Stream

from sas_core.fhir.codes import (
    PROFILE_CPTS_HEALTHCARE_SERVICE,
    PROFILE_CPTS_ORGANIZATION,
    PROFILE_CPTS_SLOT,
    PROFILE_PRACTITIONER,
    PROFILE_PRACTITIONER_ROLE,
    PROFILE_SCHEDULE,
    PROFILE_SLOT,
    PROFILE_SOS_LOCATION,
    PROFILE_SOS_ORGANIZATION,
    PROFILE_SOS_SCHEDULE,
    PROFILE_SOS_SLOT,
    SEARCH_PARAM_CPTS_SERVICE_TYPE,
    SEARCH_PARAM_SLOT_START,
)
from sas_core.fhir.regulators import PROFILE_PRACTITIONER_REGUL
from sas_core.oidc_rp import LoginFailed
from sas_simulator import pages
from sas_simulator.accounts import (
    AccountRejected,
    AccountStore,
    Problem,
    Written,
    check_practitioner_regul,
    parse_token,
)
from sas_simulator.booking import (
    Booking,
    ReportSettings,
    appointment_resource,
    new_appointment_id,
    report,
)
from sas_simulator.bundles import schedule_search_bundle, slot_search_bundle
from sas_simulator.dataset import PARIS, Dataset
from sas_simulator.faults import Faults, FaultState
from sas_simulator.search import (
    MAX_SOS_ASSOCIATIONS,
    SearchError,
    parse_schedule_search,
    parse_slot_search,
)
from sas_simulator.sso import (
    CALLBACK_PATH,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    VendorSso,
    VendorSsoSettings,
)

FHIR_JSON = "application/fhir+json"
#: Digest §2: accept the legacy DSTU2 type the IG's tables still name, and plain JSON.
ACCEPTED_TYPES = frozenset(
    {"application/fhir+json", "application/json+fhir", "application/json", "*/*", "application/*"}
)
ACCEPTED_FORMATS = frozenset(
    {"json", "application/json", "application/fhir+json", "application/json+fhir"}
)
_CAPABILITIES = "https://interop.esante.gouv.fr/ig/fhir/sas/CapabilityStatement"
CAPABILITY_URL = f"{_CAPABILITIES}/SAS-GestionnaireAgenda-PsIndiv"
CAPABILITY_URLS = (
    CAPABILITY_URL,
    f"{_CAPABILITIES}/SAS-GestionnaireAgenda-CPTS",
    f"{_CAPABILITIES}/SAS-GestionnaireAgenda-SOS",
)
START_PARAM_DEFINITION = SEARCH_PARAM_SLOT_START
TRICKLE_INTERVAL_S = 0.5
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


def fault_state(app: Litestar) -> FaultState:
    """The live faults of an app made by `create_app`, for in-process tests and tools."""
    state = app.state.get("faults")
    if not isinstance(state, FaultState):
        raise TypeError("this application was not made by sas_simulator.app.create_app")
    return state


def create_app(
    dataset: Dataset,
    faults: Faults | None = None,
    *,
    public_base: str | None = None,
    sso: VendorSsoSettings | None = None,
    reporting: ReportSettings | None = None,
) -> Litestar:
    """The simulator application serving `dataset`.

    `public_base` is the root URL clients reach the simulator at (fullUrls, self links and
    booking URLs are built on it); by default it is taken from each request's Host. `sso` makes
    the agenda pages delegate the login to the platform's realm; `reporting` is where bookings
    are reported (INT_R03).
    """
    faults_state = FaultState(faults)
    started = datetime.now(PARIS).isoformat(timespec="seconds")

    def root_of(request: Request[Any, Any, Any]) -> str:
        return (public_base or str(request.base_url)).rstrip("/")

    @get("/fhir/metadata", sync_to_thread=False)
    def metadata(request: Request[Any, Any, Any]) -> Response[bytes]:
        _negotiate(request)
        return fhir_response(_capability_statement(f"{root_of(request)}/fhir", started))

    async def misbehave(request: Request[Any, Any, Any], self_url: str) -> Response[Any] | None:
        """Apply the configured faults to a search; None when it should be answered normally."""
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
        return None

    def query_of(request: Request[Any, Any, Any], resource: str) -> tuple[str, str]:
        """The raw query string and the self link echoing it (the test kit compares them)."""
        query = request.scope["query_string"].decode("utf-8", errors="replace")
        return query, f"{root_of(request)}/fhir/{resource}" + (f"?{query}" if query else "")

    @get("/fhir/Slot")
    async def search_slots(request: Request[Any, Any, Any]) -> Response[Any]:
        _negotiate(request)
        query, self_url = query_of(request, "Slot")
        search = parse_slot_search(query)
        failed = await misbehave(request, self_url)
        if failed is not None:
            return failed
        root = root_of(request)
        bundle = slot_search_bundle(
            dataset,
            search.practitioners,
            search.start,
            search.end,
            base_url=f"{root}/fhir",
            self_url=self_url,
            agenda_base=root,
            not_before=datetime.now(PARIS),
            cpts=search.cpts,
        )
        return fhir_response(bundle)

    @get("/fhir/Schedule")
    async def search_schedules(request: Request[Any, Any, Any]) -> Response[Any]:
        _negotiate(request)
        query, self_url = query_of(request, "Schedule")
        search = parse_schedule_search(query)
        failed = await misbehave(request, self_url)
        if failed is not None:
            return failed
        root = root_of(request)
        bundle = schedule_search_bundle(
            dataset,
            search.associations,
            search.start,
            search.end,
            base_url=f"{root}/fhir",
            self_url=self_url,
            agenda_base=root,
            not_before=datetime.now(PARIS),
        )
        return fhir_response(bundle)

    @get("/site/{site_id:str}", sync_to_thread=False)
    def site_agenda(
        site_id: FromPath[str],
        slot: FromQuery[str | None] = None,
        origin: FromQuery[str | None] = None,
    ) -> Response[str]:
        found = [(a, s) for a in dataset.sos for s in a.sites if s.id == site_id]
        if not found:
            raise FhirError(404, "not-found", f"no SOS site {site_id!r}")
        [(association, site)] = found
        title = html.escape(f"{association.name} — {site.name}")
        body = (
            f"<!doctype html><html lang='fr'><meta charset='utf-8'><title>{title}</title>"
            f"<h1>Agenda : {title}</h1>"
            f"<p>Lieu : {html.escape(f'{site.line}, {site.postal_code} {site.city}')}</p>"
            f"<p>Créneau : {html.escape(slot or 'aucun')}</p>"
            f"<p>Origine : {html.escape(origin or 'inconnue')}</p></html>"
        )
        return Response(body, media_type="text/html; charset=utf-8")

    vendor_sso = VendorSso(sso) if sso is not None else None
    bookings: dict[str, Booking] = {}

    def booked_slots() -> set[str]:
        return {b.slot_id for b in bookings.values()}

    @get("/agenda/{practitioner_id:str}")
    async def agenda(
        request: Request[Any, Any, Any],
        practitioner_id: FromPath[str],
        place: FromQuery[str | None] = None,
        origin: FromQuery[str | None] = None,
        slot: FromQuery[str | None] = None,
    ) -> Response[str]:
        """Test-kit scenarios (digest §8.2): no `origin` → refused; `origin` and no session →
        the platform's realm; a session → the booking page."""
        practitioner = dataset.by_id(practitioner_id)
        if practitioner is None:
            raise FhirError(404, "not-found", f"no practitioner {practitioner_id!r}")
        if not origin:
            return pages.refused_without_origin()
        user = vendor_sso.user(request.cookies.get(SESSION_COOKIE)) if vendor_sso else None
        if user is None:
            if vendor_sso is None:
                return pages.sso_not_configured()
            return_to = request.url.path + "?" + request.scope["query_string"].decode()
            try:
                url, state = await vendor_sso.begin(root_of(request), return_to)
            except LoginFailed as exc:
                return pages.login_failed(str(exc), 502)
            return Response(
                "",
                status_code=302,
                headers={"Location": url},
                cookies=[_cookie(request, LOGIN_COOKIE, state)],
            )
        free = [
            s
            for schedule in dataset.schedules_of(practitioner)
            if place is None or schedule.place.id == place
            for s in schedule.free_slots
            if s.id not in booked_slots() and (slot is None or s.id == slot)
        ]
        return pages.booking_page(practitioner, place, origin, user, free)

    @get(CALLBACK_PATH)
    async def callback(request: Request[Any, Any, Any]) -> Response[str]:
        if vendor_sso is None:
            return pages.sso_not_configured()
        params = {k: str(v) for k, v in request.query_params.items()}
        try:
            session_id, return_to = await vendor_sso.finish(
                root_of(request), params, request.cookies.get(LOGIN_COOKIE)
            )
        except LoginFailed as exc:
            return pages.login_failed(str(exc), 401)
        return Response(
            "",
            status_code=302,
            headers={"Location": return_to},
            cookies=[
                _cookie(request, SESSION_COOKIE, session_id),
                Cookie(key=LOGIN_COOKIE, value="", path="/", max_age=0),
            ],
        )

    @post("/agenda/{practitioner_id:str}/book", status_code=200)
    async def book(
        request: Request[Any, Any, Any], practitioner_id: FromPath[str]
    ) -> Response[str]:
        """Book a free slot and report it to the platform (INT_R03)."""
        practitioner = dataset.by_id(practitioner_id)
        if practitioner is None:
            raise FhirError(404, "not-found", f"no practitioner {practitioner_id!r}")
        form = await request.form()
        user = vendor_sso.user(request.cookies.get(SESSION_COOKIE)) if vendor_sso else None
        if user is None or not form.get("origin"):
            return pages.refused_without_origin()
        slot_id = str(form.get("slot", ""))
        found = [
            s
            for schedule in dataset.schedules_of(practitioner)
            for s in schedule.free_slots
            if s.id == slot_id
        ]
        if not found or slot_id in booked_slots():
            return pages.login_failed(f"le créneau {slot_id} n'est pas libre", 409)
        appointment_id = new_appointment_id()
        resource = appointment_resource(
            appointment_id, found[0], practitioner, user, datetime.now(PARIS)
        )
        status, location, body = (
            await report(reporting, resource) if reporting else (None, None, "")
        )
        booking = Booking(
            appointment_id, slot_id, practitioner.id, resource, status, location, body
        )
        bookings[appointment_id] = booking
        return pages.booked_page(practitioner, booking)

    @get("/_sim/bookings", sync_to_thread=False)
    def read_bookings() -> list[dict[str, Any]]:
        return [
            {
                "id": b.id,
                "slot": b.slot_id,
                "practitioner": b.practitioner_id,
                "resource": b.resource,
                "report_status": b.report_status,
                "report_location": b.report_location,
            }
            for b in bookings.values()
        ]

    accounts = AccountStore()

    async def account_write(
        request: Request[Any, Any, Any], method: Literal["POST", "PUT"]
    ) -> Response[Any]:
        """Digest §7.2/§7.3: validate, then the faults, then apply; every write is logged."""
        token = request.query_params.get("identifier") if method == "PUT" else None
        try:
            _negotiate(request)
            resource = await _write_body(request)
            problems = check_practitioner_regul(resource)
            if problems:
                status = 400 if problems[0].expression == "Practitioner" else 422
                raise AccountRejected(status, problems)
            assert isinstance(resource, dict)  # a conforming Practitioner is a JSON object
            if method == "PUT":
                if token is None:
                    raise AccountRejected(
                        400, [Problem("identifier", "PUT needs ?identifier=system|value")]
                    )
                key = parse_token(token)
            failed = await misbehave(request, f"{root_of(request)}/fhir/Practitioner")
            if failed is not None:
                accounts.record(method, token, failed.status_code or 200)
                return failed
            written: Written = (
                accounts.create(resource) if method == "POST" else accounts.put(key, resource)
            )
        except AccountRejected as exc:
            accounts.record(method, token, exc.status)
            return fhir_response(exc.operation_outcome(), exc.status)
        except FhirError as exc:
            accounts.record(method, token, exc.status)
            raise
        status = 201 if written.created else 200
        accounts.record(method, token, status)
        location = f"{root_of(request)}/fhir/Practitioner/{written.account.id}"
        return fhir_response(written.account.resource, status, {"Location": location})

    @post("/fhir/Practitioner")
    async def create_practitioner(request: Request[Any, Any, Any]) -> Response[Any]:
        return await account_write(request, "POST")

    @put("/fhir/Practitioner")
    async def update_practitioner(request: Request[Any, Any, Any]) -> Response[Any]:
        return await account_write(request, "PUT")

    @get("/_sim/accounts", sync_to_thread=False)
    def read_accounts() -> dict[str, Any]:
        return accounts.snapshot()

    @get("/_sim/faults", sync_to_thread=False)
    def read_faults() -> Faults:
        return faults_state.current

    @put("/_sim/faults", sync_to_thread=False)
    def replace_faults(data: JSONBody[Faults]) -> Faults:
        faults_state.set(data)
        return data

    return Litestar(
        route_handlers=[
            metadata,
            search_slots,
            search_schedules,
            create_practitioner,
            update_practitioner,
            read_accounts,
            agenda,
            callback,
            book,
            read_bookings,
            site_agenda,
            read_faults,
            replace_faults,
        ],
        exception_handlers={
            FhirError: _fhir_error,
            SearchError: _search_error,
            HTTPException: _http_error,
        },
        state=State({"faults": faults_state, "dataset": dataset, "accounts": accounts}),
        openapi_config=None,
        # The simulator runs inside tests and the CLI: it must not reconfigure their logging.
        logging_config=None,
    )


def _cookie(request: Request[Any, Any, Any], key: str, value: str) -> Cookie:
    return Cookie(
        key=key,
        value=value,
        path="/",
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="lax",
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


async def _write_body(request: Request[Any, Any, Any]) -> object:
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
    """What this server does: the PS-indiv, CPTS and SOS searches (digest §1, §4.2, §5.1, §6.2).

    One statement instantiating the three vendor CapabilityStatements, since one base URL serves
    the three flows; resources only reachable through includes say so in `documentation`.
    """
    include_only = "returned through _include / _include:iterate / _revinclude only"
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "SAS Connect",
        "kind": "instance",
        "instantiates": list(CAPABILITY_URLS),
        "software": {"name": "SAS Connect vendor simulator"},
        "implementation": {
            "description": (
                "Simulated vendor agenda (INT_R01, INT_R04, SOS Médecins, INT_R02 accounts)"
            ),
            "url": base_url,
        },
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
                        "supportedProfile": [PROFILE_CPTS_SLOT, PROFILE_SOS_SLOT],
                        "interaction": [{"code": "search-type"}],
                        "searchInclude": [
                            "Slot:schedule",
                            "Schedule:actor",
                            "Slot:service-type-reference",
                            "HealthcareService:organization",
                        ],
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
                            {
                                "name": "service-type-reference",
                                "definition": SEARCH_PARAM_CPTS_SERVICE_TYPE,
                                "type": "reference",
                                "documentation": (
                                    "for _include=Slot:service-type-reference (INT_R04): adds the "
                                    "CPTS HealthcareServices and Organizations"
                                ),
                            },
                        ],
                    },
                    {
                        "type": "Schedule",
                        "profile": PROFILE_SCHEDULE,
                        "supportedProfile": [PROFILE_SOS_SCHEDULE],
                        "interaction": [{"code": "search-type"}],
                        "documentation": (
                            "SOS Médecins search (sas-sos-schedule-aggregator); the PS Schedules "
                            "are " + include_only
                        ),
                        "searchInclude": ["Schedule:actor:Location", "Location:organization"],
                        "searchRevInclude": ["Slot:schedule"],
                        "searchParam": [
                            {
                                "name": "_has",
                                "type": "string",
                                "documentation": (
                                    "_has:Slot:schedule:start=ge… and =le… (exactly one each), "
                                    "_has:Slot:schedule:status=free; only the free slots inside "
                                    "the window are returned"
                                ),
                            },
                            {
                                "name": "actor",
                                "definition": "http://hl7.org/fhir/SearchParameter/Schedule-actor",
                                "type": "reference",
                                "documentation": (
                                    "chained as actor:Location.organization.identifier="
                                    "urn:oid:1.2.250.1.71.4.2.2|3<SIRET>[,…], 1 to "
                                    f"{MAX_SOS_ASSOCIATIONS} values"
                                ),
                            },
                        ],
                    },
                    {
                        "type": "Practitioner",
                        "profile": PROFILE_PRACTITIONER,
                        "supportedProfile": [PROFILE_PRACTITIONER_REGUL],
                        "documentation": (
                            "search: " + include_only + "; create and conditional update: "
                            "regulator accounts (INT_R02, FrPractitionerRegul), "
                            "PUT ?identifier=system|value, PUT-as-create"
                        ),
                        "interaction": [{"code": "create"}, {"code": "update"}],
                        "updateCreate": True,
                        "conditionalUpdate": True,
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
                        "profile": PROFILE_PRACTITIONER_ROLE,
                        "documentation": include_only,
                    },
                    {
                        "type": "HealthcareService",
                        "profile": PROFILE_CPTS_HEALTHCARE_SERVICE,
                        "documentation": include_only,
                    },
                    {
                        "type": "Location",
                        "profile": PROFILE_SOS_LOCATION,
                        "documentation": include_only,
                        "searchParam": [
                            {
                                "name": "organization",
                                "definition": (
                                    "http://hl7.org/fhir/SearchParameter/Location-organization"
                                ),
                                "type": "reference",
                            }
                        ],
                    },
                    {
                        "type": "Organization",
                        "profile": PROFILE_SOS_ORGANIZATION,
                        "supportedProfile": [PROFILE_CPTS_ORGANIZATION],
                        "documentation": include_only,
                        "searchParam": [
                            {
                                "name": "identifier",
                                "definition": (
                                    "http://hl7.org/fhir/SearchParameter/Organization-identifier"
                                ),
                                "type": "token",
                            }
                        ],
                    },
                ],
            }
        ],
    }
