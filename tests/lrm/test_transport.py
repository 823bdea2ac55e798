"""The connection as the Hub asks for it: TLS 1.2+, the server verified, our certificate
presented, SASL EXTERNAL without credentials; plain with a password on the loopback."""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme
from pydantic import SecretStr

from sas_lrm.settings import LrmSettings
from sas_lrm.transport import CONNECTION_NAME, broker_url, tls_context, where


def hub_settings(tmp_path: Path) -> LrmSettings:
    ca = trustme.CA()
    client = ca.issue_cert("fr.health.test.ptfsas")
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    client.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    client.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    return LrmSettings(
        amqp_url=SecretStr("amqps://user:secret@messaging.hub.example:5671/15-SAS_v1"),
        tls_ca_file=tmp_path / "ca.pem",
        tls_cert_file=tmp_path / "cert.pem",
        tls_key_file=tmp_path / "key.pem",
    )


def test_with_a_certificate_the_login_is_sasl_external_without_credentials(
    tmp_path: Path,
) -> None:
    url = broker_url(hub_settings(tmp_path))
    assert url.query["auth"] == "external"
    assert url.user is None and url.password is None
    assert url.query["name"] == CONNECTION_NAME
    assert (url.host, url.port, url.path) == ("messaging.hub.example", 5671, "/15-SAS_v1")


def test_the_tls_context_verifies_the_hub_and_refuses_old_protocols(tmp_path: Path) -> None:
    context = tls_context(hub_settings(tmp_path))
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2


def test_plain_on_the_loopback_keeps_the_password_out_of_messages() -> None:
    settings = LrmSettings()
    assert "auth" not in broker_url(settings).query
    assert where(settings) == "amqp://127.0.0.1:5672/"
