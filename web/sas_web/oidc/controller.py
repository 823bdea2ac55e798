"""The realm's routes, on Keycloak's paths (`paths`): each handler parses the request, calls the
realm (`Realm`, and Authlib's server from `grants`) and renders JSON, a redirect or a page
(`pages`).

- `GET /realms/sas/.well-known/openid-configuration`: discovery;
- `GET /realms/sas/protocol/openid-connect/auth`: authorization code flow; PKCE S256 (required
  for public clients, `plain` refused); answers silently with a code when the browser has a
  platform session, `error=login_required` for `prompt=none` without one;
- `POST /realms/sas/protocol/openid-connect/token`: client_secret_basic/post or none (public);
- `GET|POST /realms/sas/protocol/openid-connect/userinfo`: bearer access token;
- `GET /realms/sas/protocol/openid-connect/certs`: the JWKS;
- `GET|POST /realms/sas/protocol/openid-connect/logout`: RP-initiated logout (`end_session`);
- `GET|POST /realms/sas/login-actions/authenticate`: the local login form (development only);
- `GET /realms/sas/account`: who is logged in;
- `GET /realms/sas/broker/psc/endpoint`: the callback of the upstream Pro Santé Connect login.

Every route is behind the Host check (`realm_router`): a Host the realm does not serve is a 400.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import anyio.to_thread
import orjson
from authlib.oauth2 import OAuth2Error
from litestar import Controller, Request, Response, Router, get, post, route
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide

from sas_core.accounts.models import Regulator
from sas_core.serving.security_log import security_event
from sas_core.sso.relying_party import LoginFailed, PendingLogin
from sas_web.oidc import pages
from sas_web.oidc.grants import OAuthRequest, discovery_document
from sas_web.oidc.paths import (
    ACCOUNT_PATH,
    BROKER_CALLBACK,
    LOGIN_PATH,
    LOGOUT_PATH,
    PROTOCOL,
    REALM,
)
from sas_web.oidc.realm import (
    LoginRefused,
    LoginThrottled,
    LogoutRefused,
    Realm,
    local_return_to,
)
from sas_web.oidc.sessions import SESSION_COOKIE, BrowserSession, session_cookie
from sas_web.oidc.tokens import TokenRefused, id_token_subject

log = logging.getLogger(__name__)

AnyRequest = Request[Any, Any, Any]
#: The realm, injected into every handler by `realm_router`.
TheRealm = NamedDependency[Realm]


class RealmController(Controller):
    """The realm's endpoints; the realm itself is the `realm` dependency (`realm_router`)."""

    @get(f"{REALM}/.well-known/openid-configuration", sync_to_thread=False)
    def discovery(self, request: AnyRequest, realm: TheRealm) -> Response[bytes]:
        return _json(discovery_document(_issuer(realm, request)))

    @get(f"{PROTOCOL}/certs")
    async def certs(self, realm: TheRealm) -> Response[bytes]:
        return _json(await anyio.to_thread.run_sync(realm.keys.jwks))

    @get(f"{PROTOCOL}/auth")
    async def authorize(self, request: AnyRequest, realm: TheRealm) -> Response[bytes]:
        cookie = request.cookies.get(SESSION_COOKIE)
        session = await anyio.to_thread.run_sync(realm.sessions.current, cookie)
        principal = await anyio.to_thread.run_sync(realm.principal, session)
        query = {k: str(v) for k, v in request.query_params.items()}
        oauth = OAuthRequest("GET", _public_url(realm, request), query, request.headers)
        server = realm.server(_issuer(realm, request))
        try:
            # Off the event loop: OpenID Connect's nonce check queries the database.
            grant = await anyio.to_thread.run_sync(
                lambda: server.get_consent_grant(oauth, end_user=principal)
            )
        except OAuth2Error as error:
            if error.redirect_uri:
                refused: Response[bytes] = server.handle_error_response(oauth, error)
                return refused
            return pages.message(
                "Demande refusée", error.get_error_description() or error.error, 400
            )
        if principal is None or query.get("prompt") == "login":
            # The login about to happen satisfies `prompt=login`: resuming with it would ask again
            # forever. The ID token's `auth_time` tells the client when it happened.
            resume = {k: v for k, v in query.items() if k != "prompt"}
            return_to = f"{PROTOCOL}/auth?{urlencode(resume)}"
            return await _start_login(realm, request, session, return_to)
        issued: Response[bytes] = await anyio.to_thread.run_sync(
            lambda: server.create_authorization_response(oauth, grant_user=principal, grant=grant)
        )
        return issued

    @post(f"{PROTOCOL}/token")
    async def token(self, request: AnyRequest, realm: TheRealm) -> Response[bytes]:
        form = {k: str(v) for k, v in (await request.form()).items()}
        oauth = OAuthRequest("POST", _public_url(realm, request), form, request.headers)
        server = realm.server(_issuer(realm, request))
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
    async def userinfo(self, request: AnyRequest, realm: TheRealm) -> Response[bytes]:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        try:
            if scheme.lower() != "bearer" or not token:
                raise TokenRefused("invalid_request", 401, "no_bearer_token")
            claims = await anyio.to_thread.run_sync(
                realm.userinfo, token.strip(), _issuer(realm, request)
            )
        except TokenRefused as refused:
            security_event(
                "invalid_token", use="userinfo", reason=refused.reason, client=_client_of(request)
            )
            return _bearer_error(refused.error, refused.status)
        return _json(dict(claims))

    @route(LOGOUT_PATH, http_method=["GET", "POST"])
    async def logout(self, request: AnyRequest, realm: TheRealm) -> Response[bytes]:
        """RP-initiated logout: end the platform session, clear its cookie, and return to the
        vendor only at one of its registered redirect URIs. Without a valid `id_token_hint`, a
        GET asks first (a link alone must not log a regulator out); the confirmation POSTs."""
        params = dict(request.query_params if request.method == "GET" else await request.form())
        fields = {k: str(v) for k, v in params.items()}
        hint, redirect = fields.get("id_token_hint"), fields.get("post_logout_redirect_uri")
        subject: uuid.UUID | None = None
        audience: list[str] = []
        if hint:
            read = await anyio.to_thread.run_sync(
                id_token_subject, realm.keys, hint, _issuer(realm, request)
            )
            if read is None:
                security_event("invalid_token", use="id_token_hint", client=_client_of(request))
                return pages.message("Demande refusée", "id_token_hint invalide.", 400)
            subject, audience = read
        try:
            client_id = realm.logout_client(fields.get("client_id"), audience, redirect)
        except LogoutRefused as refused:
            security_event(
                "logout_refused", client_id=refused.client_id, client=_client_of(request)
            )
            return pages.message(
                "Demande refusée",
                "Adresse de retour non enregistrée pour ce logiciel. "
                "/ This return address is not registered for this client.",
                400,
            )
        if hint is None and request.method == "GET":
            return pages.logout_form(fields)
        ended = await anyio.to_thread.run_sync(
            realm.sessions.end, request.cookies.get(SESSION_COOKIE), subject
        )
        security_event(
            "logout",
            level=logging.INFO,
            regulator=ended,
            client_id=client_id,
            client=_client_of(request),
        )
        cleared = [_cookie(realm, request, None)]
        if redirect:
            state = fields.get("state")
            back = f"{redirect}{'&' if '?' in redirect else '?'}{urlencode({'state': state})}"
            return _redirect(back if state else redirect, cleared)
        return pages.message(
            "Déconnecté", "Vous êtes déconnecté(e). / You are logged out.", cookies=cleared
        )

    @route(LOGIN_PATH, http_method=["GET", "POST"])
    async def local_login(self, request: AnyRequest, realm: TheRealm) -> Response[bytes]:
        """Development login: a known regulator's e-mail and the shared development password."""
        if realm.settings.login != "local":
            return pages.message("Indisponible", "La connexion locale est désactivée.", 404)
        if request.method == "GET":
            return pages.login_form(request.query_params.get("return_to", ""))
        form = await request.form()
        return_to = local_return_to(str(form.get("return_to", "")))
        if return_to is None:
            return pages.message("Demande refusée", "Retour invalide.", 400)
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        try:
            regulator = await anyio.to_thread.run_sync(
                realm.local_login, email, password, _client_of(request)
            )
        except LoginThrottled as throttled:
            seconds = throttled.retry_after_s
            return pages.login_form(
                return_to,
                f"Trop de tentatives de connexion : réessayez dans {seconds} s. "
                f"/ Too many login attempts: try again in {seconds} s.",
                429,
                {"Retry-After": str(seconds)},
            )
        except LoginRefused:
            return pages.login_form(return_to, "E-mail ou mot de passe incorrect.", 401)
        old = request.cookies.get(SESSION_COOKIE)
        return await _logged_in(realm, request, regulator, old, return_to)

    @get(ACCOUNT_PATH)
    async def account(self, request: AnyRequest, realm: TheRealm) -> Response[bytes]:
        """The session's regulator, or the way to log in (a platform login without a vendor)."""
        cookie = request.cookies.get(SESSION_COOKIE)
        session = await anyio.to_thread.run_sync(realm.sessions.current, cookie)
        principal = await anyio.to_thread.run_sync(realm.principal, session)
        if principal is None:
            if realm.settings.login == "local":
                return _redirect(LOGIN_PATH)
            return await _start_login(realm, request, session, ACCOUNT_PATH)
        return pages.account(principal.regulator)

    @get(BROKER_CALLBACK)
    async def broker_callback(self, request: AnyRequest, realm: TheRealm) -> Response[bytes]:
        """Pro Santé Connect sent the browser back: verify, map its national id to a regulator."""
        cookie = request.cookies.get(SESSION_COOKIE)
        session = await anyio.to_thread.run_sync(realm.sessions.current, cookie)
        if session is None or not session.pending:
            return pages.message("Connexion expirée", "Recommencez depuis le logiciel.", 400)
        pending = PendingLogin.from_dict(session.pending)
        params = {k: str(v) for k, v in request.query_params.items()}
        try:
            regulator = await realm.upstream_login(
                _issuer(realm, request), params, pending, _client_of(request)
            )
        except LoginRefused as refused:
            if refused.reason == "unknown_identity":
                return pages.message(
                    "Compte inconnu",
                    "Aucun régulateur actif du SAS n'a cet identifiant national.",
                    403,
                )
            return pages.message(
                "Connexion refusée", "La connexion Pro Santé Connect a échoué.", 401
            )
        return await _logged_in(realm, request, regulator, session.token, pending.return_to)


