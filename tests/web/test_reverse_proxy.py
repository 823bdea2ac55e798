"""Behind a TLS-terminating reverse proxy: the verified client certificate arrives in a header,
believed only from the proxy's own address."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from sqlalchemy.engine import Engine

from sas_core.accounts.regulators import add_regulator
from sas_core.serving.server import AsgiServer
from sas_web import CertificateAllowList, DevelopmentVendor, VendorRule, create_app
from sas_web.oidc import OidcProvider
from tests.web.conftest import Pki, appointment, serve
from tests.web.sso_support import DEV_PASSWORD, pkce, query_of
from tests.web.test_oidc_provider import CALLBACK, CLIENTS, PUBLIC, dev_settings

RULES = [VendorRule("acme", "acme-lga", "ACME")]
SSO_HOST = "sso.sas.example"


def forwarded_cert(pki: Pki, cn: str, ou: str) -> str:
    cert = pki.ca.issue_cert(f"{cn}.example", common_name=cn, organization_unit_name=ou)
    return quote(cert.cert_chain_pems[0].bytes().decode())


@pytest.mark.parametrize(
    ("trusted", "cn", "forwarded_for", "expected"),
    [
        (["127.0.0.1/32"], "acme-lga", None, 201),
        (["127.0.0.1/32"], "acme-lga", "198.51.100.7", 201),
        (["127.0.0.1/32"], "intruder", None, 403),
        (["10.0.0.0/8"], "acme-lga", None, 403),
        (["10.0.0.0/8"], "acme-lga", "10.0.0.5", 403),
        ([], "acme-lga", None, 403),
    ],
    ids=[
        "trusted-proxy",
        "trusted-proxy-forwarding-for-a-vendor",
        "unknown-cn",
        "untrusted-address",
        "untrusted-address-claiming-a-proxy",
        "no-proxy-configured",
    ],
)
def test_the_forwarded_certificate_counts_only_from_a_trusted_proxy(
    engine: Engine, pki: Pki, trusted: list[str], cn: str, forwarded_for: str | None, expected: int
) -> None:
    """The socket's peer decides, never `X-Forwarded-For` (which a proxy adds, and anyone can
    write)."""
    identity = CertificateAllowList(RULES, trusted_proxies=trusted)
    headers = {
        "Content-Type": "application/fhir+json",
        "X-SSL-Client-Cert": forwarded_cert(pki, cn, "ACME"),
    }
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    with serve(engine, identity=identity) as server:
        response = httpx.post(
            f"{server.root_url}/fhir/Appointment", json=appointment("proxied-1"), headers=headers
        )
    assert response.status_code == expected, response.text
    if expected == 403:
        assert response.json()["resourceType"] == "OperationOutcome"


def test_the_realm_behind_a_tls_terminating_proxy(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain HTTP from the proxy, under another Host: `SAS_OIDC_ISSUER` says the browser's side
    is HTTPS, so Authlib's transport check passes and the session cookie stays Secure."""
    monkeypatch.delenv("AUTHLIB_INSECURE_TRANSPORT", raising=False)
    email = "claire.martin@sas.example"
    add_regulator(engine, family="Martin", given="Claire", email=email, territory="SAS-33")
    provider = OidcProvider(engine, CLIENTS, dev_settings(issuer=f"https://{SSO_HOST}/realms/sas"))
    app = create_app(identity=DevelopmentVendor(), engine=engine, oidc=provider)
    _, challenge = pkce()
    with AsgiServer(app) as server, httpx.Client(headers={"Host": SSO_HOST}) as browser:
        realm = f"{server.root_url}/realms/sas"
        asked = browser.get(
            f"{realm}/protocol/openid-connect/auth",
            params={
                "client_id": PUBLIC,
                "response_type": "code",
                "redirect_uri": CALLBACK,
                "scope": "openid",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
        assert asked.status_code == 302, asked.text
        return_to = query_of(asked.headers["location"])["return_to"]
        logged = browser.post(
            f"{realm}/login-actions/authenticate",
            data={"return_to": return_to, "email": email, "password": DEV_PASSWORD},
        )
        assert logged.status_code == 302
        assert "secure" in logged.headers["set-cookie"].lower()
        token = browser.post(
            f"{realm}/protocol/openid-connect/token",
            data={"grant_type": "authorization_code", "code": "unknown", "client_id": PUBLIC},
        )
        assert token.status_code == 400
        assert token.json()["error"] == "invalid_grant"
