"""Authlib's authorization server for the realm, wired once: the authorization code grant
(`CodeGrant`) with PKCE S256 (`S256Challenge`) and OpenID Connect's ID tokens (`IdTokens`).

The OAuth 2 and OpenID Connect rules are Authlib's; these classes say where codes live (the
realm's store), who the user is (an active regulator) and how tokens are signed (the realm's
keys). A `RealmServer` serves one issuer: the realm may answer under several hosts, and every
token names the issuer it was asked under.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import orjson
from authlib.oauth2.rfc6749 import AuthorizationServer, InvalidRequestError, OAuth2Request
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import KeySet
from litestar import Response

from sas_core.accounts.models import Regulator
from sas_core.serving.security_log import security_event
from sas_core.storage.realm import IssuedCode, RealmStore
from sas_web.oidc.clients import ALLOWED_SCOPES, OidcClient
from sas_web.oidc.keys import ALGORITHM, SigningKeys
from sas_web.oidc.tokens import NATIONAL_ID_CLAIM, access_token, user_info

#: How long a spent or expired code is kept: a replay within it is logged as one.
SPENT_CODES_KEPT = timedelta(hours=1)


def _now() -> datetime:
    return datetime.now(UTC)


class OAuthRequest(OAuth2Request):  # type: ignore[misc]
    """An OAuth2Request built from what the Litestar handler already read."""

    def __init__(self, method: str, uri: str, data: dict[str, str], headers: Mapping[str, str]):
        super().__init__(method, uri, headers=headers)
        self.payload = BasicOAuth2Payload(data)
        self._data = data

    @property
    def args(self) -> dict[str, str]:
        return self._data

    @property
    def form(self) -> dict[str, str]:
        return self._data


@dataclass(frozen=True, slots=True)
class Principal:
    """The user Authlib grants to: a regulator and when they authenticated."""

    regulator: Regulator
    auth_time: datetime

    @property
    def id(self) -> uuid.UUID:
        return self.regulator.id


@dataclass(frozen=True, slots=True)
class StoredCode:
    """An authorization code as Authlib reads it back (AuthorizationCodeMixin's methods)."""

    issued: IssuedCode

    @property
    def code_challenge(self) -> str | None:
        return self.issued.code_challenge

    @property
    def code_challenge_method(self) -> str | None:
        return self.issued.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.issued.redirect_uri

    def get_scope(self) -> str:
        return self.issued.scope

    def get_nonce(self) -> str | None:
        return self.issued.nonce

    def get_auth_time(self) -> int:
        return int(self.issued.auth_time.timestamp())

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class S256Challenge(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 only; a public client must use it (no secret protects its codes)."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError(
                "code_challenge_method must be S256", redirect_uri=redirect_uri
            )
        client: OidcClient = grant.request.client
        if client.public and not data.get("code_challenge"):
            raise InvalidRequestError(
                "a public client must use PKCE (code_challenge, S256)", redirect_uri=redirect_uri
            )
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    """Codes kept in the realm's store (hashed), each redeemed once."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [
        "client_secret_basic",
        "client_secret_post",
        "none",
    ]
    server: RealmServer

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        principal: Principal = request.user
        data = request.payload.data
        issued = IssuedCode(
            client_id=request.client.get_client_id(),
            regulator_id=principal.id,
            redirect_uri=data.get("redirect_uri") or "",
            scope=request.scope or "",
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            auth_time=principal.auth_time,
        )
        self.server.store.save_code(code, issued, _now() + self.server.code_ttl)

    def query_authorization_code(self, code: str, client: OidcClient) -> StoredCode | None:
        """Claims the code: a second redemption (or a concurrent one) finds nothing, and is
        logged: a code presented twice may have been stolen."""
        store, client_id = self.server.store, client.get_client_id()
        issued = store.claim_code(code, client_id, _now())
        if issued is None:
            spent_by = store.spent_code_regulator(code, client_id)
            if spent_by is not None:
                security_event("code_replay", client_id=client_id, regulator=spent_by)
            return None
        return StoredCode(issued)

    def delete_authorization_code(self, authorization_code: StoredCode) -> None:
        """Already spent by `query_authorization_code`; expired codes are purged here."""
        self.server.store.purge_codes(_now() - SPENT_CODES_KEPT)

    def authenticate_user(self, authorization_code: StoredCode) -> Principal | None:
        issued = authorization_code.issued
        regulator = self.server.store.active_regulator(issued.regulator_id)
        return Principal(regulator, issued.auth_time) if regulator is not None else None


class IdTokens(OpenIDCode):  # type: ignore[misc]
    """ID tokens signed by the realm's current key, naming the server's issuer."""

    def __init__(self, server: RealmServer) -> None:
        super().__init__()
        self.server = server

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return self.server.store.nonce_used(request.payload.client_id, nonce)

    def resolve_client_private_key(self, client: OidcClient) -> KeySet:
        """Every published key: joserfc signs with the one the header names, which a rotation
        since `get_encode_header` has retired but not dropped."""
        return self.server.keys.published()

    def get_client_algorithm(self, client: OidcClient) -> str:
        return ALGORITHM

    def get_encode_header(self, client: OidcClient) -> dict[str, str]:
        return {"alg": ALGORITHM, "kid": self.server.keys.current().kid or ""}

    def get_client_claims(self, client: OidcClient) -> dict[str, Any]:
        now = int(_now().timestamp())
        ttl = self.server.token_ttl_s
        return {"iss": self.server.issuer, "aud": [client.client_id], "iat": now, "exp": now + ttl}

    def generate_user_info(self, user: Principal, scope: str) -> UserInfo:
        return user_info(user.regulator, scope)


class RealmServer(AuthorizationServer):  # type: ignore[misc]
    """Authlib's authorization server for one issuer, on the realm's clients, store and keys."""

    def __init__(
        self,
        issuer: str,
        clients: Mapping[str, OidcClient],
        store: RealmStore,
        keys: SigningKeys,
        *,
        code_ttl: timedelta,
        token_ttl_s: int,
    ) -> None:
        super().__init__(scopes_supported=None)
        self.issuer = issuer
        self.clients = clients
        self.store = store
        self.keys = keys
        self.code_ttl = code_ttl
        self.token_ttl_s = token_ttl_s
        self.register_token_generator("default", self._bearer_token)
        self.register_grant(CodeGrant, [S256Challenge(required=True), IdTokens(self)])

    def query_client(self, client_id: str) -> OidcClient | None:
        return self.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Access tokens are self-contained signed JWTs: nothing to store."""

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> Response[bytes]:
        content = orjson.dumps(body) if isinstance(body, dict) else b""
        return Response(content, status_code=status, headers=dict(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signal receivers."""

    def _bearer_token(
        self,
        grant_type: str,
        client: OidcClient,
        user: Principal | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        """A signed JWT access token; no refresh token: a new silent round trip is as cheap and
        keeps the platform session in charge."""
        if user is None:
            raise InvalidRequestError("no user for this grant")
        token = access_token(
            self.keys,
            issuer=self.issuer,
            subject=str(user.id),
            client_id=client.client_id,
            scope=scope or "",
            ttl_s=self.token_ttl_s,
        )
        return {
            "token_type": "Bearer",
            "access_token": token,
            "expires_in": self.token_ttl_s,
            "scope": scope or "",
        }


def discovery_document(issuer: str) -> dict[str, Any]:
    """The issuer's OpenID Connect discovery document: what the classes above support."""
    protocol = f"{issuer}/protocol/openid-connect"
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{protocol}/auth",
        "token_endpoint": f"{protocol}/token",
        "userinfo_endpoint": f"{protocol}/userinfo",
        "jwks_uri": f"{protocol}/certs",
        "end_session_endpoint": f"{protocol}/logout",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "scopes_supported": list(ALLOWED_SCOPES),
        "token_endpoint_auth_methods_supported": list(CodeGrant.TOKEN_ENDPOINT_AUTH_METHODS),
        "code_challenge_methods_supported": list(S256Challenge.SUPPORTED_CODE_CHALLENGE_METHOD),
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "email",
            "given_name",
            "family_name",
            NATIONAL_ID_CLAIM,
        ],
        "prompt_values_supported": ["none", "login"],
    }
