"""The realm's tokens and what they say about a regulator.

Access tokens are JWTs the realm signs (RFC 9068 shape, `typ: at+jwt`, `aud` = the issuer), so
userinfo reads them back without a token store; ID tokens are Authlib's, with the same claims
(`user_info`). `sub` is always the platform's technical id (the INTRN identifier of INT_R02).
"""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

from authlib.oidc.core import UserInfo
from joserfc import jwt
from joserfc.errors import JoseError

from sas_core.accounts.models import Regulator
from sas_web.oidc.keys import SigningKeys

#: The custom claim carrying the regulator's national id (prefixed IDNPS) when the platform
#: knows it, so vendors can match either account key.
NATIONAL_ID_CLAIM = "idnps"
ACCESS_TOKEN_TYPE = "at+jwt"


class TokenRefused(Exception):
    """A bearer token the realm does not accept: `error` and `status` per RFC 6750, `reason`
    for the security log."""

    def __init__(self, error: str, status: int, reason: str) -> None:
        super().__init__(reason)
        self.error = error
        self.status = status
        self.reason = reason


def user_info(regulator: Regulator, scope: str) -> UserInfo:
    """`sub` = the platform id, the national id when known; e-mail and names by scope."""
    scopes = scope.split()
    claims: dict[str, Any] = {"sub": str(regulator.id)}
    if regulator.national_id:
        claims[NATIONAL_ID_CLAIM] = regulator.national_id
    if "email" in scopes:
        claims["email"] = regulator.email
    if "profile" in scopes:
        claims["given_name"] = regulator.given
        claims["family_name"] = regulator.family
    return UserInfo(claims)


def access_token(
    keys: SigningKeys, *, issuer: str, subject: str, client_id: str, scope: str, ttl_s: int
) -> str:
    """A signed access token for the realm's own userinfo (its audience is the issuer)."""
    now = int(time.time())
    claims = {
        "iss": issuer,
        "sub": subject,
        "aud": issuer,
        "client_id": client_id,
        "scope": scope,
        "iat": now,
        "exp": now + ttl_s,
        "jti": secrets.token_urlsafe(16),
    }
    return keys.sign(claims, ACCESS_TOKEN_TYPE)


def access_token_claims(keys: SigningKeys, token: str, issuer: str) -> dict[str, Any]:
    """The claims of an unexpired access token this issuer signed; else `TokenRefused`."""
    try:
        decoded = keys.verify(token)
        if decoded.header.get("typ") != ACCESS_TOKEN_TYPE:
            raise JoseError("not an access token")
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": issuer},
            exp={"essential": True},
            sub={"essential": True},
        ).validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        # joserfc's error names the failed check (signature, expiry, issuer…), not the token.
        reason = getattr(exc, "error", type(exc).__name__)
        raise TokenRefused("invalid_token", 401, reason) from None
    return decoded.claims


def id_token_subject(
    keys: SigningKeys, token: str, issuer: str
) -> tuple[uuid.UUID, list[str]] | None:
    """The subject and audience of an ID token this issuer signed, even expired (a logout may
    come long after the token was used), or None."""
    try:
        decoded = keys.verify(token)
        claims = decoded.claims
        if decoded.header.get("typ") == ACCESS_TOKEN_TYPE or claims.get("iss") != issuer:
            return None
        aud = claims.get("aud")
        audience = [aud] if isinstance(aud, str) else [str(a) for a in aud or ()]
        return uuid.UUID(str(claims["sub"])), audience
    except (JoseError, ValueError, KeyError, TypeError):
        return None
