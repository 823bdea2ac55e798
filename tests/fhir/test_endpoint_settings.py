"""`FhirEndpointSettings`: every rule names its field, checked when an adapter is configured."""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from pydantic import ValidationError

from sas_core.fhir import VENDOR_ANSWER_MAX_BYTES, FhirEndpointSettings, build_ssl_context
from sas_core.fhir.tls import shared_ssl_context


@dataclass(frozen=True)
class Pki:
    """A vendor CA, and a client certificate with its key, made at test time."""

    vendor_ca: Path
    client_cert: Path
    client_key: Path
    server_key: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = tmp_path_factory.mktemp("pki")
    vendor_ca, platform_ca = trustme.CA(), trustme.CA()
    server = vendor_ca.issue_cert("127.0.0.1")
    client = platform_ca.issue_cert(common_name="ptf-sas.test")

    def write(name: str, blob: trustme.Blob) -> Path:
        blob.write_to_path(str(root / name))
        return root / name

    return Pki(
        vendor_ca=write("vendor-ca.pem", vendor_ca.cert_pem),
        client_cert=write("client.pem", client.cert_chain_pems[0]),
        client_key=write("client.key", client.private_key_pem),
        server_key=write("server.key", server.private_key_pem),
    )


def problems(**settings: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        FhirEndpointSettings(**settings)
    return [
        f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
        for e in caught.value.errors()
    ]


def test_defaults() -> None:
    settings = FhirEndpointSettings(base_url="https://vendor.example/fhir/")

    assert settings.base_url == "https://vendor.example/fhir"
    assert settings.verify is True
    assert settings.max_body_bytes == VENDOR_ANSWER_MAX_BYTES == 20 * 1024 * 1024
    assert settings.max_connections == 10
    assert settings.user_agent.startswith("sas-connect/")
    assert settings.client_cert is None and settings.client_key is None


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("ftp://vendor.example/fhir", "must be an http:// or https:// URL"),
        ("vendor.example/fhir", "must be an http:// or https:// URL"),
        ("https:///fhir", "must name a host"),
        ("https://user:pw@vendor.example/fhir", "must not carry credentials (user:password@)"),
        ("https://vendor.example/fhir?x=1", "must be the FHIR base, without query or fragment"),
    ],
)
def test_base_url_rules(url: str, rule: str) -> None:
    assert problems(base_url=url) == [f"base_url: Value error, {rule}"]


def test_files_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"

    assert problems(base_url="https://v.example", ca_bundle=missing) == [
        f"ca_bundle: Value error, file {missing} does not exist"
    ]


def test_files_must_be_files(tmp_path: Path) -> None:
    assert problems(base_url="https://v.example", ca_bundle=tmp_path) == [
        f"ca_bundle: Value error, {tmp_path} is not a file"
    ]


def test_client_cert_and_key_go_together(pki: Any) -> None:
    assert problems(base_url="https://v.example", client_cert=pki.client_cert) == [
        "settings: Value error, client_cert and client_key go together: set both or neither"
    ]


def test_client_cert_needs_https(pki: Any) -> None:
    assert problems(
        base_url="http://v.example", client_cert=pki.client_cert, client_key=pki.client_key
    ) == ["settings: Value error, client_cert/client_key need an https:// base_url"]


def test_mismatched_key_is_refused_without_its_content(pki: Any) -> None:
    [problem] = problems(
        base_url="https://v.example", client_cert=pki.client_cert, client_key=pki.server_key
    )

    assert problem.startswith(
        f"settings: Value error, client_cert {pki.client_cert} and client_key {pki.server_key} "
        "cannot be loaded as a PEM certificate chain and its key ("
    )
    assert "PRIVATE KEY" not in problem and "BEGIN" not in problem


def test_ca_bundle_must_be_pem(tmp_path: Path) -> None:
    junk = tmp_path / "ca.pem"
    junk.write_text("not a certificate")

    [problem] = problems(base_url="https://v.example", ca_bundle=junk)

    assert problem.startswith(f"settings: Value error, ca_bundle {junk} is not a PEM CA bundle")


def test_ca_bundle_and_verify_off_conflict(pki: Any) -> None:
    assert problems(base_url="https://v.example", ca_bundle=pki.vendor_ca, verify=False) == [
        "settings: Value error, ca_bundle is set but verify is false: choose one"
    ]


def test_limits_are_positive() -> None:
    assert problems(base_url="https://v.example", max_body_bytes=0, max_connections=0) == [
        "max_body_bytes: Input should be greater than 0",
        "max_connections: Input should be greater than or equal to 1",
    ]


def test_unknown_fields_are_refused() -> None:
    assert problems(base_url="https://v.example", base_ulr="x") == [
        "base_ulr: Extra inputs are not permitted"
    ]


def test_encrypted_key_is_refused_instead_of_prompting(pki: Any, tmp_path: Path) -> None:
    key = serialization.load_pem_private_key(pki.client_key.read_bytes(), None)
    encrypted = tmp_path / "encrypted.key"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )

    assert problems(
        base_url="https://v.example", client_cert=pki.client_cert, client_key=encrypted
    ) == ["settings: Value error, client_key is encrypted; give an unencrypted PEM key"]


def test_tls_context_refuses_versions_below_1_2(pki: Pki) -> None:
    context = build_ssl_context(pki.client_cert, pki.client_key, pki.vendor_ca)

    assert context.minimum_version is ssl.TLSVersion.TLSv1_2
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname


def test_tls_context_without_verification() -> None:
    context = build_ssl_context(None, None, None, verify=False)

    assert context.verify_mode is ssl.CERT_NONE and not context.check_hostname


def test_tls_contexts_are_shared_until_a_file_changes(tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("client.example")
    chain, key = tmp_path / "client.pem", tmp_path / "client.key"
    cert.private_key_and_cert_chain_pem.write_to_path(str(chain))
    cert.private_key_pem.write_to_path(str(key))
    first = shared_ssl_context(chain, key, None)
    assert shared_ssl_context(chain, key, None) is first
    assert shared_ssl_context(None, None, None) is not first
    stat = chain.stat()
    os.utime(chain, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert shared_ssl_context(chain, key, None) is not first
