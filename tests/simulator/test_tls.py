"""HTTPS and mutual TLS with certificates made at test time (digest §2, §15.1)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import trustme

from sas_simulator.app import create_app
from sas_simulator.dataset import Dataset
from sas_simulator.server import ServerTls, SimulatorServer


@dataclass
class Pki:
    server_ca: trustme.CA
    client_ca: trustme.CA
    server_tls: ServerTls
    client: trustme.LeafCert


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    server_ca, client_ca = trustme.CA(), trustme.CA()
    leaf = server_ca.issue_cert("127.0.0.1", "localhost")
    cert, key, client_ca_file = folder / "server.pem", folder / "server.key", folder / "ca.pem"
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    client_ca.cert_pem.write_to_path(str(client_ca_file))
    return Pki(
        server_ca,
        client_ca,
        ServerTls(cert, key, client_ca_file),
        client_ca.issue_cert("plateforme-sas", organization_unit_name="SAS"),
    )


def client_context(
    pki: Pki, cert: trustme.LeafCert | None, maximum: ssl.TLSVersion | None = None
) -> ssl.SSLContext:
    context = ssl.create_default_context()
    pki.server_ca.configure_trust(context)
    if cert is not None:
        cert.configure_cert(context)
    if maximum is not None:
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        context.maximum_version = maximum
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


@pytest.fixture(scope="module")
def mtls_server(pki: Pki, dataset: Dataset) -> Iterator[SimulatorServer]:
    with SimulatorServer(create_app(dataset), tls=pki.server_tls) as server:
        yield server


def test_https_without_client_certificates(pki: Pki, dataset: Dataset) -> None:
    tls = ServerTls(pki.server_tls.cert_file, pki.server_tls.key_file)
    with SimulatorServer(create_app(dataset), tls=tls) as server:
        assert server.base_url.startswith("https://")
        answer = httpx.get(f"{server.base_url}/metadata", verify=client_context(pki, None))
        assert answer.status_code == 200


def test_trusted_client_certificate_is_accepted(pki: Pki, mtls_server: SimulatorServer) -> None:
    context = client_context(pki, pki.client)
    answer = httpx.get(f"{mtls_server.base_url}/metadata", verify=context)
    assert answer.status_code == 200


def test_no_client_certificate_is_refused(pki: Pki, mtls_server: SimulatorServer) -> None:
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{mtls_server.base_url}/metadata", verify=client_context(pki, None))


def test_client_certificate_from_another_ca_is_refused(
    pki: Pki, mtls_server: SimulatorServer
) -> None:
    stranger = trustme.CA().issue_cert("someone-else")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{mtls_server.base_url}/metadata", verify=client_context(pki, stranger))


def _tls11_handshake_possible() -> bool:
    """Whether this OpenSSL can still speak TLS 1.1 at all (in memory, both ends permissive)."""
    ca = trustme.CA()
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        for context in (server, client):
            context.minimum_version = ssl.TLSVersion.TLSv1_1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        return False
    ca.issue_cert("localhost").configure_cert(server)
    ca.configure_trust(client)
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    server_end = server.wrap_bio(to_server, to_client, server_side=True)
    client_end = client.wrap_bio(to_client, to_server, server_hostname="localhost")
    for _ in range(10):
        done = 0
        for end in (client_end, server_end):
            try:
                end.do_handshake()
                done += 1
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError:
                return False
        if done == 2:
            return client_end.version() == "TLSv1.1"
    return False


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
def test_tls_1_1_is_refused(pki: Pki, mtls_server: SimulatorServer) -> None:
    if not _tls11_handshake_possible():
        pytest.skip("this OpenSSL cannot negotiate TLS 1.1 even when both ends allow it")
    old = client_context(pki, pki.client, maximum=ssl.TLSVersion.TLSv1_1)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{mtls_server.base_url}/metadata", verify=old)
    recent = client_context(pki, pki.client, maximum=ssl.TLSVersion.TLSv1_2)
    assert httpx.get(f"{mtls_server.base_url}/metadata", verify=recent).status_code == 200


def test_unusable_certificate_fails_at_start(tmp_path: Path, dataset: Dataset) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate")
    server = SimulatorServer(create_app(dataset), tls=ServerTls(bogus, bogus))
    with pytest.raises(ssl.SSLError):
        server.start()
    assert not server.running
