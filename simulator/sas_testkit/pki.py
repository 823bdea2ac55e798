"""Certificates made at test time with trustme, for mutual TLS between the platform and a
simulated vendor (digest §2): no key or certificate is ever committed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class Pki:
    """A vendor CA and the vendor's server certificate, a platform CA and the platform's client
    certificate, and an untrusted CA with a server and a client certificate of its own."""

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


def make_pki(root: Path) -> Pki:
    """Issue the certificates and write them as PEM files under `root`."""
    vendor_ca, platform_ca, rogue_ca = trustme.CA(), trustme.CA(), trustme.CA()
    server = vendor_ca.issue_cert("127.0.0.1", "localhost")
    client = platform_ca.issue_cert(
        common_name="ptf-sas.test", organization_unit_name="PTF SAS", organization_name="ANS"
    )
    rogue = rogue_ca.issue_cert("127.0.0.1", "localhost")
    rogue_client = rogue_ca.issue_cert(common_name="ptf-sas.test")

    def write(name: str, blob: trustme.Blob) -> Path:
        blob.write_to_path(str(root / name))
        return root / name

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
    )
