"""An OpenID Connect relying party (authorization code + PKCE S256, state, nonce).

Two parties need one: the platform, when it delegates the regulator's login to Pro Santé
Connect, and the vendor simulator, which delegates its login to the platform's realm (digest §8,
"Flux V2"). The ID token is verified against the issuer's JWKS (joserfc), fetched again once when
its `kid` is unknown, so a key rotation at the issuer needs nothing here. The HTTP is httpx's
(Authlib's httpx client integration is deprecated in favour of a separate `httpx2` package);
PKCE and URL building are Authlib's, JOSE is joserfc's.
"""

from __future__ import annotations

import hmac
import secrets
import ssl
from dataclasses import asdict, dataclass
from typing import Any, cast
from urllib.parse import quote

import httpx
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

Verify = ssl.SSLContext | str | bool


class LoginFailed(Exception):
    """The login did not complete: an error from the provider, a state or token mismatch."""


@dataclass(frozen=True, slots=True)
class PendingLogin:
    """What a relying party keeps between sending the browser away and the callback."""

    state: str
    nonce: str
    code_verifier: str
    return_to: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PendingLogin:
        return cls(**{k: str(data[k]) for k in ("state", "nonce", "code_verifier", "return_to")})


@dataclass(frozen=True, slots=True)
class LoggedIn:
    """A verified login: the ID token's claims and the access token (for userinfo)."""

    claims: dict[str, Any]
    access_token: str


class RelyingParty:
    """A confidential client (with `client_secret`: client_secret_basic) or a public one."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        redirect_uri: str,
        *,
        client_secret: str | None = None,
        scope: str = "openid email profile",
        verify: Verify = True,
        timeout_s: float = 10.0,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.scope = scope
        self.verify = verify
        self.timeout_s = timeout_s
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    async def metadata(self) -> dict[str, Any]:
        """The issuer's discovery document; its `issuer` must be the one configured."""
        if self._metadata is None:
            url = f"{self.issuer}/.well-known/openid-configuration"
            async with httpx.AsyncClient(verify=self.verify, timeout=self.timeout_s) as http:
                response = await http.get(url)
            if response.status_code != 200:
                raise LoginFailed(f"discovery at {url} answered {response.status_code}")
            document = cast(dict[str, Any], response.json())
            if document.get("issuer") != self.issuer:
                raise LoginFailed(f"discovery names issuer {document.get('issuer')!r}")
            self._metadata = document
        return self._metadata

    async def begin(self, return_to: str, **extra: str) -> tuple[str, PendingLogin]:
        """The authorization URL to send the browser to, and what to keep until the callback
        (`extra`: more authorization parameters, e.g. `prompt`)."""
        endpoint = (await self.metadata())["authorization_endpoint"]
        pending = PendingLogin(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            code_verifier=secrets.token_urlsafe(48),
            return_to=return_to,
        )
        url = add_params_to_uri(
            endpoint,
            [
                ("response_type", "code"),
                ("client_id", self.client_id),
                ("redirect_uri", self.redirect_uri),
                ("scope", self.scope),
                ("state", pending.state),
                ("nonce", pending.nonce),
                ("code_challenge", create_s256_code_challenge(pending.code_verifier)),
                ("code_challenge_method", "S256"),
                *extra.items(),
            ],
        )
        return str(url), pending

    async def finish(self, params: dict[str, str], pending: PendingLogin) -> LoggedIn:
        """Check the callback against `pending`, redeem the code, verify the ID token."""
        if not hmac.compare_digest(params.get("state", ""), pending.state):
            raise LoginFailed("the callback's state does not match the login under way")
        if "error" in params:
            raise LoginFailed(f"the provider answered {params['error']}")
        code = params.get("code")
        if not code:
            raise LoginFailed("the callback carries no code")
        token = await self._redeem(code, pending.code_verifier)
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise LoginFailed("the token response has no id_token")
        claims = await self.verify_id_token(id_token, pending.nonce)
        return LoggedIn(claims, str(token["access_token"]))

    async def _redeem(self, code: str, code_verifier: str) -> dict[str, Any]:
        """The token request (back channel): client_secret_basic, or `client_id` when public."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": code_verifier,
        }
        auth: httpx.Auth | None = None
        if self.client_secret is None:
            form["client_id"] = self.client_id
        else:
            # RFC 6749 §2.3.1: the id and secret are form-encoded before Basic encoding.
            auth = httpx.BasicAuth(
                quote(self.client_id, safe=""), quote(self.client_secret, safe="")
            )
        url = (await self.metadata())["token_endpoint"]
        try:
            async with httpx.AsyncClient(verify=self.verify, timeout=self.timeout_s) as http:
                response = await http.post(url, data=form, auth=auth or httpx.USE_CLIENT_DEFAULT)
        except httpx.HTTPError as exc:
            raise LoginFailed(f"the token endpoint could not be reached: {exc!r}") from None
        body = (
            response.json()
            if response.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        if response.status_code != 200 or "access_token" not in body:
            raise LoginFailed(
                f"the code exchange failed: {response.status_code} {body.get('error', '')}"
            )
        return cast(dict[str, Any], body)

    async def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        """Signature (RS256, the issuer's JWKS), then iss, aud, exp, iat and nonce."""
        try:
            decoded = jwt.decode(id_token, await self._key_set(), algorithms=["RS256"])
        except (JoseError, ValueError):
            # An unknown `kid` may be a key the issuer has rotated in since the last fetch.
            try:
                decoded = jwt.decode(id_token, await self._key_set(True), algorithms=["RS256"])
            except (JoseError, ValueError) as exc:
                raise LoginFailed(f"the ID token does not verify: {exc}") from None
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(decoded.claims)
        except JoseError as exc:
            raise LoginFailed(f"the ID token is not for this login: {exc}") from None
        return dict(decoded.claims)

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        """The userinfo endpoint's JSON answer for `access_token`."""
        url = (await self.metadata())["userinfo_endpoint"]
        async with httpx.AsyncClient(verify=self.verify, timeout=self.timeout_s) as http:
            response = await http.get(url, headers={"Authorization": f"Bearer {access_token}"})
        if response.status_code != 200:
            raise LoginFailed(f"userinfo answered {response.status_code}")
        return cast(dict[str, Any], response.json())

    async def _key_set(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            url = (await self.metadata())["jwks_uri"]
            async with httpx.AsyncClient(verify=self.verify, timeout=self.timeout_s) as http:
                response = await http.get(url)
            if response.status_code != 200:
                raise LoginFailed(f"the JWKS at {url} answered {response.status_code}")
            self._keys = KeySet.import_key_set(response.json())
        return self._keys
