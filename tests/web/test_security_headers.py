"""The headers every answer carries, over real sockets: nosniff and no-store on every `/fhir`
answer whatever its status, HSTS over TLS only, anti-framing on the realm's HTML, one charset,
no server banner, a request id."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine

from sas_core.serving.server import AsgiServer, ServerTls
from sas_web import DevelopmentVendor, create_app
from sas_web.oidc import OidcProvider
from tests.web.conftest import Pki, appointment, serve
from tests.web.test_oidc_provider import CLIENTS, dev_settings, trust

FHIR_JSON = {"Content-Type": "application/fhir+json"}


def assert_guarded(response: httpx.Response) -> None:
    """What every answer of the platform carries."""
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert "server" not in response.headers
    assert len(response.headers["x-request-id"]) >= 16


def test_every_fhir_answer_carries_nosniff_and_no_store(dev_server: AsgiServer) -> None:
    base = dev_server.base_url
    created = httpx.post(f"{base}/Appointment", json=appointment("h-1"), headers=FHIR_JSON)
    answers = {
        "metadata": httpx.get(f"{base}/metadata"),
        "created": created,
        "resubmitted": httpx.post(
            f"{base}/Appointment", json=appointment("h-1"), headers=FHIR_JSON
        ),
        "read": httpx.get(created.headers["location"]),
        "not json": httpx.post(f"{base}/Appointment", content=b"{", headers=FHIR_JSON),
        "unknown appointment": httpx.get(f"{base}/Appointment/unknown"),
        "unknown path": httpx.get(f"{base}/Patient/1"),
        "method": httpx.delete(f"{base}/Appointment"),
        "too large": httpx.post(f"{base}/Appointment", content=b" " * (2 << 20), headers=FHIR_JSON),
        "content type": httpx.post(f"{base}/Appointment", content=b"{}"),
        "invalid": httpx.post(
            f"{base}/Appointment", json=appointment("h-2", status="nope"), headers=FHIR_JSON
        ),
    }
    statuses = {name: r.status_code for name, r in answers.items()}
    assert statuses == {
        "metadata": 200,
        "created": 201,
        "resubmitted": 200,
        "read": 200,
        "not json": 400,
        "unknown appointment": 404,
        "unknown path": 404,
        "method": 405,
        "too large": 413,
        "content type": 415,
        "invalid": 422,
    }
    for response in answers.values():
        assert_guarded(response)
        assert "strict-transport-security" not in response.headers  # plain HTTP
        assert response.headers["content-type"] == "application/fhir+json"


def test_over_tls_fhir_answers_carry_hsts(engine: Engine, pki: Pki) -> None:
    context = ssl.create_default_context(cafile=str(pki.ca_file))
    context.load_cert_chain(pki.client("acme", "acme-lga", "ACME"))
    stranger = ssl.create_default_context(cafile=str(pki.ca_file))
    stranger.load_cert_chain(pki.client("intruder", "intruder", "X"))
    with serve(engine, pki.allow_list(), pki.tls) as server:
        url = f"{server.base_url}/Appointment"
        created = httpx.post(url, json=appointment("t-1"), headers=FHIR_JSON, verify=context)
        refused = httpx.post(url, json=appointment("t-2"), headers=FHIR_JSON, verify=stranger)
    assert (created.status_code, refused.status_code) == (201, 403)
    for response in (created, refused):
        assert_guarded(response)
        assert response.headers["strict-transport-security"] == "max-age=31536000"


@pytest.fixture
def realm(engine: Engine, pki: Pki) -> Iterator[AsgiServer]:
    app = create_app(
        identity=DevelopmentVendor(),
        engine=engine,
        oidc=OidcProvider(engine, CLIENTS, dev_settings()),
    )
    with AsgiServer(app, tls=ServerTls(pki.server_chain, pki.server_chain)) as server:
        yield server


def test_the_login_page_cannot_be_framed_and_has_one_charset(realm: AsgiServer, pki: Pki) -> None:
    page = httpx.get(f"{realm.root_url}/realms/sas/login-actions/authenticate", verify=trust(pki))
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["strict-transport-security"] == "max-age=31536000"
    assert_guarded(page)


def test_realm_json_answers_are_not_stored(realm: AsgiServer, pki: Pki) -> None:
    for path in (".well-known/openid-configuration", "protocol/openid-connect/certs"):
        answer = httpx.get(f"{realm.root_url}/realms/sas/{path}", verify=trust(pki))
        assert answer.status_code == 200
        assert_guarded(answer)
        assert "x-frame-options" not in answer.headers  # not HTML


def test_a_safe_incoming_request_id_is_kept_and_any_other_replaced(
    dev_server: AsgiServer,
) -> None:
    url = f"{dev_server.base_url}/metadata"
    kept = httpx.get(url, headers={"X-Request-Id": "proxy-7f3a.1"})
    assert kept.headers["x-request-id"] == "proxy-7f3a.1"
    for unsafe in ("two words", "x" * 65, 'quote"d'):
        replaced = httpx.get(url, headers={"X-Request-Id": unsafe})
        assert replaced.headers["x-request-id"] != unsafe
        assert len(replaced.headers["x-request-id"]) == 32
    # Every answer gets its own.
    ids = {httpx.get(url).headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3
