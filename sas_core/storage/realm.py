"""State of the platform's OpenID Connect provider: signing keys, authorization codes, sessions,
and `RealmStore`, every statement the realm runs on them.

Kept in the database rather than in process memory so that several platform instances behind
one load balancer agree on them (a code issued by one is redeemed at another). Codes and session
ids are stored as SHA-256 digests: a copy of the database gives no usable code or session.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Index, String, Text, Uuid, delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from sas_core.accounts.models import Regulator
from sas_core.storage.accounts import RegulatorRow, regulator_of
from sas_core.storage.columns import JsonDocument, UtcDateTime
from sas_core.storage.tables import Base


class OidcSigningKeyRow(Base):
    """An RS256 key pair (private JWK). The newest unretired key signs; retired keys stay in the
    JWKS until `retired_at` + the retention, so tokens they signed still verify."""

    __tablename__ = "oidc_signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_jwk: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OidcAuthorizationCodeRow(Base):
    """An authorization code, redeemable once (`used_at`) before `expires_at`."""

    __tablename__ = "oidc_authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(128))
    regulator_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(Text)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(16))
    auth_time: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_oidc_codes_client_nonce", "client_id", "nonce"),)


class OidcSessionRow(Base):
    """A browser session at the platform. `regulator_id` is None while an upstream login (Pro
    Santé Connect) is under way; `pending` then holds its state, nonce and PKCE verifier."""

    __tablename__ = "oidc_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    regulator_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    auth_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    pending: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """What an authorization code was issued for, read back when it is redeemed."""

    client_id: str
    regulator_id: uuid.UUID
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: datetime


@dataclass(frozen=True, slots=True)
class StoredSession:
    """A live browser session: its regulator once logged in, or an upstream login's state."""

    regulator_id: uuid.UUID | None
    auth_time: datetime | None
    pending: dict[str, Any] | None


