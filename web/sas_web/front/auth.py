"""Who is using the front: login through the platform's realm, the session, roles, logout.

The front is a public client of the realm (code + PKCE S256, `FrontRelyingParty`); its session
is Litestar's encrypted cookie session (`SAS_WEB_SESSION_SECRET`), HttpOnly, SameSite=Lax,
Secure over HTTPS. Roles: every account the realm logs in is a `regulator`; the e-mails of
`SAS_WEB_ADMINS` are `admin` too.

Every route declares who may call it in its `opt["role"]` (`None`: anyone); `authorised` is the
one guard. Anonymous on a page → the login (302); on the API → 401; the wrong role → 403. A
session unused for `SAS_WEB_SESSION_IDLE_S` ends: the page says so in French and, for a form
that was being sent, keeps what was typed (`draft`) for the form shown after the new login.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

from litestar import Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import ClientException, NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.params import FromQuery
from litestar.response import Redirect

from sas_core.serving.security_log import security_event
from sas_core.sso.relying_party import LoginFailed, PendingLogin
from sas_web.front.errors import error_page
from sas_web.front.relying_party import FrontRelyingParty
from sas_web.front.settings import FrontSettings
from sas_web.oidc.clients import OidcClient
from sas_web.oidc.paths import LOGOUT_PATH, REALM
from sas_web.oidc.tokens import NATIONAL_ID_CLAIM

log = logging.getLogger(__name__)

AnyRequest = Request[Any, Any, Any]
LOGIN_PATH = "/connexion"
CALLBACK_PATH = "/connexion/retour"
LOGOUT_FRONT_PATH = "/deconnexion"
ROLES = ("regulator", "admin")
#: Form fields never kept in a draft.
_NOT_KEPT = frozenset({"_csrf_token", "password"})


class LoginRequired(Exception):
    """No session (or an expired one) on a page: log in, then come back to `next_url`."""

    def __init__(self, next_url: str, expired: bool) -> None:
        super().__init__(next_url)
        self.next_url = next_url
        self.expired = expired


@dataclass(frozen=True)
class User:
    """The logged-in person, as the session keeps them."""

    sub: str
    email: str
    name: str
    roles: tuple[str, ...]
    national_id: str | None = None

    def has(self, role: str) -> bool:
        return role in self.roles


def roles_of(email: str, admins: tuple[str, ...]) -> tuple[str, ...]:
    return ("regulator", "admin") if email.lower() in admins else ("regulator",)


def local_path(url: str | None) -> str:
    """`url` when it is a path of this site, else `/` (never an open redirect)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return "/"
    parts = urlsplit(url)
    return url if not parts.scheme and not parts.netloc else "/"


def settings_of(connection: ASGIConnection[Any, Any, Any, Any]) -> FrontSettings:
    settings: FrontSettings = connection.app.state["front_settings"]
    return settings


