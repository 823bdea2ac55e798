"""Security events and the access log, over real sockets: one line per event, naming the request,
and never a national id, a password, a code or a token."""

from __future__ import annotations

import logging
import os
import re
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from sas_core.accounts.models import Regulator
from sas_core.accounts.regulators import add_regulator
from sas_core.serving.server import AsgiServer, ServerTls
from sas_web import create_app
from sas_web.oidc import OidcProvider
from tests.web.conftest import Pki, appointment, serve
from tests.web.sso_support import DEV_PASSWORD, Browser, pkce
from tests.web.test_oidc_provider import CLIENTS, dev_settings, log_in_and_get_code, trust
from tests.web.test_serve_cli import free_port

#: A regulator's national id (prefixed RPPS): it must never reach a log line.
RPPS = "810000000000"
WRONG_PASSWORD = "not-the-password-Zq8"
LOGIN = "/realms/sas/login-actions/authenticate"


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """The platform's own lines at INFO (access log, events), every other logger at WARNING."""
    caplog.set_level(logging.INFO, logger="sas")
    return caplog


def lines(caplog: pytest.LogCaptureFixture, logger: str, at_least: int = 0) -> list[str]:
    """The messages of `logger`, waiting up to 5 s for `at_least` of them: the server's thread
    logs a request once its answer is sent, so the line may follow the answer by a moment."""
    deadline = time.monotonic() + 5
    while True:
        found = [r.getMessage() for r in caplog.records if r.name == logger]
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def event(caplog: pytest.LogCaptureFixture, name: str) -> str:
    """The first `sas.security` line of this event."""
    deadline = time.monotonic() + 5
    while True:
        found = [line for line in lines(caplog, "sas.security") if f"event={name} " in line]
        if found or time.monotonic() > deadline:
            assert found, lines(caplog, "sas.security")
            return found[0]
        time.sleep(0.02)


def test_refused_tls_handshakes_are_logged(
    engine: Engine, pki: Pki, records: pytest.LogCaptureFixture
) -> None:
    foreign = ssl.create_default_context(cafile=str(pki.ca_file))
    foreign.load_cert_chain(pki.client("foreign", "acme-lga", "ACME", ca=pki.other_ca))
    with serve(engine, pki.allow_list(), pki.tls) as server:
        for context in (foreign, trust(pki)):  # another CA's certificate; none at all
            with pytest.raises(httpx.HTTPError):
                httpx.get(f"{server.base_url}/metadata", verify=context)
        refused = lines(records, "sas.security", at_least=2)
    assert len(refused) == 2, refused
    assert all(r.startswith("event=tls_handshake_failed client=127.0.0.1 reason=") for r in refused)
    assert "reason=CERTIFICATE_VERIFY_FAILED" in refused[0]
    assert "unable to get local issuer certificate" in refused[0]
    assert "reason=PEER_DID_NOT_RETURN_A_CERTIFICATE" in refused[1]


def test_a_certificate_outside_the_allow_list_is_logged(
    engine: Engine, pki: Pki, records: pytest.LogCaptureFixture
) -> None:
    context = trust(pki)
    context.load_cert_chain(pki.client("intruder", "intruder-lga", "EVIL"))
    with serve(engine, pki.allow_list(), pki.tls) as server:
        answer = httpx.post(
            f"{server.base_url}/Appointment",
            json=appointment(),
            headers={"Content-Type": "application/fhir+json"},
            verify=context,
        )
    assert answer.status_code == 403
    line = event(records, "vendor_refused")
    assert f"request_id={answer.headers['x-request-id']} " in line
    assert "reason=not_in_allow_list client=127.0.0.1 path=/fhir/Appointment" in line
    assert "cn=intruder-lga ou=EVIL" in line


def test_the_access_log_has_the_path_without_its_query(
    dev_server: AsgiServer, records: pytest.LogCaptureFixture
) -> None:
    answer = httpx.get(
        f"{dev_server.base_url}/Appointment",
        params={"identifier": f"urn:oid:1.2.250.1.71.4.2.1|{RPPS}"},
    )
    assert answer.status_code == 200
    request_id = answer.headers["x-request-id"]
    deadline = time.monotonic() + 5  # the line follows the answer: the server logs once it is sent
    while not (ours := [x for x in lines(records, "sas.access") if request_id in x]):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert re.fullmatch(
        rf"request_id={request_id} client=127\.0\.0\.1 method=GET "
        r"path=/fhir/Appointment status=200 duration_ms=\d+\.\d",
        ours[0],
    ), ours
    assert RPPS not in records.text


@pytest.fixture
def realm(engine: Engine, pki: Pki) -> Iterator[AsgiServer]:
    app = create_app(
        identity=pki.allow_list(),
        engine=engine,
        oidc=OidcProvider(engine, CLIENTS, dev_settings()),
        body_timeout_s=0.5,
    )
    with AsgiServer(app, tls=ServerTls(pki.server_chain, pki.server_chain)) as server:
        yield server


@pytest.fixture
def regulator(engine: Engine) -> Regulator:
    return add_regulator(
        engine,
        family="Durand",
        given="Paul",
        email="paul.durand@sas.example",
        territory="SAS-33",
        national_id=RPPS,
    )


