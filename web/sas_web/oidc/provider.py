"""The platform's OpenID Connect realm `sas` (digest §8.2): vendors delegate the login of users
arriving with `origin` to it, as the real platform's Keycloak realm brokering Pro Santé Connect.

Paths follow Keycloak's layout, which vendors configure against (`/realms/sas/...`):
- `GET /realms/sas/.well-known/openid-configuration`: discovery;
- `GET /realms/sas/protocol/openid-connect/auth`: authorization code flow; PKCE S256 (required
  for public clients, `plain` refused); answers silently with a code when the browser has a
  platform session, `error=login_required` for `prompt=none` without one;
- `POST /realms/sas/protocol/openid-connect/token`: client_secret_basic/post or none (public);
- `GET|POST /realms/sas/protocol/openid-connect/userinfo`: bearer access token;
- `GET /realms/sas/protocol/openid-connect/certs`: the JWKS;
- `GET|POST /realms/sas/protocol/openid-connect/logout`: RP-initiated logout (`end_session`);
- `GET|POST /realms/sas/login-actions/authenticate`: the local login form (development only);
- `GET /realms/sas/broker/psc/endpoint`: the callback of the upstream Pro Santé Connect login.

The OAuth 2 and OpenID Connect rules are Authlib's, wired once in `grants`; tokens and claims
are `tokens`'; this module keeps sessions and speaks HTTP.

The realm answers only for its own hosts (the issuer's, `SAS_OIDC_ALLOWED_HOSTS`, loopback): the
issuer, and every URL derived from it, never comes from an arbitrary `Host` header. Refusals —
failed and throttled logins, code replays, invalid tokens, unknown hosts — are security events
(`sas_core.serving.security_log`).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import logging
import math
import re
import secrets
import ssl
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import anyio.to_thread
import orjson
from authlib.oauth2 import OAuth2Error
from litestar import Request, Response, Router, get, post, route
from litestar.datastructures import Cookie

from sas_core.accounts.models import Regulator
from sas_core.accounts.sync import regulator_logged_in
from sas_core.plugins.host import PluginHost
from sas_core.registry.adapters_file import AdapterDirectory
from sas_core.serving.security_log import security_event
from sas_core.sso.relying_party import LoginFailed, PendingLogin, RelyingParty
from sas_core.storage.realm import RealmStore
from sas_web.oidc import pages
from sas_web.oidc.clients import OidcClient
from sas_web.oidc.grants import OAuthRequest, Principal, RealmServer, discovery_document
from sas_web.oidc.keys import SigningKeys
from sas_web.oidc.paths import (
    ACCOUNT_PATH,
    BROKER_CALLBACK,
    LOGIN_PATH,
    LOGOUT_PATH,
    PROTOCOL,
    REALM,
)
from sas_web.oidc.sessions import SESSION_COOKIE, BrowserSession, Sessions, session_cookie
from sas_web.oidc.settings import OidcSettings
from sas_web.oidc.throttle import LoginThrottle
from sas_web.oidc.tokens import (
    TokenRefused,
    access_token_claims,
    id_token_subject,
    user_info,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

#: Authlib servers kept, one per issuer the realm answered under (several only without
#: `SAS_OIDC_ISSUER`: a Host entry without a port allows any port).
ISSUERS_KEPT = 16

#: Called once a regulator has logged in (INT_R02 account sync, digest §7.1).
LoginHook = Callable[[Regulator], Awaitable[object]]
#: Host headers the realm always answers: a loopback name can only send a browser to its own
#: machine, so deriving the issuer from it redirects nobody elsewhere.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
_HOST = re.compile(r"(?P<name>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{1,5}))?")


def account_sync_at_login(
    engine: Engine, host: PluginHost, directory: AdapterDirectory
) -> LoginHook:
    """The login hook `sas serve` installs: the account services' login entry point."""

    async def sync(regulator: Regulator) -> object:
        return await regulator_logged_in(engine, host, directory, regulator.id)

    return sync


def _now() -> datetime:
    return datetime.now(UTC)


def parse_host(text: str) -> tuple[str, int | None] | None:
    """`(name, port)` of a `Host` header or an allowed-hosts entry (`name[:port]`, IPv6 in
    brackets), the name lowercased; None when it is not one."""
    match = _HOST.fullmatch(text.strip())
    if match is None:
        return None
    return match["name"].lower().strip("[]"), int(match["port"]) if match["port"] else None


