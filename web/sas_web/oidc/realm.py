"""The realm `sas` apart from HTTP: which hosts it answers and under which issuer, its Authlib
servers, sessions and keys, who may log in (the development form, or Pro Santé Connect as the
upstream) and what a login opens (a session, the account sync), what userinfo and a logout
accept. `controller` speaks HTTP on top of it.

The realm answers only for its own hosts (the issuer's, `SAS_OIDC_ALLOWED_HOSTS`, loopback): the
issuer, and every URL derived from it, never comes from an arbitrary `Host` header. Login
refusals are security events (`sas_core.serving.security_log`), logged here; the others (code
replays, invalid tokens, unknown hosts) where they are decided.
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
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import anyio.to_thread
from authlib.oidc.core import UserInfo

from sas_core.accounts.models import Regulator
from sas_core.accounts.sync import regulator_logged_in
from sas_core.plugins.host import PluginHost
from sas_core.registry.adapters_file import AdapterDirectory
from sas_core.serving.security_log import security_event
from sas_core.sso.relying_party import LoginFailed, PendingLogin, RelyingParty
from sas_core.storage.realm import RealmStore
from sas_web.oidc.clients import OidcClient
from sas_web.oidc.grants import Principal, RealmServer
from sas_web.oidc.keys import SigningKeys
from sas_web.oidc.paths import ACCOUNT_PATH, BROKER_CALLBACK, PROTOCOL, REALM
from sas_web.oidc.sessions import BrowserSession, Sessions
from sas_web.oidc.settings import OidcSettings
from sas_web.oidc.throttle import LoginThrottle
from sas_web.oidc.tokens import TokenRefused, access_token_claims, user_info

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

#: Called once a regulator has logged in (INT_R02 account sync, digest §7.1).
LoginHook = Callable[[Regulator], Awaitable[object]]
#: Host headers the realm always answers: a loopback name can only send a browser to its own
#: machine, so deriving the issuer from it redirects nobody elsewhere.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
_HOST = re.compile(r"(?P<name>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{1,5}))?")
#: Authlib servers and upstream clients kept, one per issuer the realm answered under (several
#: only without `SAS_OIDC_ISSUER`; a Host entry without a port allows any port, so the older
#: ones are dropped rather than kept for every port a request names).
ISSUERS_KEPT = 16


def account_sync_at_login(
    engine: Engine, host: PluginHost, directory: AdapterDirectory
) -> LoginHook:
    """The login hook `sas serve` installs: the account services' login entry point."""

    async def sync(regulator: Regulator) -> object:
        return await regulator_logged_in(engine, host, directory, regulator.id)

    return sync


def parse_host(text: str) -> tuple[str, int | None] | None:
    """`(name, port)` of a `Host` header or an allowed-hosts entry (`name[:port]`, IPv6 in
    brackets), the name lowercased; None when it is not one."""
    match = _HOST.fullmatch(text.strip())
    if match is None:
        return None
    return match["name"].lower().strip("[]"), int(match["port"]) if match["port"] else None


def local_return_to(return_to: str) -> str | None:
    """Where the development login may send the browser back: only into this realm (its
    account page, or an authorization to resume), never an open redirect; None otherwise."""
    return_to = return_to or ACCOUNT_PATH
    if return_to != ACCOUNT_PATH and not return_to.startswith(f"{PROTOCOL}/auth?"):
        return None
    return return_to


class LoginThrottled(Exception):
    """Too many recent failures: no password is checked before `retry_after_s` seconds."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(retry_after_s)
        self.retry_after_s = retry_after_s


class LoginRefused(Exception):
    """No login: `reason` (as in the security event) says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LogoutRefused(Exception):
    """The logout's return address is not one of the client's, or the client not the hint's."""

    def __init__(self, client_id: str | None) -> None:
        super().__init__(client_id)
        self.client_id = client_id


def _now() -> datetime:
    return datetime.now(UTC)


def _checked(settings: OidcSettings) -> OidcSettings:
    """Refuse, loudly, a configuration that would let anyone in or nobody."""
    s = settings
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
    return s