def test_realm_refusals_are_logged_without_secrets(
    realm: AsgiServer, pki: Pki, regulator: Regulator, records: pytest.LogCaptureFixture
) -> None:
    issuer = f"{realm.root_url}/realms/sas"
    protocol = f"{issuer}/protocol/openid-connect"
    browser = Browser(trust(pki))
    # Failed logins: a wrong password; the national id typed as the e-mail.
    login = f"{realm.root_url}{LOGIN}"
    assert browser.post(
        login, data={"email": regulator.email, "password": WRONG_PASSWORD}
    ).status_code == (401)
    failed = event(records, "login_failed")
    assert "reason=wrong_password account=" in failed
    assert f"regulator={regulator.id} client=127.0.0.1 login=local" in failed
    assert browser.post(login, data={"email": RPPS, "password": "x"}).status_code == 401

    # A code redeemed twice; an access token tampered with; a logout.
    verifier, challenge = pkce()
    code = log_in_and_get_code(browser, realm, regulator.email, challenge)
    assert "event=login_succeeded" in event(records, "login_succeeded")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "https://vendor.example/callback",
        "code_verifier": verifier,
        "client_id": "public-vendor",
    }
    tokens = httpx.post(f"{protocol}/token", data=form, verify=trust(pki)).json()
    assert httpx.post(f"{protocol}/token", data=form, verify=trust(pki)).status_code == 400
    replay = event(records, "code_replay")
    assert f"client_id=public-vendor regulator={regulator.id}" in replay
    assert "error=invalid_grant client_id=public-vendor" in event(records, "token_refused")
    forged = tokens["access_token"][:-4] + "AAAA"
    userinfo = httpx.get(
        f"{protocol}/userinfo", headers={"Authorization": f"Bearer {forged}"}, verify=trust(pki)
    )
    assert userinfo.status_code == 401
    assert "use=userinfo reason=bad_signature" in event(records, "invalid_token")
    out = browser.get(f"{protocol}/logout", params={"id_token_hint": tokens["id_token"]})
    assert out.status_code == 200
    assert f"regulator={regulator.id}" in event(records, "logout")

    # Throttled: the account has failed five times since its last login.
    for _ in range(5):
        browser.post(login, data={"email": regulator.email, "password": WRONG_PASSWORD})
    throttled = browser.post(login, data={"email": regulator.email, "password": DEV_PASSWORD})
    assert throttled.status_code == 429
    assert "retry_after_s=60" in event(records, "login_throttled")

    # An unknown Host; a form trickled past its deadline.
    assert (
        httpx.get(
            f"{issuer}/account", headers={"Host": "evil.example"}, verify=trust(pki)
        ).status_code
        == 400
    )
    assert "host=evil.example client=127.0.0.1" in event(records, "unknown_host")
    trickling = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "100"}
    slow = httpx.post(login, content=trickled(), headers=trickling, verify=trust(pki))
    assert slow.status_code == 408
    assert "path=/realms/sas/login-actions/authenticate" in event(records, "body_timeout")
    browser.close()

    # The token answer's strings that are secrets (not `expires_in`'s 300, which a random request
    # id may contain).
    issued = [tokens[key] for key in ("access_token", "id_token", "refresh_token") if key in tokens]
    secrets = [RPPS, WRONG_PASSWORD, DEV_PASSWORD, code, forged, *issued]
    for secret in secrets:
        assert str(secret) not in records.text
    assert regulator.email not in records.text


def trickled() -> Iterator[bytes]:
    yield b"email="
    time.sleep(1)
    yield b"x" * 94


def test_sas_serve_writes_both_logs_to_stderr(tmp_path: Path) -> None:
    """`sas serve` at its default verbosity keeps the access log and the security events."""
    port, sso_port = free_port(), free_port()
    env = {
        **os.environ,
        "SAS_DATA_DIR": str(tmp_path),
        "SAS_OIDC_DEVELOPMENT": "1",
        "SAS_OIDC_DEV_PASSWORD": DEV_PASSWORD,
    }
    cmd = [sys.executable, "-m", "sas_core.cli", "serve", "--insecure-dev"]
    cmd += ["--port", str(port), "--sso-port", str(sso_port)]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(2):  # "serving the platform", "serving the SSO realm"
            assert process.stdout is not None and process.stdout.readline()
        search = httpx.get(
            f"http://127.0.0.1:{port}/fhir/Appointment",
            params={"identifier": f"urn:oid:1.2.250.1.71.4.2.1|{RPPS}"},
        )
        assert search.status_code == 200
        login = httpx.post(
            f"http://127.0.0.1:{sso_port}{LOGIN}",
            data={"email": f"{RPPS}@sas.example", "password": WRONG_PASSWORD},
        )
        assert login.status_code == 401
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    stderr = err.decode()
    assert (
        f"INFO sas.access: request_id={search.headers['x-request-id']} client=127.0.0.1 "
        "method=GET path=/fhir/Appointment status=200 duration_ms="
    ) in stderr
    assert "WARNING sas.security: event=login_failed request_id=" in stderr
    assert "reason=unknown_account" in stderr
    assert RPPS not in stderr and WRONG_PASSWORD not in stderr
