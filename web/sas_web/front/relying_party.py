"""The front as an OpenID Connect relying party, with what Pro Santé Connect actually does.

The platform's `RelyingParty` (`sas_core.sso`) does code + PKCE, state, nonce and the ID token's
checks; this one adds the three habits of Pro Santé Connect the front may meet when it logs in
against it directly (or against a realm that passes them on):

- its discovery document is not at `/.well-known/openid-configuration` (configurable path);
- `acr` is a minimum: a request for `eidas1` is satisfied by `eidas2` (a CPS or e-CPS card),
  so the check is "at least", never equality;
- userinfo may answer a signed JWT (`application/jwt`) rather than JSON: its signature is
  checked against the issuer's keys like the ID token's.
"""

from __future__ import annotations

from typing import Any, cast

import httpx
from joserfc import jwt
from joserfc.errors import JoseError

from sas_core.sso.relying_party import LoggedIn, LoginFailed, PendingLogin, RelyingParty, Verify

#: eIDAS levels in increasing strength, as Pro Santé Connect names them.
ACR_LEVELS = ("eidas1", "eidas2", "eidas3")


def acr_satisfies(acr: object, minimum: str | None) -> bool:
    """Whether the login's `acr` is at least `minimum` (no minimum: any)."""
    if minimum is None:
        return True
    if not isinstance(acr, str) or acr not in ACR_LEVELS or minimum not in ACR_LEVELS:
        return False
    return ACR_LEVELS.index(acr) >= ACR_LEVELS.index(minimum)


class FrontRelyingParty(RelyingParty):
    """`RelyingParty` with a configurable discovery path, `acr` as a minimum, JWT userinfo."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        redirect_uri: str,
        *,
        client_secret: str | None = None,
        discovery_path: str = "/.well-known/openid-configuration",
        acr_values: str | None = None,
        verify: Verify = True,
    ) -> None:
        super().__init__(
            issuer,
            client_id,
            redirect_uri,
            client_secret=client_secret,
            scope="openid email profile",
            verify=verify,
        )
        self.discovery_path = "/" + discovery_path.lstrip("/")
        self.acr_values = acr_values

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            url = f"{self.issuer}{self.discovery_path}"
            try:
                async with httpx.AsyncClient(verify=self.verify, timeout=self.timeout_s) as http:
                    response = await http.get(url)
            except httpx.HTTPError as exc:
                raise LoginFailed(f"discovery at {url} unreachable: {exc!r}") from None
            if response.status_code != 200:
                raise LoginFailed(f"discovery at {url} answered {response.status_code}")
            document = cast(dict[str, Any], response.json())
            if document.get("issuer") != self.issuer:
                raise LoginFailed(f"discovery names issuer {document.get('issuer')!r}")
            self._metadata = document
        return self._metadata

    async def begin(self, return_to: str, **extra: str) -> tuple[str, PendingLogin]:
        if self.acr_values:
            extra = {"acr_values": self.acr_values, **extra}
        return await super().begin(return_to, **extra)

    async def finish(self, params: dict[str, str], pending: PendingLogin) -> LoggedIn:
        logged = await super().finish(params, pending)
        minimum = self.acr_values.split()[0] if self.acr_values else None
        if not acr_satisfies(logged.claims.get("acr"), minimum):
            raise LoginFailed(f"acr {logged.claims.get('acr')!r} is below {minimum}")
        return logged

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        """JSON, or a JWT signed by the issuer (verified, then its claims)."""
        url = (await self.metadata())["userinfo_endpoint"]
        async with httpx.AsyncClient(verify=self.verify, timeout=self.timeout_s) as http:
            response = await http.get(url, headers={"Authorization": f"Bearer {access_token}"})
        if response.status_code != 200:
            raise LoginFailed(f"userinfo answered {response.status_code}")
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/jwt":
            return cast(dict[str, Any], response.json())
        token = response.text.strip()
        for refresh in (False, True):
            try:
                decoded = jwt.decode(token, await self._key_set(refresh), algorithms=["RS256"])
            except (JoseError, ValueError):
                continue
            claims = dict(decoded.claims)
            if claims.get("iss", self.issuer) != self.issuer:
                raise LoginFailed("the userinfo JWT names another issuer")
            return claims
        raise LoginFailed("the userinfo JWT does not verify")