def _allowed_hosts(settings: OidcSettings) -> list[tuple[str, int | None]]:
    entries = [*settings.allowed_hosts, *LOOPBACK_HOSTS]
    if settings.issuer:
        entries.append(urlsplit(settings.issuer).netloc)
    hosts = []
    for entry in entries:
        parsed = parse_host(entry)
        if parsed is None:
            raise ValueError(f"SAS_OIDC_ALLOWED_HOSTS: {entry!r} is not a host[:port]")
        hosts.append(parsed)
    return hosts


class Realm:
    """The realm's state and rules on the platform's database."""

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
        self.settings = s = _checked(settings or OidcSettings())
        self._store = RealmStore(engine)
        self.clients = dict(clients)
        self.keys = SigningKeys(engine, timedelta(seconds=s.key_retention_s))
        self.sessions = Sessions(
            self._store,
            clock,
            timedelta(seconds=s.session_ttl_s),
            timedelta(seconds=s.session_idle_s),
        )
        self.on_login = on_login
        self._background: set[asyncio.Task[object]] = set()
        self._servers = functools.lru_cache(maxsize=ISSUERS_KEPT)(self._new_server)
        self._upstream = functools.lru_cache(maxsize=ISSUERS_KEPT)(self._new_relying_party)
        self._hosts = _allowed_hosts(s)
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

    # -- hosts and issuers -----------------------------------------------------------------------

    def host_allowed(self, host: str) -> bool:
        """Whether the realm answers this `Host` header (an entry without a port: any port)."""
        parsed = parse_host(host)
        return parsed is not None and any(
            parsed[0] == name and (port is None or parsed[1] == port) for name, port in self._hosts
        )

    def issuer(self, scheme: str, host: str) -> str:
        """`SAS_OIDC_ISSUER`, else the request's scheme and Host, which must have passed
        `host_allowed`."""
        return self.settings.issuer or f"{scheme}://{host}{REALM}"

    def server(self, issuer: str) -> RealmServer:
        """The Authlib server of this issuer, made once (the last few issuers are kept: one
        in production, where `SAS_OIDC_ISSUER` is set)."""
        return self._servers(issuer)

    def _new_server(self, issuer: str) -> RealmServer:
        return RealmServer(
            issuer,
            self.clients,
            self._store,
            self.keys,
            code_ttl=timedelta(seconds=self.settings.code_ttl_s),
            token_ttl_s=self.settings.token_ttl_s,
        )

    # -- logins ----------------------------------------------------------------------------------

    def principal(self, session: BrowserSession | None) -> Principal | None:
        """Who the session is logged in as, while they are an active regulator."""
        if session is None or session.regulator_id is None or session.auth_time is None:
            return None
        regulator = self._store.active_regulator(session.regulator_id)
        return Principal(regulator, session.auth_time) if regulator is not None else None

    def local_login(self, email: str, password: str, address: str) -> Regulator:
        """Development login: a known regulator's e-mail and the shared development password,
        unless the account or the address is throttled (`LoginThrottled`); else
        `LoginRefused`, without saying whether the e-mail or the password was wrong."""
        expected = self.settings.dev_password
        assert expected is not None
        account = email.strip().lower()
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
            raise LoginThrottled(seconds)
        regulator = self._store.active_regulator_by(email=email)
        if (
            not hmac.compare_digest(password.encode(), expected.get_secret_value().encode())
            or regulator is None
        ):
            self._account_failures.failed(account)
            self._address_failures.failed(address)
            reason = "unknown_account" if regulator is None else "wrong_password"
            security_event(
                "login_failed",
                reason=reason,
                account=self._pseudonym(account),
                regulator=regulator.id if regulator else None,
                client=address,
                login=self.settings.login,
            )
            raise LoginRefused(reason)
        self._account_failures.succeeded(account)
        return regulator

    def _pseudonym(self, account: str) -> str:
        return hmac.new(self._pseudonym_key, account.encode(), hashlib.sha256).hexdigest()[:16]

    async def begin_upstream_login(
        self, issuer: str, return_to: str, replaces: str | None
    ) -> tuple[str, str]:
        """Where to send the browser at Pro Santé Connect, and the new session keeping the
        login's state until it comes back; `LoginFailed` when Pro Santé Connect is down."""
        url, pending = await self._relying_party(issuer).begin(return_to)
        token = await anyio.to_thread.run_sync(
            lambda: self.sessions.open(pending=pending.as_dict(), replaces=replaces)
        )
        return url, token

    async def upstream_login(
        self, issuer: str, params: dict[str, str], pending: PendingLogin, address: str
    ) -> Regulator:
        """Pro Santé Connect sent the browser back: verify its answer and map its national id
        to an active regulator; else `LoginRefused`."""
        upstream = self._relying_party(issuer)
        claim = self.settings.upstream_id_claim
        try:
            logged = await upstream.finish(params, pending)
            claims = logged.claims
            if claim not in claims:
                claims = {**claims, **await upstream.userinfo(logged.access_token)}
        except LoginFailed as exc:
            security_event(
                "login_failed",
                reason="upstream_refused",
                detail=str(exc),
                client=address,
                login=self.settings.login,
            )
            raise LoginRefused("upstream_refused") from None
        national_id = claims.get(claim)
        regulator = (
            await anyio.to_thread.run_sync(
                lambda: self._store.active_regulator_by(national_id=str(national_id))
            )
            if national_id
            else None
        )
        if regulator is None:
            security_event(
                "login_failed",
                reason="unknown_identity",
                client=address,
                login=self.settings.login,
            )
            raise LoginRefused("unknown_identity")
        return regulator

    def _relying_party(self, issuer: str) -> RelyingParty:
        """The realm as Pro Santé Connect's client, called back under this issuer (made once:
        the client caches Pro Santé Connect's discovery document and keys)."""
        return self._upstream(issuer)

    def _new_relying_party(self, issuer: str) -> RelyingParty:
        s = self.settings
        assert s.upstream_issuer and s.upstream_client_id and s.upstream_client_secret
        return RelyingParty(
            s.upstream_issuer,
            s.upstream_client_id,
            f"{issuer}{BROKER_CALLBACK.removeprefix(REALM)}",  # the callback's URL
            client_secret=s.upstream_client_secret.get_secret_value(),
            scope=s.upstream_scopes,
            verify=(
                ssl.create_default_context(cafile=str(s.upstream_ca_bundle))
                if s.upstream_ca_bundle
                else True
            ),
        )

    async def logged_in(self, regulator: Regulator, replaces: str | None, address: str) -> str:
        """Open the regulator's session (a new id) and start the account sync (INT_R02);
        returns the session id."""
        token = await anyio.to_thread.run_sync(
            lambda: self.sessions.open(regulator_id=regulator.id, replaces=replaces)
        )
        security_event(
            "login_succeeded",
            level=logging.INFO,
            regulator=regulator.id,
            client=address,
            login=self.settings.login,
        )
        if self.on_login is not None:
            # In the background: a slow vendor must not hold the regulator's login.
            task: asyncio.Task[object] = asyncio.ensure_future(self._run_login_hook(regulator))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return token

    async def _run_login_hook(self, regulator: Regulator) -> object:
        assert self.on_login is not None
        try:
            return await self.on_login(regulator)
        except Exception:
            log.exception("the login hook failed for regulator %s", regulator.id)
            return None

    # -- userinfo and logout ---------------------------------------------------------------------

    def userinfo(self, access_token: str, issuer: str) -> UserInfo:
        """The claims userinfo answers for this access token; else `TokenRefused`."""
        claims = access_token_claims(self.keys, access_token, issuer)
        scope = str(claims.get("scope", ""))
        if "openid" not in scope.split():
            raise TokenRefused("insufficient_scope", 403, "insufficient_scope")
        regulator = self._store.active_regulator(uuid.UUID(str(claims["sub"])))
        if regulator is None:
            raise TokenRefused("invalid_token", 401, "unknown_subject")
        return user_info(regulator, scope)

    def logout_client(
        self, asked: str | None, audience: list[str], redirect: str | None
    ) -> str | None:
        """The client a logout is for (`client_id`, else the hint's only audience), which must
        be the hint's and own `redirect` (exact match); else `LogoutRefused`."""
        client_id = asked or (audience[0] if len(audience) == 1 else None)
        client = self.clients.get(client_id) if client_id else None
        if (client_id and audience and client_id not in audience) or (
            redirect and (client is None or not client.check_redirect_uri(redirect))
        ):
            raise LogoutRefused(client_id)
        return client_id
