"""The realm's store on both databases: codes redeemed once, sessions sliding within their
lifetime, keys kept for their retention, no code or session id stored in clear, and only active
regulators found."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from sas_core.accounts.models import Regulator
from sas_core.storage.accounts import save_regulator
from sas_core.storage.realm import (
    IssuedCode,
    OidcAuthorizationCodeRow,
    OidcSessionRow,
    RealmStore,
)

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
REGULATOR = uuid.UUID("4f1c2d9e-8a44-4d6b-9a51-0d1e2f3a4b5c")


def issued(nonce: str | None = "n-1") -> IssuedCode:
    return IssuedCode(
        "acme", REGULATOR, "https://vendor.example/cb", "openid", nonce, "c", "S256", NOW
    )


def test_a_code_is_claimed_once_by_its_client_before_it_expires(migrated: Engine) -> None:
    store = RealmStore(migrated)
    store.save_code("code-1", issued(), NOW + timedelta(seconds=60))
    assert store.nonce_used("acme", "n-1") and not store.nonce_used("other", "n-1")
    assert store.spent_code_regulator("code-1", "acme") is None
    assert store.claim_code("code-1", "other", NOW) is None
    assert store.claim_code("code-1", "acme", NOW) == issued()
    assert store.claim_code("code-1", "acme", NOW) is None
    assert store.spent_code_regulator("code-1", "acme") == REGULATOR

    store.save_code("code-2", issued(None), NOW + timedelta(seconds=60))
    assert store.claim_code("code-2", "acme", NOW + timedelta(seconds=60)) is None
    store.purge_codes(NOW + timedelta(seconds=61))
    with Session(migrated) as session:
        assert session.scalars(select(OidcAuthorizationCodeRow)).all() == []


def test_a_session_slides_with_use_but_not_past_its_lifetime(migrated: Engine) -> None:
    store = RealmStore(migrated)
    lifetime, idle = timedelta(hours=1), timedelta(minutes=30)
    store.open_session("sid-1", NOW, NOW + idle, regulator_id=REGULATOR)
    for minutes in (25, 50):
        used = store.use_session("sid-1", NOW + timedelta(minutes=minutes), lifetime, idle)
        assert used is not None and used.regulator_id == REGULATOR and used.auth_time == NOW
    assert store.use_session("sid-1", NOW + timedelta(minutes=61), lifetime, idle) is None
    assert store.use_session("unknown", NOW, lifetime, idle) is None


def test_a_new_session_replaces_the_old_and_logout_ends_them(migrated: Engine) -> None:
    store = RealmStore(migrated)
    later = NOW + timedelta(hours=1)
    store.open_session("pending", NOW, later, pending={"state": "s"})
    assert store.use_session("pending", NOW, timedelta(hours=1), timedelta(hours=1)) is not None
    store.open_session("sid-1", NOW, later, regulator_id=REGULATOR, replaces="pending")
    assert store.use_session("pending", NOW, timedelta(hours=1), timedelta(hours=1)) is None
    store.open_session("sid-2", NOW, later, regulator_id=REGULATOR)
    other = uuid.uuid4()
    # Another regulator's cookie is not ended by this subject's logout; theirs all are.
    store.open_session("sid-3", NOW, later, regulator_id=other)
    assert store.end_sessions("sid-3", REGULATOR) == REGULATOR
    with Session(migrated) as session:
        left = session.scalars(select(OidcSessionRow)).all()
        assert [row.regulator_id for row in left] == [other]
        assert all(row.id_hash not in ("pending", "sid-1", "sid-2", "sid-3") for row in left)
    assert store.end_sessions("sid-3", None) == other


def test_retired_keys_are_published_for_the_retention_then_dropped(migrated: Engine) -> None:
    store = RealmStore(migrated)
    retention = timedelta(hours=24)
    assert store.signing_jwk() is None
    store.add_signing_key("k1", {"kid": "k1"}, NOW, NOW - retention)
    store.add_signing_key("k2", {"kid": "k2"}, NOW + timedelta(hours=1), NOW - retention)
    assert store.signing_jwk() == {"kid": "k2"}
    soon = NOW + timedelta(hours=2)
    assert sorted(k["kid"] for k in store.published_jwks(soon - retention)) == ["k1", "k2"]
    late = NOW + timedelta(hours=26)
    assert [k["kid"] for k in store.published_jwks(late - retention)] == ["k2"]
    store.add_signing_key("k3", {"kid": "k3"}, late, late - retention)
    assert sorted(k["kid"] for k in store.published_jwks(NOW)) == ["k2", "k3"]


def test_only_active_regulators_are_found(migrated: Engine) -> None:
    store = RealmStore(migrated)
    claire = Regulator(
        id=REGULATOR,
        national_id="810000000001",
        family="Martin",
        given="Claire",
        email="claire.martin@sas.example",
    )
    save_regulator(migrated, claire, NOW)
    assert store.active_regulator(REGULATOR) == claire
    assert store.active_regulator_by(email=" Claire.Martin@SAS.example ") == claire
    assert store.active_regulator_by(national_id="810000000001") == claire
    assert store.active_regulator_by(email=claire.email, national_id="other") is None
    save_regulator(migrated, claire.model_copy(update={"active": False}), NOW)
    assert store.active_regulator(REGULATOR) is None
    assert store.active_regulator_by(email=claire.email) is None