def realm_router(realm: TheRealm) -> Router:
    """The realm's routes, each behind the Host check, with `realm` as their dependency."""

    # Functions, not bound methods: Litestar deep-copies routers, hooks and providers included.
    def known_host(request: AnyRequest) -> Response[bytes] | None:
        """400 for a Host the realm does not serve, rather than an issuer (and redirects,
        cookies, discovery) made from whatever the request said."""
        host = request.headers.get("host", "")
        if realm.host_allowed(host):
            return None
        security_event("unknown_host", host=host, client=_client_of(request))
        return pages.message("Demande refusée", "Hôte inconnu. / Unknown host.", 400)

    def the_realm() -> Realm:
        return realm

    return Router(
        "/",
        route_handlers=[RealmController],
        dependencies={"realm": Provide(the_realm, sync_to_thread=False)},
        before_request=known_host,
        # The JSON API's schema documents the front's API; the realm follows OpenID Connect's.
        include_in_schema=False,
    )


async def _start_login(
    realm: Realm, request: AnyRequest, session: BrowserSession | None, return_to: str
) -> Response[bytes]:
    """Send the browser to log in: the development form, or Pro Santé Connect."""
    if realm.settings.login == "local":
        return _redirect(f"{LOGIN_PATH}?{urlencode({'return_to': return_to})}")
    try:
        url, token = await realm.begin_upstream_login(
            _issuer(realm, request), return_to, session.token if session else None
        )
    except LoginFailed as exc:
        log.warning("Pro Santé Connect is unavailable: %s", exc)
        return pages.message("Connexion indisponible", "Pro Santé Connect ne répond pas.", 502)
    return _redirect(url, [_cookie(realm, request, token)])