class OidcProvider:
    """The realm: Authlib's authorization server on the platform's database."""

    def __init__(
        self,
        engine: Engine,
        clients: Mapping[str, OidcClient],
        settings: OidcSettings | None = None,
        *,
        on_login: LoginHook | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        """`clock` times sessions and login throttling (tests move it instead of waiting)."""
        self.settings = settings or OidcSettings()
        self._check_login_mode()
        self.store = RealmStore(engine)
        self.clients = dict(clients)
        self.keys = SigningKeys(engine, timedelta(seconds=self.settings.key_retention_s))
        self.sessions = Sessions(
            self.store,
            clock,
            timedelta(seconds=self.settings.session_ttl_s),
            timedelta(seconds=self.settings.session_idle_s),
        )
        self.on_login = on_login
        self._background: set[asyncio.Task[object]] = set()
        self._upstream: dict[str, RelyingParty] = {}
        self._servers = functools.lru_cache(maxsize=ISSUERS_KEPT)(self._new_server)
        self._hosts = self._allowed_hosts()
        s = self.settings
        window, lockout = (
            timedelta(seconds=s.login_failure_window_s),
            timedelta(seconds=s.login_lockout_s),
        )
        self._account_failures = LoginThrottle(s.login_max_failures, window, lockout, clock)
        self._address_failures = LoginThrottle(
            s.login_max_failures_per_address, window, lockout, clock
        )
        # Failed logins name the account by a pseudonym: the e-mail field sometimes holds a
        # password typed in the wrong box. Keyed per process, so it cannot be looked up offline.
        self._pseudonym_key = secrets.token_bytes(32)

    def _allowed_hosts(self) -> list[tuple[str, int | None]]:
        entries = [*self.settings.allowed_hosts, *LOOPBACK_HOSTS]
        if self.settings.issuer:
            entries.append(urlsplit(self.settings.issuer).netloc)
        hosts = []
        for entry in entries:
            parsed = parse_host(entry)
            if parsed is None:
                raise ValueError(f"SAS_OIDC_ALLOWED_HOSTS: {entry!r} is not a host[:port]")
            hosts.append(parsed)
        return hosts

    def _check_login_mode(self) -> None:
        """Refuse, loudly, a configuration that would let anyone in or nobody."""
        s = self.settings
        if s.login == "local" and not (s.development and s.dev_password):
            raise ValueError(
                "SAS_OIDC_LOGIN=local is the DEVELOPMENT login (e-mail + a shared password): "
                "it needs SAS_OIDC_DEVELOPMENT=1 and SAS_OIDC_DEV_PASSWORD; production uses "
                "SAS_OIDC_LOGIN=pro-sante-connect"
            )
        if s.login == "pro-sante-connect" and not (
            s.upstream_issuer and s.upstream_client_id and s.upstream_client_secret
        ):
            raise ValueError(
                "SAS_OIDC_LOGIN=pro-sante-connect needs SAS_OIDC_UPSTREAM_ISSUER, "
                "SAS_OIDC_UPSTREAM_CLIENT_ID and SAS_OIDC_UPSTREAM_CLIENT_SECRET"
            )

    def _new_server(self, issuer: str) -> RealmServer:
        return RealmServer(
            issuer,
            self.clients,
            self.store,
            self.keys,
            code_ttl=timedelta(seconds=self.settings.code_ttl_s),
            token_ttl_s=self.settings.token_ttl_s,
        )

    def server(self, issuer: str) -> RealmServer:
        """The Authlib server of this issuer, made once (the last few issuers are kept: one
        in production, where `SAS_OIDC_ISSUER` is set)."""
        return self._servers(issuer)

    # -- regulators and claims -------------------------------------------------------------------

    def regulator(self, regulator_id: uuid.UUID) -> Regulator | None:
        """The active regulator with this id, or None."""
        return self.store.active_regulator(regulator_id)

    def regulator_by(
        self, *, email: str | None = None, national_id: str | None = None
    ) -> Regulator | None:
        return self.store.active_regulator_by(email=email, national_id=national_id)

    # -- sessions --------------------------------------------------------------------------------

    async def _logged_in(
        self,
        request: Request[Any, Any, Any],
        regulator: Regulator,
        replaces: str | None,
        return_to: str,
    ) -> Response[bytes]:
        """Open the regulator's session, start the account sync (INT_R02), resume the flow."""
        token = await anyio.to_thread.run_sync(
            lambda: self.sessions.open(regulator_id=regulator.id, replaces=replaces)
        )
        security_event(
            "login_succeeded",
            level=logging.INFO,
            regulator=regulator.id,
            client=_client_of(request),
            login=self.settings.login,
        )
        if self.on_login is not None:
            # In the background: a slow vendor must not hold the regulator's login.
            task: asyncio.Task[object] = asyncio.ensure_future(self._run_login_hook(regulator))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return _redirect(return_to, [self._cookie(request, token)])

    async def _run_login_hook(self, regulator: Regulator) -> object:
        assert self.on_login is not None
        try:
            return await self.on_login(regulator)
        except Exception:
            log.exception("the login hook failed for regulator %s", regulator.id)
            return None

    def _cookie(self, request: Request[Any, Any, Any], token: str | None) -> Cookie:
        """Secure when the browser's side is HTTPS: the issuer's scheme, which a TLS-terminating
        proxy's plain-HTTP hop does not change. No token: the cookie is cleared."""
        return session_cookie(token, secure=urlsplit(self.issuer(request)).scheme == "https")

    # -- HTTP ------------------------------------------------------------------------------------

    def issuer(self, request: Request[Any, Any, Any]) -> str:
        """`SAS_OIDC_ISSUER`, else the request's scheme and Host — which `_refuse_unknown_host`
        has checked against the allowed hosts before any handler runs."""
        return self.settings.issuer or f"{request.url.scheme}://{request.headers['host']}{REALM}"

    def host_allowed(self, host: str) -> bool:
        """Whether the realm answers this `Host` header (an entry without a port: any port)."""
        parsed = parse_host(host)
        return parsed is not None and any(
            parsed[0] == name and (port is None or parsed[1] == port) for name, port in self._hosts
        )

    def _refuse_unknown_host(self, request: Request[Any, Any, Any]) -> Response[bytes] | None:
        """400 for a Host the realm does not serve, rather than an issuer (and redirects,
        cookies, discovery) made from whatever the request said."""
        host = request.headers.get("host", "")
        if self.host_allowed(host):
            return None
        security_event("unknown_host", host=host, client=_client_of(request))
        return pages.message("Demande refusée", "Hôte inconnu. / Unknown host.", 400)

    def _public_url(self, request: Request[Any, Any, Any]) -> str:
        """The request's URL as the browser sent it: the issuer's scheme and host. Behind a
        TLS-terminating proxy the socket sees plain HTTP, which Authlib refuses as insecure."""
        issuer = urlsplit(self.issuer(request))
        return urlunsplit((issuer.scheme, issuer.netloc, request.url.path, request.url.query, ""))

    def router(self) -> Router:
        """The realm's handlers, each behind the Host check."""
        provider = self

        # A function, not a bound method: Litestar deep-copies routers, hooks included.
        def known_host(request: Request[Any, Any, Any]) -> Response[bytes] | None:
            return provider._refuse_unknown_host(request)

        @get(f"{REALM}/.well-known/openid-configuration", sync_to_thread=False)
        def discovery(request: Request[Any, Any, Any]) -> Response[bytes]:
            return _json(discovery_document(provider.issuer(request)))

        @get(f"{PROTOCOL}/certs")
        async def certs() -> Response[bytes]:
            return _json(await anyio.to_thread.run_sync(provider.keys.jwks))

        @get(f"{PROTOCOL}/auth")
        async def authorize(request: Request[Any, Any, Any]) -> Response[bytes]:
            return await provider._authorize(request)

        @post(f"{PROTOCOL}/token")
        async def token(request: Request[Any, Any, Any]) -> Response[bytes]:
            form = {k: str(v) for k, v in (await request.form()).items()}
            oauth = OAuthRequest("POST", provider._public_url(request), form, request.headers)
            server = provider.server(provider.issuer(request))
            response: Response[bytes] = await anyio.to_thread.run_sync(
                server.create_token_response, oauth
            )
            if response.status_code != 200:
                security_event(
                    "token_refused",
                    error=orjson.loads(response.content or b"{}").get("error"),
                    client_id=oauth.client.client_id if oauth.client else form.get("client_id"),
                    client=_client_of(request),
                )
            return response

        @route(f"{PROTOCOL}/userinfo", http_method=["GET", "POST"])
        async def userinfo(request: Request[Any, Any, Any]) -> Response[bytes]:
            return await anyio.to_thread.run_sync(
                provider._userinfo,
                request.headers.get("authorization", ""),
                provider.issuer(request),
                _client_of(request),
            )

        @route(LOGOUT_PATH, http_method=["GET", "POST"])
        async def logout(request: Request[Any, Any, Any]) -> Response[bytes]:
            return await provider._logout(request)

        @route(LOGIN_PATH, http_method=["GET", "POST"])
        async def local_login(request: Request[Any, Any, Any]) -> Response[bytes]:
            return await provider._local_login(request)

        @get(ACCOUNT_PATH)
        async def account(request: Request[Any, Any, Any]) -> Response[bytes]:
            return await provider._account(request)

        @get(BROKER_CALLBACK)
        async def broker_callback(request: Request[Any, Any, Any]) -> Response[bytes]:
            return await provider._broker_callback(request)

        return Router(
            "/",
            route_handlers=[
                discovery,
                certs,
                authorize,
                token,
                userinfo,
                logout,
                local_login,
                account,
                broker_callback,
            ],
            before_request=known_host,
        )

    async def _authorize(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        cookie = request.cookies.get(SESSION_COOKIE)
        session = await anyio.to_thread.run_sync(self.sessions.current, cookie)
        principal: Principal | None = None
        if session is not None and session.regulator_id is not None and session.auth_time:
            regulator = await anyio.to_thread.run_sync(self.regulator, session.regulator_id)
            if regulator is not None:
                principal = Principal(regulator, session.auth_time)
        query = {k: str(v) for k, v in request.query_params.items()}
        oauth = OAuthRequest("GET", self._public_url(request), query, request.headers)
        server = self.server(self.issuer(request))
        try:
            grant = server.get_consent_grant(oauth, end_user=principal)
        except OAuth2Error as error:
            if error.redirect_uri:
                response: Response[bytes] = server.handle_error_response(oauth, error)
                return response
            return pages.message(
                "Demande refusée", error.get_error_description() or error.error, 400
            )
        if principal is None or query.get("prompt") == "login":
            # The login about to happen satisfies `prompt=login`: resuming with it would ask again
            # forever. The ID token's `auth_time` tells the client when it happened.
            resume = {k: v for k, v in query.items() if k != "prompt"}
            return_to = f"{PROTOCOL}/auth?{urlencode(resume)}"
            return await self._start_login(request, session, return_to)
        issued: Response[bytes] = await anyio.to_thread.run_sync(
            lambda: server.create_authorization_response(oauth, grant_user=principal, grant=grant)
        )
        return issued

    async def _start_login(
        self, request: Request[Any, Any, Any], session: BrowserSession | None, return_to: str
    ) -> Response[bytes]:
        if self.settings.login == "local":
            return _redirect(f"{LOGIN_PATH}?{urlencode({'return_to': return_to})}")
        upstream = self._relying_party(request)
        try:
            url, pending = await upstream.begin(return_to)
        except LoginFailed as exc:
            log.warning("Pro Santé Connect is unavailable: %s", exc)
            return pages.message("Connexion indisponible", "Pro Santé Connect ne répond pas.", 502)
        token = await anyio.to_thread.run_sync(
            lambda: self.sessions.open(
                pending=pending.as_dict(), replaces=session.token if session else None
            )
        )
        return _redirect(url, [self._cookie(request, token)])

    def _relying_party(self, request: Request[Any, Any, Any]) -> RelyingParty:
        s = self.settings
        redirect_uri = f"{self.issuer(request)}/broker/psc/endpoint"
        if redirect_uri not in self._upstream:
            assert s.upstream_issuer and s.upstream_client_id and s.upstream_client_secret
            self._upstream[redirect_uri] = RelyingParty(
                s.upstream_issuer,
                s.upstream_client_id,
                redirect_uri,
                client_secret=s.upstream_client_secret.get_secret_value(),
                scope=s.upstream_scopes,
                verify=(
                    ssl.create_default_context(cafile=str(s.upstream_ca_bundle))
                    if s.upstream_ca_bundle
                    else True
                ),
            )
        return self._upstream[redirect_uri]

    async def _broker_callback(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """Pro Santé Connect sent the browser back: verify, map its national id to a regulator."""
        session = await anyio.to_thread.run_sync(
            self.sessions.current, request.cookies.get(SESSION_COOKIE)
        )
        if session is None or not session.pending:
            return pages.message("Connexion expirée", "Recommencez depuis le logiciel.", 400)
        pending = PendingLogin.from_dict(session.pending)
        upstream = self._relying_party(request)
        params = {k: str(v) for k, v in request.query_params.items()}
        try:
            logged = await upstream.finish(params, pending)
            claims = logged.claims
            claim = self.settings.upstream_id_claim
            if claim not in claims:
                claims = {**claims, **await upstream.userinfo(logged.access_token)}
        except LoginFailed as exc:
            security_event(
                "login_failed",
                reason="upstream_refused",
                detail=str(exc),
                client=_client_of(request),
                login=self.settings.login,
            )
            return pages.message(
                "Connexion refusée", "La connexion Pro Santé Connect a échoué.", 401
            )
        national_id = claims.get(claim)
        regulator = (
            await anyio.to_thread.run_sync(lambda: self.regulator_by(national_id=str(national_id)))
            if national_id
            else None
        )
        if regulator is None:
            security_event(
                "login_failed",
                reason="unknown_identity",
                client=_client_of(request),
                login=self.settings.login,
            )
            return pages.message(
                "Compte inconnu", "Aucun régulateur actif du SAS n'a cet identifiant national.", 403
            )
        return await self._logged_in(request, regulator, session.token, pending.return_to)

    async def _account(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """The session's regulator, or the way to log in (a platform login without a vendor)."""
        session = await anyio.to_thread.run_sync(
            self.sessions.current, request.cookies.get(SESSION_COOKIE)
        )
        regulator_id = session.regulator_id if session else None
        regulator = (
            await anyio.to_thread.run_sync(self.regulator, regulator_id) if regulator_id else None
        )
        if regulator is None:
            if self.settings.login == "local":
                return _redirect(LOGIN_PATH)
            return await self._start_login(request, session, ACCOUNT_PATH)
        return pages.account(regulator)

    async def _local_login(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """Development login: a known regulator's e-mail and the shared development password."""
        if self.settings.login != "local":
            return pages.message("Indisponible", "La connexion locale est désactivée.", 404)
        if request.method == "GET":
            return_to = request.query_params.get("return_to", "")
            return pages.login_form(return_to)
        form = await request.form()
        return_to = str(form.get("return_to", ""))
        email = str(form.get("email", ""))
        password = str(form.get("password", ""))
        # Only back into this realm: never an open redirect.
        return_to = return_to or ACCOUNT_PATH
        if return_to != ACCOUNT_PATH and not return_to.startswith(f"{PROTOCOL}/auth?"):
            return pages.message("Demande refusée", "Retour invalide.", 400)
        expected = self.settings.dev_password
        assert expected is not None
        account, address = email.strip().lower(), _client_of(request)
        locked = [
            wait
            for wait in (
                self._account_failures.retry_after(account),
                self._address_failures.retry_after(address),
            )
            if wait is not None
        ]
        if locked:
            # Refused before the password is checked: a right guess now would tell nothing.
            seconds = math.ceil(max(locked).total_seconds())
            security_event(
                "login_throttled",
                account=self._pseudonym(account),
                client=address,
                retry_after_s=seconds,
            )
            return pages.login_form(
                return_to,
                f"Trop de tentatives de connexion : réessayez dans {seconds} s. "
                f"/ Too many login attempts: try again in {seconds} s.",
                429,
                {"Retry-After": str(seconds)},
            )
        regulator = await anyio.to_thread.run_sync(lambda: self.regulator_by(email=email))
        if (
            not hmac.compare_digest(password.encode(), expected.get_secret_value().encode())
            or regulator is None
        ):
            self._account_failures.failed(account)
            self._address_failures.failed(address)
            security_event(
                "login_failed",
                reason="unknown_account" if regulator is None else "wrong_password",
                account=self._pseudonym(account),
                regulator=regulator.id if regulator else None,
                client=address,
                login=self.settings.login,
            )
            return pages.login_form(return_to, "E-mail ou mot de passe incorrect.", 401)
        self._account_failures.succeeded(account)
        old = request.cookies.get(SESSION_COOKIE)
        return await self._logged_in(request, regulator, old, return_to)

    def _pseudonym(self, account: str) -> str:
        return hmac.new(self._pseudonym_key, account.encode(), hashlib.sha256).hexdigest()[:16]

    async def _logout(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """RP-initiated logout: end the platform session, clear its cookie, and return to the
        vendor only at one of its registered redirect URIs. Without a valid `id_token_hint`, a
        GET asks first (a link alone must not log a regulator out); the confirmation POSTs."""
        params = dict(request.query_params if request.method == "GET" else await request.form())
        fields = {k: str(v) for k, v in params.items()}
        hint, redirect = fields.get("id_token_hint"), fields.get("post_logout_redirect_uri")
        subject: uuid.UUID | None = None
        audience: list[str] = []
        if hint:
            claims = await anyio.to_thread.run_sync(
                id_token_subject, self.keys, hint, self.issuer(request)
            )
            if claims is None:
                security_event("invalid_token", use="id_token_hint", client=_client_of(request))
                return pages.message("Demande refusée", "id_token_hint invalide.", 400)
            subject = claims[0]
            audience = claims[1]
        client_id = fields.get("client_id") or (audience[0] if len(audience) == 1 else None)
        client = self.clients.get(client_id) if client_id else None
        if (client_id and audience and client_id not in audience) or (
            redirect and (client is None or not client.check_redirect_uri(redirect))
        ):
            security_event("logout_refused", client_id=client_id, client=_client_of(request))
            return pages.message(
                "Demande refusée",
                "Adresse de retour non enregistrée pour ce logiciel. "
                "/ This return address is not registered for this client.",
                400,
            )
        if hint is None and request.method == "GET":
            return pages.logout_form(fields)
        ended = await anyio.to_thread.run_sync(
            self.sessions.end, request.cookies.get(SESSION_COOKIE), subject
        )
        security_event(
            "logout",
            level=logging.INFO,
            regulator=ended,
            client_id=client_id,
            client=_client_of(request),
        )
        cleared = [self._cookie(request, None)]
        if redirect:
            state = fields.get("state")
            back = f"{redirect}{'&' if '?' in redirect else '?'}{urlencode({'state': state})}"
            return _redirect(back if state else redirect, cleared)
        return pages.message(
            "Déconnecté", "Vous êtes déconnecté(e). / You are logged out.", cookies=cleared
        )

    def _userinfo(self, authorization: str, issuer: str, client: str) -> Response[bytes]:
        def refused(error: str, status: int, reason: str) -> Response[bytes]:
            security_event("invalid_token", use="userinfo", reason=reason, client=client)
            return _bearer_error(error, status)

        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return refused("invalid_request", 401, "no_bearer_token")
        try:
            claims = access_token_claims(self.keys, token.strip(), issuer)
        except TokenRefused as exc:
            return refused(exc.error, exc.status, exc.reason)
        scope = str(claims.get("scope", ""))
        if "openid" not in scope.split():
            return refused("insufficient_scope", 403, "insufficient_scope")
        regulator = self.regulator(uuid.UUID(str(claims["sub"])))
        if regulator is None:
            return refused("invalid_token", 401, "unknown_subject")
        return _json(dict(user_info(regulator, scope)))


def _client_of(request: Request[Any, Any, Any]) -> str:
    """The socket's peer (behind a proxy: the proxy)."""
    return request.client.host if request.client else "-"


def _json(body: Mapping[str, Any], status: int = 200) -> Response[bytes]:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _bearer_error(error: str, status: int) -> Response[bytes]:
    return Response(
        orjson.dumps({"error": error}),
        status_code=status,
        media_type="application/json",
        headers={"WWW-Authenticate": f'Bearer realm="sas", error="{error}"'},
    )


def _redirect(location: str, cookies: list[Cookie] | None = None) -> Response[bytes]:
    return Response(b"", status_code=302, headers={"Location": location}, cookies=cookies or [])