class RealmStore:
    """Every statement of the realm: signing keys, codes, sessions, and the regulators it logs
    in. Codes and session ids arrive in clear and are stored as digests (see above)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- signing keys ----------------------------------------------------------------------------

    def signing_jwk(self) -> dict[str, Any] | None:
        """The private JWK of the newest unretired key, or None before the first key."""
        with Session(self.engine) as session:
            row = session.scalars(
                select(OidcSigningKeyRow)
                .where(OidcSigningKeyRow.retired_at.is_(None))
                .order_by(OidcSigningKeyRow.created_at.desc())
            ).first()
            return dict(row.private_jwk) if row is not None else None

    def published_jwks(self, retired_since: datetime) -> list[dict[str, Any]]:
        """The private JWKs of the unretired keys and of those retired at or after
        `retired_since`."""
        with Session(self.engine) as session:
            rows = session.scalars(
                select(OidcSigningKeyRow).where(
                    OidcSigningKeyRow.retired_at.is_(None)
                    | (OidcSigningKeyRow.retired_at >= retired_since)
                )
            ).all()
            return [dict(r.private_jwk) for r in rows]

    def add_signing_key(
        self, kid: str, private_jwk: dict[str, Any], now: datetime, drop_retired_before: datetime
    ) -> None:
        """In one transaction: retire the signing key, delete the keys retired before
        `drop_retired_before`, and store the new one, which signs from now on."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(OidcSigningKeyRow)
                .where(OidcSigningKeyRow.retired_at.is_(None))
                .values(retired_at=now)
            )
            session.execute(
                delete(OidcSigningKeyRow).where(OidcSigningKeyRow.retired_at < drop_retired_before)
            )
            session.add(OidcSigningKeyRow(kid=kid, private_jwk=private_jwk, created_at=now))

    # -- authorization codes ---------------------------------------------------------------------

    def save_code(self, code: str, issued: IssuedCode, expires_at: datetime) -> None:
        with Session(self.engine) as session, session.begin():
            session.add(
                OidcAuthorizationCodeRow(
                    code_hash=_digest(code),
                    client_id=issued.client_id,
                    regulator_id=issued.regulator_id,
                    redirect_uri=issued.redirect_uri,
                    scope=issued.scope,
                    nonce=issued.nonce,
                    code_challenge=issued.code_challenge,
                    code_challenge_method=issued.code_challenge_method,
                    auth_time=issued.auth_time,
                    expires_at=expires_at,
                )
            )

    def claim_code(self, code: str, client_id: str, now: datetime) -> IssuedCode | None:
        """Marks the client's unexpired code used and returns it; None when it is unknown,
        expired or already used, so a second (or a concurrent) redemption finds nothing."""
        with Session(self.engine) as session, session.begin():
            row = session.execute(
                update(OidcAuthorizationCodeRow)
                .where(
                    OidcAuthorizationCodeRow.code_hash == _digest(code),
                    OidcAuthorizationCodeRow.client_id == client_id,
                    OidcAuthorizationCodeRow.used_at.is_(None),
                    OidcAuthorizationCodeRow.expires_at > now,
                )
                .values(used_at=now)
                .returning(OidcAuthorizationCodeRow)
            ).scalar_one_or_none()
            if row is None:
                return None
            return IssuedCode(
                row.client_id,
                row.regulator_id,
                row.redirect_uri,
                row.scope,
                row.nonce,
                row.code_challenge,
                row.code_challenge_method,
                row.auth_time,
            )

    def spent_code_regulator(self, code: str, client_id: str) -> uuid.UUID | None:
        """The regulator of the client's code if it was already redeemed: a code presented
        twice may have been stolen."""
        with Session(self.engine) as session:
            return session.scalar(
                select(OidcAuthorizationCodeRow.regulator_id).where(
                    OidcAuthorizationCodeRow.code_hash == _digest(code),
                    OidcAuthorizationCodeRow.client_id == client_id,
                    OidcAuthorizationCodeRow.used_at.is_not(None),
                )
            )

    def purge_codes(self, expired_before: datetime) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(OidcAuthorizationCodeRow).where(
                    OidcAuthorizationCodeRow.expires_at < expired_before
                )
            )

    def nonce_used(self, client_id: str, nonce: str) -> bool:
        """Whether a code of this client already carries `nonce` (a replayed request)."""
        with Session(self.engine) as session:
            found = session.scalar(
                select(OidcAuthorizationCodeRow.code_hash).where(
                    OidcAuthorizationCodeRow.client_id == client_id,
                    OidcAuthorizationCodeRow.nonce == nonce,
                )
            )
            return found is not None

    # -- browser sessions ------------------------------------------------------------------------

    def use_session(
        self, session_id: str, now: datetime, lifetime: timedelta, idle: timedelta
    ) -> StoredSession | None:
        """The live session of this id, kept alive for another `idle` period but never past
        `lifetime` after its creation; None when it is unknown or has ended."""
        with Session(self.engine) as session, session.begin():
            row = session.get(OidcSessionRow, _digest(session_id))
            if row is None or row.expires_at <= now:
                return None
            row.expires_at = min(row.created_at + lifetime, now + idle)
            return StoredSession(row.regulator_id, row.auth_time, row.pending)

    def open_session(
        self,
        session_id: str,
        now: datetime,
        expires_at: datetime,
        *,
        regulator_id: uuid.UUID | None = None,
        pending: dict[str, Any] | None = None,
        replaces: str | None = None,
    ) -> None:
        """Store a new session (ending the one it `replaces`), and drop the ended ones."""
        with Session(self.engine) as session, session.begin():
            if replaces:
                session.execute(
                    delete(OidcSessionRow).where(OidcSessionRow.id_hash == _digest(replaces))
                )
            session.execute(delete(OidcSessionRow).where(OidcSessionRow.expires_at <= now))
            session.add(
                OidcSessionRow(
                    id_hash=_digest(session_id),
                    regulator_id=regulator_id,
                    auth_time=now if regulator_id else None,
                    created_at=now,
                    expires_at=expires_at,
                    pending=pending,
                )
            )

    def end_sessions(self, session_id: str | None, subject: uuid.UUID | None) -> uuid.UUID | None:
        """End the session of this id (unless it is another regulator's than `subject`) and,
        with no such session, every session of `subject`. Returns the regulator logged out."""
        with Session(self.engine) as session, session.begin():
            row = session.get(OidcSessionRow, _digest(session_id)) if session_id else None
            if row is not None and (subject is None or row.regulator_id == subject):
                session.delete(row)
                return row.regulator_id
            if subject is not None:
                session.execute(
                    delete(OidcSessionRow).where(OidcSessionRow.regulator_id == subject)
                )
            return subject

    # -- regulators ------------------------------------------------------------------------------

    def active_regulator(self, regulator_id: uuid.UUID) -> Regulator | None:
        """The regulator with this id if active: a deactivated one logs in nowhere."""
        with Session(self.engine) as session:
            row = session.get(RegulatorRow, regulator_id)
            return regulator_of(row) if row is not None and row.active else None

    def active_regulator_by(
        self, *, email: str | None = None, national_id: str | None = None
    ) -> Regulator | None:
        """The active regulator with this e-mail (any case) and/or national id."""
        with Session(self.engine) as session:
            query = select(RegulatorRow).where(RegulatorRow.active.is_(True))
            if email is not None:
                query = query.where(func.lower(RegulatorRow.email) == email.strip().lower())
            if national_id is not None:
                query = query.where(RegulatorRow.national_id == national_id)
            row = session.scalars(query).first()
            return regulator_of(row) if row is not None else None
