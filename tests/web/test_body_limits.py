"""Request bodies are bounded everywhere: the realm's forms by the app-wide limit, `/fhir` writes
by their own, larger one (413 OperationOutcome)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine

from sas_core.serving.server import AsgiServer
from sas_web import DevelopmentVendor, create_app
from sas_web.app import APPOINTMENT_BODY_MAX_BYTES, FORM_MAX_BODY_BYTES
from sas_web.oidc import OidcProvider
from tests.web.conftest import appointment, serve
from tests.web.test_oidc_provider import CLIENTS, dev_settings

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def realm(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[AsgiServer]:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    provider = OidcProvider(engine, CLIENTS, dev_settings())
    app = create_app(identity=DevelopmentVendor(), engine=engine, oidc=provider)
    with AsgiServer(app) as server:
        yield server


def chunked(size: int) -> Iterator[bytes]:
    """A form body sent without Content-Length: only counting while reading can stop it."""
    yield b"x="
    for _ in range(size // 65536):
        yield b"a" * 65536


@pytest.mark.parametrize(
    "path",
    ["/realms/sas/protocol/openid-connect/token", "/realms/sas/login-actions/authenticate"],
)
def test_realm_forms_over_the_limit_are_refused(realm: AsgiServer, path: str) -> None:
    url = f"{realm.root_url}{path}"
    declared = httpx.post(url, content=b"x=" + b"a" * FORM_MAX_BODY_BYTES, headers=FORM)
    assert declared.status_code == 413
    streamed = httpx.post(url, content=chunked(4 * FORM_MAX_BODY_BYTES), headers=FORM)
    assert streamed.status_code == 413


def test_fhir_keeps_its_own_larger_limit(engine: Engine) -> None:
    """An Appointment between the form limit and the FHIR limit is accepted; over it, 413."""
    fits = appointment("big-1", comment="x" * (FORM_MAX_BODY_BYTES * 2))
    over = appointment("big-2", comment="x" * APPOINTMENT_BODY_MAX_BYTES)
    with serve(engine) as server:
        url = f"{server.base_url}/Appointment"
        headers = {"Content-Type": "application/fhir+json"}
        assert httpx.post(url, json=fits, headers=headers).status_code == 201
        refused = httpx.post(url, json=over, headers=headers)
        assert refused.status_code == 413
        assert refused.json()["resourceType"] == "OperationOutcome"