def has_session(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Whether the session middleware ran (not on an unmatched route's 404 or 405)."""
    scope: dict[str, Any] = cast(dict[str, Any], connection.scope)
    return "session" in scope


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> User | None:
    """The session's user, or None; an idle or too old session is ended here (and noted in the
    scope, so the page can say it expired)."""
    if not has_session(connection):
        return None
    session = connection.session
    user = session.get("user")
    if not user:
        return None
    settings = settings_of(connection)
    now = time.time()
    if (
        now - float(session.get("seen", 0)) > settings.session_idle_s
        or now - float(session.get("since", 0)) > settings.session_ttl_s
    ):
        connection.clear_session()
        connection.scope["state"]["session_expired"] = True
        return None
    if now - float(session.get("seen", 0)) > 30:
        # Rewritten at most every 30 s: the cookie is not re-sent on every request.
        session["seen"] = now
        connection.set_session(session)
    return User(
        user["sub"], user["email"], user["name"], tuple(user["roles"]), user.get("national_id")
    )


async def authorised(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """The one guard: the route's `opt["role"]` against the session's roles."""
    role = handler.opt.get("role")
    user = current_user(connection)
    if role is None:
        return
    if user is None:
        if connection.scope["path"].startswith("/api/"):
            raise NotAuthorizedException("authentication required")
        expired = bool(connection.scope["state"].get("session_expired"))
        if connection.scope.get("method") not in ("GET", "HEAD"):
            await _keep_draft(connection)
        query = connection.scope["query_string"].decode("latin-1")
        path = connection.scope["path"]
        raise LoginRequired(f"{path}?{query}" if query else path, expired)
    if not user.has(role):
        security_event(
            "forbidden", path=connection.scope["path"], role=role, client=_client(connection)
        )
        raise PermissionDeniedException(f"this page needs the role {role}")


async def _keep_draft(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Keep a form's fields (never a password or the CSRF token) for after the login."""
    request: AnyRequest = Request(connection.scope, connection.receive)
    form = await request.form()
    fields = {k: str(v) for k, v in form.items() if k not in _NOT_KEPT}
    connection.set_session({"draft": {"path": connection.scope["path"], "fields": fields}})


def take_draft(request: AnyRequest) -> dict[str, str]:
    """The fields typed before a session expired, for the form at this path (once)."""
    if not has_session(request):
        return {}
    session = request.session
    draft = session.get("draft")
    if not draft or draft.get("path") != request.url.path:
        return {}
    session.pop("draft", None)
    request.set_session(session)
    return {str(k): str(v) for k, v in draft.get("fields", {}).items()}


def _client(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.client.host if connection.client else "-"


@dataclass(frozen=True, slots=True)
class FrontClient(OidcClient):
    """The front, registered in the realm: a public client (PKCE) whose redirect URIs are its
    callback and home page on any host the realm answers (the realm's own origin)."""

    host_allowed: Any = None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        parts = urlsplit(redirect_uri)
        return (
            parts.scheme in ("http", "https")
            and parts.path in (CALLBACK_PATH, "/")
            and not parts.query
            and not parts.fragment
            and self.host_allowed is not None
            and bool(self.host_allowed(parts.netloc))
        )


def front_client(client_id: str, host_allowed: Any) -> FrontClient:
    return FrontClient(client_id, "SAS Connect (front)", (CALLBACK_PATH,), None, host_allowed)


@functools.lru_cache(maxsize=16)
def _party(
    issuer: str,
    client_id: str,
    secret: str | None,
    redirect_uri: str,
    discovery_path: str,
    acr: str | None,
) -> FrontRelyingParty:
    """One relying party per issuer and origin (it caches discovery and keys)."""
    return FrontRelyingParty(
        issuer,
        client_id,
        redirect_uri,
        client_secret=secret,
        discovery_path=discovery_path,
        acr_values=acr,
    )


@dataclass(frozen=True)
class RealmLink:
    """How the front reaches the realm mounted beside it, fixed when the app is built: its
    `SAS_OIDC_ISSUER`, and which `Host` headers the platform answers (the realm's allow-list)."""

    issuer: str | None
    host_allowed: Callable[[str], bool]


def realm_of(connection: ASGIConnection[Any, Any, Any, Any]) -> RealmLink | None:
    found: RealmLink | None = connection.app.state.get("front_realm")
    return found


def issuer_of(request: AnyRequest) -> str | None:
    """`SAS_WEB_OIDC_ISSUER`; else the mounted realm's `SAS_OIDC_ISSUER`; else the realm at the
    address the platform listens on (the socket the request came in on). Never the request's
    `Host` header: whoever sends one must not choose whom the front trusts, nor make it fetch
    another host's discovery. None without any: no login."""
    settings = settings_of(request)
    if settings.oidc_issuer:
        return settings.oidc_issuer
    realm = realm_of(request)
    if realm is None:
        return None
    if realm.issuer:
        return realm.issuer
    server = request.scope.get("server")
    if not server or server[1] is None:
        return None
    host = f"[{server[0]}]" if ":" in server[0] else server[0]
    return f"{request.scope['scheme']}://{host}:{server[1]}{REALM}"


async def known_host(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The first guard of every front route: a `Host` the platform does not answer is refused
    (400), before the origin it names is put in a redirect or a callback address."""
    realm = realm_of(connection)
    host = connection.headers.get("host", "")
    if realm is None or realm.host_allowed(host):
        return
    security_event("unknown_host", host=host[:100], client=_client(connection))
    raise ClientException("unknown host")


def relying_party(request: AnyRequest) -> FrontRelyingParty | None:
    """The front's relying party at its issuer (`issuer_of`); its callback at the request's
    origin, whose `Host` passed `known_host`."""
    issuer = issuer_of(request)
    if issuer is None:
        return None
    settings = settings_of(request)
    origin = str(request.base_url).rstrip("/")
    secret = settings.oidc_client_secret
    return _party(
        issuer,
        settings.oidc_client_id,
        secret.get_secret_value() if secret else None,
        f"{origin}{CALLBACK_PATH}",
        settings.oidc_discovery_path,
        settings.oidc_acr_values,
    )


def client_address(
    request: AnyRequest, trusted_proxies: tuple[IPv4Network | IPv6Network, ...]
) -> str:
    """Who sent the request: the address the trusted TLS-terminating proxy appended to
    `X-Forwarded-For` when the socket's peer is that proxy, else the peer. (`AsgiServer`
    never lets uvicorn rewrite the peer from that header.)"""
    peer = _client(request)
    forwarded = request.headers.get("x-forwarded-for", "")
    if not forwarded or not trusted_proxies:
        return peer
    try:
        from_proxy = any(ip_address(peer) in network for network in trusted_proxies)
    except ValueError:
        return peer
    # The proxy appends the address it saw: the last entry; the ones before are the client's say.
    last = forwarded.split(",")[-1].strip()
    return last if from_proxy and last else peer


def login_rate_limit(
    settings: FrontSettings, trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
) -> RateLimitConfig:
    """Login starts per client address and minute (429 beyond); behind the trusted proxy, per
    forwarded client address, not one budget for everyone behind it."""
    return RateLimitConfig(
        rate_limit=("minute", settings.login_rate_per_minute),
        set_rate_limit_headers=False,
        identifier_for_request=functools.partial(client_address, trusted_proxies=trusted_proxies),
    )


def login_required(request: AnyRequest, exc: LoginRequired) -> Response[Any]:
    """Anonymous on a page: to the login, back here after; an expired session: a page that
    says so, with the way back (what was typed is kept, see `take_draft`)."""
    login_url = f"{LOGIN_PATH}?{urlencode({'next': exc.next_url})}"
    if exc.expired:
        return error_page(
            request,
            401,
            "Votre session a expiré après une période d’inactivité : reconnectez-vous pour "
            "continuer. Ce que vous aviez saisi est conservé.",
            login_url=login_url,
        )
    return Redirect(login_url)


@get(LOGIN_PATH, opt={"role": None}, include_in_schema=False)
async def login(request: AnyRequest, next: FromQuery[str | None] = None) -> Response[Any]:
    """Send the browser to the realm (code + PKCE); the callback comes back here."""
    party = relying_party(request)
    if party is None:
        log.warning("the front has no issuer: set SAS_WEB_OIDC_ISSUER or mount the realm")
        return error_page(request, 503)
    try:
        url, pending = await party.begin(local_path(next))
    except LoginFailed as exc:
        log.warning("the login provider is unavailable: %s", exc)
        return error_page(request, 503)
    # Who is logged in stays so until the new login succeeds (the callback replaces it).
    session = dict(request.session)
    session["pending"] = pending.as_dict()
    request.set_session(session)
    return Redirect(url)


@get(CALLBACK_PATH, opt={"role": None}, include_in_schema=False)
async def callback(request: AnyRequest) -> Response[Any]:
    """The realm sent the browser back: verify, open the session with the user's roles."""
    pending_data = request.session.get("pending")
    if not pending_data:
        return error_page(request, 400, "La connexion a expiré : recommencez.")
    pending = PendingLogin.from_dict(pending_data)
    party = relying_party(request)
    if party is None:
        return error_page(request, 503)
    params = {k: str(v) for k, v in request.query_params.items()}
    try:
        logged = await party.finish(params, pending)
        claims = logged.claims
        if "email" not in claims:
            info = await party.userinfo(logged.access_token)
            # OIDC Core §5.3.2: userinfo about someone else must not be used.
            if str(info.get("sub")) != str(claims["sub"]):
                raise LoginFailed("userinfo names another subject than the ID token")
            claims = {**claims, **info}
    except LoginFailed as exc:
        security_event(
            "login_failed", reason="front_callback", detail=str(exc), client=_client(request)
        )
        return error_page(request, 401, "La connexion a échoué : recommencez.")
    settings = settings_of(request)
    email = str(claims.get("email", ""))
    name = " ".join(str(claims[k]) for k in ("given_name", "family_name") if claims.get(k))
    now = time.time()
    session: dict[str, Any] = {
        "user": {
            "sub": str(claims["sub"]),
            "email": email,
            "name": name or email,
            "roles": list(roles_of(email, settings.admins)),
            "national_id": claims.get(NATIONAL_ID_CLAIM),
        },
        "since": now,
        "seen": now,
    }
    if "draft" in request.session:
        session["draft"] = request.session["draft"]
    request.set_session(session)
    return Redirect(pending.return_to)


@post(LOGOUT_FRONT_PATH, opt={"role": None}, include_in_schema=False)
async def logout(request: AnyRequest) -> Response[Any]:
    """End the front's session, then the realm's (RP-initiated logout, back to the home page)."""
    request.clear_session()
    settings = settings_of(request)
    origin = str(request.base_url).rstrip("/")
    if settings.oidc_issuer:
        return Redirect("/")
    query = urlencode(
        {"client_id": settings.oidc_client_id, "post_logout_redirect_uri": f"{origin}/"}
    )
    return Redirect(f"{LOGOUT_PATH}?{query}")
