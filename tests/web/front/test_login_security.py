"""The front's login against forged requests, over real sockets: a `Host` header naming the
attacker's OpenID provider (the review's proof of concept), userinfo about someone else, and
the login rate limit behind the trusted TLS-terminating proxy."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy.engine import Engine

from sas_core.serving.server import AsgiServer
from sas_web import CertificateAllowList, create_app
from sas_web.front.settings import FrontSettings
from sas_web.oidc import OidcProvider
from tests.web.front.conftest import ADMIN_EMAIL, FrontBrowser, Platform, front_app
from tests.web.front.test_relying_party import DISCOVERY, FakePsc
from tests.web.test_oidc_provider import dev_settings


class Listener(http.server.BaseHTTPRequestHandler):
    """The attacker's provider: it only counts who asks it anything."""

    asked: ClassVar[list[str]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.asked.append(self.path)
        self.send_response(404)
        self.end_headers()


@pytest.fixture
def attacker() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on another loopback address (127.0.0.2) and its log of requests."""
    asked: ClassVar[list[str]] = []
    handler = type("Recorded", (Listener,), {"asked": asked})
    try:
        server = http.server.HTTPServer(("127.0.0.2", 0), handler)
    except OSError as exc:
        pytest.skip(f"cannot listen on 127.0.0.2: {exc}")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.2:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()


def test_a_forged_host_is_refused_and_never_names_the_issuer(
    platform: Platform, attacker: tuple[str, list[str]]
) -> None:
    evil, asked = attacker
    with httpx.Client(base_url=platform.base, follow_redirects=False) as http:
        # The proof of concept: the login started under the attacker's Host.
        refused = http.get("/connexion", params={"next": "/admin"}, headers={"Host": evil})
        assert refused.status_code == 400
        assert "location" not in refused.headers
        back = http.get("/connexion/retour", params={"code": "c", "state": "s"},
                        headers={"Host": evil})  # fmt: skip
        assert back.status_code == 400
        assert http.get("/admin", headers={"Host": evil}).status_code == 400
        # A loopback Host on another port passes the allow-list (any port), yet the issuer
        # stays the platform's own: the login goes to the realm where it listens.
        port = evil.rsplit(":", 1)[1]
        started = http.get("/connexion", headers={"Host": f"127.0.0.1:{port}"})
        assert started.status_code == 302
        assert started.headers["location"].startswith(f"{platform.base}/realms/sas/")
    assert asked == []


def test_userinfo_about_another_subject_is_refused(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    psc = FakePsc()
    with AsgiServer(psc.app()) as provider:  # type: ignore[arg-type]
        psc.issuer = provider.root_url
        app = front_app(engine, oidc_issuer=psc.issuer, oidc_discovery_path=DISCOVERY)
        with AsgiServer(app) as server:  # type: ignore[arg-type]
            for sub, expected in (("someone-else", 401), ("psc-subject", 302)):
                psc.userinfo_sub = sub
                browser = FrontBrowser(server.root_url)
                started = browser.get("/connexion", params={"next": "/rendez-vous"})
                asked = {
                    k: v[0]
                    for k, v in parse_qs(urlsplit(started.headers["location"]).query).items()
                }
                psc.nonce = asked["nonce"]
                back = browser.get(
                    "/connexion/retour", params={"code": "c", "state": asked["state"]}
                )
                assert back.status_code == expected, back.text
                if expected == 401:
                    assert "La connexion a échoué" in back.text
                    assert browser.get("/rendez-vous").status_code == 302  # no session
                else:
                    assert back.headers["location"] == "/rendez-vous"
                browser.close()


def test_the_login_rate_limit_is_per_client_behind_the_trusted_proxy(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    app = create_app(
        identity=CertificateAllowList([], ["127.0.0.1/32"]),
        engine=engine,
        oidc=OidcProvider(engine, {}, dev_settings()),
        secure_cookies=False,
        front_settings=FrontSettings(login_rate_per_minute=2),
    )
    with AsgiServer(app) as server, httpx.Client(base_url=server.root_url) as http:  # type: ignore[arg-type]

        def start(client: str) -> int:
            # What the proxy sends: whatever the client claimed, then the address it saw.
            headers = {"X-Forwarded-For": f"10.9.9.9, {client}"}
            return http.get("/connexion", headers=headers).status_code

        assert [start("192.0.2.1") for _ in range(3)] == [302, 302, 429]
        # Another regulator behind the same proxy keeps their own budget.
        assert start("192.0.2.2") == 302


def test_an_expired_form_says_so_and_shows_what_was_typed(
    platform: Platform, browser: FrontBrowser
) -> None:
    browser.log_in(ADMIN_EMAIL)
    path = "/admin/territoires/SAS-33/editeur-b"
    typed = {"action": "disable", "raison": "panne signalée", "_csrf_token": "stale-token"}
    own = browser.post(path, data=typed, headers={"Origin": platform.base})
    assert own.status_code == 403
    assert "Formulaire expiré" in own.text and "Rechargez la page" in own.text
    assert "n’a pas accès" not in own.text
    assert "panne signalée" in own.text and "stale-token" not in own.text
    assert f'href="{path}"' in own.text  # the way back to the form
    # Another site's forged form is not echoed back.
    forged = browser.post(path, data=typed, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403 and "Formulaire expiré" in forged.text
    assert "panne signalée" not in forged.text
