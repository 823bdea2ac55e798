"""The simulated vendor's side of the SAS SSO ("Flux V2", digest §8.2).

A user arriving with `origin` and no vendor session is sent to the platform's realm as an OpenID
Connect relying party (authorization code, PKCE S256, state, nonce); the callback redeems the
code on the back channel, verifies the ID token against the realm's JWKS and opens a vendor
session. Sessions and logins under way live in memory: the simulator is a test double.
"""

from __future__ import annotations

import secrets
import ssl
from dataclasses import dataclass
from typing import Any

from sas_core.sso.relying_party import LoginFailed, PendingLogin, RelyingParty

SESSION_COOKIE = "sim_session"
LOGIN_COOKIE = "sim_login"
CALLBACK_PATH = "/callback"


@dataclass(frozen=True, slots=True)
class VendorSsoSettings:
    """Where the platform's realm is and who the simulator is there (`--platform-issuer`,
    `--client-id`, `--client-secret`; `--platform-ca` to trust its certificate)."""

    issuer: str
    client_id: str
    client_secret: str | None = None
    verify: ssl.SSLContext | bool = True


@dataclass(frozen=True, slots=True)
class VendorUser:
    """The regulator as the ID token says: `sub` is the SAS technical id, `idnps` the national
    id when the platform knows it."""

    sub: str
    idnps: str | None
    given_name: str | None
    family_name: str | None
    email: str | None

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> VendorUser:
        def text(name: str) -> str | None:
            value = claims.get(name)
            return str(value) if value else None

        return cls(
            str(claims["sub"]),
            text("idnps"),
            text("given_name"),
            text("family_name"),
            text("email"),
        )

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.given_name, self.family_name) if p) or self.sub


class VendorSso:
    """Logins under way (by state) and open sessions (by cookie value)."""

    def __init__(self, settings: VendorSsoSettings) -> None:
        self.settings = settings
        self._parties: dict[str, RelyingParty] = {}
        self._pending: dict[str, PendingLogin] = {}
        self._sessions: dict[str, VendorUser] = {}

    def _party(self, root: str) -> RelyingParty:
        redirect_uri = f"{root}{CALLBACK_PATH}"
        if redirect_uri not in self._parties:
            s = self.settings
            self._parties[redirect_uri] = RelyingParty(
                s.issuer,
                s.client_id,
                redirect_uri,
                client_secret=s.client_secret,
                verify=s.verify,
            )
        return self._parties[redirect_uri]

    async def begin(self, root: str, return_to: str) -> tuple[str, str]:
        """The platform's authorize URL and the state to bind to the browser (cookie)."""
        url, pending = await self._party(root).begin(return_to)
        self._pending[pending.state] = pending
        return url, pending.state

    async def finish(
        self, root: str, params: dict[str, str], bound_state: str | None
    ) -> tuple[str, str]:
        """A new session id and where to send the browser; raises LoginFailed."""
        state = params.get("state", "")
        if not bound_state or bound_state != state:
            raise LoginFailed("this callback is not for the login this browser started")
        pending = self._pending.pop(state, None)
        if pending is None:
            raise LoginFailed("no login under way for this state")
        logged = await self._party(root).finish(params, pending)
        session_id = secrets.token_urlsafe(32)
        self._sessions[session_id] = VendorUser.from_claims(logged.claims)
        return session_id, pending.return_to

    def user(self, session_id: str | None) -> VendorUser | None:
        return self._sessions.get(session_id or "")
