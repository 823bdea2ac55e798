"""The realm's signing keys (RS256, each with a `kid`), persisted in the database.

Rotation (`rotate`, `sas oidc rotate-key`): a new key signs from now on; the previous one is
retired but stays in the JWKS for the retention (`SAS_OIDC_KEY_RETENTION_S`, default 24 h), so
tokens it signed still verify at relying parties; after that it is deleted. A relying party that
meets an unknown `kid` fetches the JWKS again, so no pre-publication is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from sas_core.storage.realm import RealmStore

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

ALGORITHM = "RS256"


class SigningKeys:
    """The realm's key ring, kept in the database so every instance signs with the same key."""

    def __init__(self, engine: Engine, retention: timedelta) -> None:
        self.engine = engine
        self.retention = retention
        self._store = RealmStore(engine)

    def rotate(self, now: datetime | None = None) -> str:
        """Make a new signing key, retire the current one, drop those past the retention;
        returns the new `kid`."""
        now = now or datetime.now(UTC)
        key = RSAKey.generate_key(2048, private=True)
        kid = key.thumbprint()
        private_jwk = {**key.as_dict(private=True), "kid": kid}
        self._store.add_signing_key(kid, private_jwk, now, now - self.retention)
        return kid

    def current(self) -> RSAKey:
        """The key that signs; the first one is made on first use."""
        jwk = self._store.signing_jwk()
        if jwk is None:
            self.rotate()
            return self.current()
        return RSAKey.import_key(jwk)

    def published(self, now: datetime | None = None) -> KeySet:
        """Every key a token may still be signed with: the current one and those retired
        within the retention (private parts included: use `jwks()` to publish)."""
        now = now or datetime.now(UTC)
        self.current()
        jwks = self._store.published_jwks(now - self.retention)
        return KeySet([RSAKey.import_key(jwk) for jwk in jwks])

    def jwks(self) -> dict[str, Any]:
        """The public JWKS (`certs` endpoint)."""
        return {
            "keys": [
                {**k.as_dict(private=False), "use": "sig", "alg": ALGORITHM}
                for k in self.published().keys
            ]
        }

    def sign(self, claims: Mapping[str, Any], typ: str = "JWT") -> str:
        """A JWT signed by the current key; `typ` tells ID tokens and access tokens apart."""
        key = self.current()
        header = {"alg": ALGORITHM, "kid": key.kid, "typ": typ}
        return jwt.encode(header, dict(claims), key, algorithms=[ALGORITHM])

    def verify(self, token: str) -> jwt.Token:
        """Decode a token this realm signed (any published key); raises joserfc errors."""
        return jwt.decode(token, self.published(), algorithms=[ALGORITHM])
