"""Certificates made at test time with trustme, for mutual TLS between the platform and a
simulated vendor (digest §2): no key or certificate is ever committed.

Besides the platform's own client certificate, the platform CA issues the three a vendor must
refuse in ANS's acceptance (a wrong CN, a wrong OU, a revoked one, with the CRL that revokes it),
so `sas conformance` can be run against `mtls_vendor` with every TLS check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

#: The subject of the platform's client certificate, which an mTLS vendor allows.
PLATFORM_CN = "ptf-sas.test"
PLATFORM_OU = "PTF SAS"


@dataclass(frozen=True)
class Pki:
    """A vendor CA and the vendor's server certificate, a platform CA and the platform's client
    certificate, an untrusted CA with a server and a client certificate of its own; and, from
    the platform CA, client certificates a vendor must refuse (each one PEM file holding the
    certificate and its key) with the CRL revoking the last one."""

    vendor_ca: Path
    server_cert: Path
    server_key: Path
    platform_ca: Path
    client_cert: Path
    client_key: Path
    rogue_server_cert: Path
    rogue_server_key: Path
    rogue_client_cert: Path
    rogue_client_key: Path
    wrong_cn_client: Path
    wrong_ou_client: Path
    revoked_client: Path
    platform_crl: Path


def make_pki(root: Path) -> Pki:
    """Issue the certificates and write them as PEM files under `root`."""
    vendor_ca, platform_ca, rogue_ca = trustme.CA(), trustme.CA(), trustme.CA()
    server = vendor_ca.issue_cert("127.0.0.1", "localhost")
    client = platform_ca.issue_cert(
        common_name=PLATFORM_CN, organization_unit_name=PLATFORM_OU, organization_name="ANS"
    )
    rogue = rogue_ca.issue_cert("127.0.0.1", "localhost")
    rogue_client = rogue_ca.issue_cert(common_name=PLATFORM_CN)
    wrong_cn = platform_ca.issue_cert(
        common_name="autre-client.test", organization_unit_name=PLATFORM_OU
    )
    wrong_ou = platform_ca.issue_cert(common_name=PLATFORM_CN, organization_unit_name="AUTRE")
    revoked = platform_ca.issue_cert(common_name=PLATFORM_CN, organization_unit_name=PLATFORM_OU)

    def write(name: str, blob: trustme.Blob) -> Path:
        blob.write_to_path(str(root / name))
        return root / name

    crl = root / "platform-crl.pem"
    crl.write_bytes(_crl(platform_ca, revoked))
    return Pki(
        vendor_ca=write("vendor-ca.pem", vendor_ca.cert_pem),
        server_cert=write("server.pem", server.cert_chain_pems[0]),
        server_key=write("server.key", server.private_key_pem),
        platform_ca=write("platform-ca.pem", platform_ca.cert_pem),
        client_cert=write("client.pem", client.cert_chain_pems[0]),
        client_key=write("client.key", client.private_key_pem),
        rogue_server_cert=write("rogue.pem", rogue.cert_chain_pems[0]),
        rogue_server_key=write("rogue.key", rogue.private_key_pem),
        rogue_client_cert=write("rogue-client.pem", rogue_client.cert_chain_pems[0]),
        rogue_client_key=write("rogue-client.key", rogue_client.private_key_pem),
        wrong_cn_client=write("wrong-cn.pem", wrong_cn.private_key_and_cert_chain_pem),
        wrong_ou_client=write("wrong-ou.pem", wrong_ou.private_key_and_cert_chain_pem),
        revoked_client=write("revoked.pem", revoked.private_key_and_cert_chain_pem),
        platform_crl=crl,
    )


def _crl(ca: trustme.CA, revoked: trustme.LeafCert) -> bytes:
    """A CRL of `ca` (PEM) revoking `revoked`."""
    issuer = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
    serial = x509.load_pem_x509_certificate(revoked.cert_chain_pems[0].bytes()).serial_number
    now = datetime.now(UTC)
    entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(now - timedelta(minutes=1))
        .next_update(now + timedelta(days=1))
        .add_revoked_certificate(entry)
        .sign(key, hashes.SHA256())
    )
    return crl.public_bytes(serialization.Encoding.PEM)