async def _logged_in(
    realm: Realm, request: AnyRequest, regulator: Regulator, replaces: str | None, return_to: str
) -> Response[bytes]:
    """Open the regulator's session and resume the flow that asked for the login."""
    token = await realm.logged_in(regulator, replaces, _client_of(request))
    return _redirect(return_to, [_cookie(realm, request, token)])


def _issuer(realm: Realm, request: AnyRequest) -> str:
    return realm.issuer(request.url.scheme, request.headers["host"])


def _public_url(realm: Realm, request: AnyRequest) -> str:
    """The request's URL as the browser sent it: the issuer's scheme and host. Behind a
    TLS-terminating proxy the socket sees plain HTTP, which Authlib refuses as insecure."""
    issuer = urlsplit(_issuer(realm, request))
    return urlunsplit((issuer.scheme, issuer.netloc, request.url.path, request.url.query, ""))


def _cookie(realm: Realm, request: AnyRequest, token: str | None) -> Cookie:
    """Secure when the browser's side is HTTPS: the issuer's scheme, which a TLS-terminating
    proxy's plain-HTTP hop does not change. No token: the cookie is cleared."""
    return session_cookie(token, secure=urlsplit(_issuer(realm, request)).scheme == "https")


def _client_of(request: AnyRequest) -> str:
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
