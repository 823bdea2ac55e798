"""State of the platform's OpenID Connect provider: signing keys, authorization codes, sessions.

Kept in the database rather than in process memory so that several platform instances behind
one load balancer agree on them (a code issued by one is redeemed at another). Codes and session
ids are stored as SHA-256 digests: a copy of the database gives no usable code or session.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

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
