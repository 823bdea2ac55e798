"""Behind a TLS-terminating reverse proxy: the verified client certificate arrives in a header,
believed only from the proxy's own address."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from sqlalchemy.engine import Engine

from sas_web import CertificateAllowList, VendorRule
from tests.web.conftest import Pki, appointment, serve

RULES = [VendorRule("acme", "acme-lga", "ACME")]


def forwarded_cert(pki: Pki, cn: str, ou: str) -> str:
    cert = pki.ca.issue_cert(f"{cn}.example", common_name=cn, organization_unit_name=ou)
    return quote(cert.cert_chain_pems[0].bytes().decode())


@pytest.mark.parametrize(
    ("trusted", "cn", "expected"),
    [
        (["127.0.0.1/32"], "acme-lga", 201),
        (["127.0.0.1/32"], "intruder", 403),
        (["10.0.0.0/8"], "acme-lga", 403),
        ([], "acme-lga", 403),
    ],
    ids=["trusted-proxy", "unknown-cn", "untrusted-address", "no-proxy-configured"],
)
def test_the_forwarded_certificate_counts_only_from_a_trusted_proxy(
    engine: Engine, pki: Pki, trusted: list[str], cn: str, expected: int
) -> None:
    identity = CertificateAllowList(RULES, trusted_proxies=trusted)
    with serve(engine, identity=identity) as server:
        response = httpx.post(
            f"{server.root_url}/fhir/Appointment",
            json=appointment("proxied-1"),
            headers={
                "Content-Type": "application/fhir+json",
                "X-SSL-Client-Cert": forwarded_cert(pki, cn, "ACME"),
            },
        )
    assert response.status_code == expected, response.text
    if expected == 403:
        assert response.json()["resourceType"] == "OperationOutcome"
