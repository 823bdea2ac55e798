"""The realm's signing keys (RS256, each with a `kid`), persisted in the database.

Rotation (`rotate`, `sas oidc rotate-key`): a new key signs from now on; the previous one is
retired but stays in the JWKS for the retention (`SAS_OIDC_KEY_RETENTION_S`, default 24 h), so
tokens it signed still verify at relying parties; after that it is deleted. A relying party that
meets an unknown `kid` fetches the JWKS again, so no pre-publication is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from sas_core.storage.realm import OidcSigningKeyRow

ALGORITHM = "RS256"


class SigningKeys:
    def __init__(self, engine: Engine, retention: timedelta) -> None:
        self.engine = engine
        self.retention = retention

    def rotate(self, now: datetime | None = None) -> str:
        """Make a new signing key, retire the current one, drop those past the retention;
        returns the new `kid`."""
        now = now or datetime.now(UTC)
        key = RSAKey.generate_key(2048, private=True)
        kid = key.thumbprint()
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(OidcSigningKeyRow)
                .where(OidcSigningKeyRow.retired_at.is_(None))
                .values(retired_at=now)
            )
            session.execute(
                delete(OidcSigningKeyRow).where(OidcSigningKeyRow.retired_at < now - self.retention)
            )
            session.add(
                OidcSigningKeyRow(
                    kid=kid,
                    private_jwk={**key.as_dict(private=True), "kid": kid},
                    created_at=now,
                )
            )
        return kid

    def current(self) -> RSAKey:
        """The key that signs; the first one is made on first use."""
        with Session(self.engine) as session:
            row = session.scalars(
                select(OidcSigningKeyRow)
                .where(OidcSigningKeyRow.retired_at.is_(None))
                .order_by(OidcSigningKeyRow.created_at.desc())
            ).first()
            jwk = dict(row.private_jwk) if row is not None else None
        if jwk is None:
            self.rotate()
            return self.current()
        return RSAKey.import_key(jwk)

    def published(self, now: datetime | None = None) -> KeySet:
        """Every key a token may still be signed with: the current one and those retired
        within the retention (private parts included: use `jwks()` to publish)."""
        now = now or datetime.now(UTC)
        self.current()
        with Session(self.engine) as session:
            rows = session.scalars(
                select(OidcSigningKeyRow).where(
                    (OidcSigningKeyRow.retired_at.is_(None))
                    | (OidcSigningKeyRow.retired_at >= now - self.retention)
                )
            ).all()
            return KeySet([RSAKey.import_key(dict(r.private_jwk)) for r in rows])

    def jwks(self) -> dict[str, Any]:
        """The public JWKS (`certs` endpoint)."""
        return {
            "keys": [
                {**k.as_dict(private=False), "use": "sig", "alg": ALGORITHM}
                for k in self.published().keys
            ]
        }

    def sign(self, claims: Mapping[str, Any], typ: str = "JWT") -> str:
        key = self.current()
        header = {"alg": ALGORITHM, "kid": key.kid, "typ": typ}
        return jwt.encode(header, dict(claims), key, algorithms=[ALGORITHM])

    def verify(self, token: str) -> jwt.Token:
        """Decode a token this realm signed (any published key); raises joserfc errors."""
        return jwt.decode(token, self.published(), algorithms=[ALGORITHM])
