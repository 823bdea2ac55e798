"""The front's fixtures: the platform (front + realm with its development login) on a real
plain-HTTP socket, a regulator and an admin, and a browser made of httpx that logs them in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from urllib.parse import urljoin

import httpx
import pytest
from sqlalchemy.engine import Engine

from sas_core.accounts.models import Regulator
from sas_core.accounts.regulators import add_regulator
from sas_core.serving.server import AsgiServer
from sas_web import DevelopmentVendor, create_app
from sas_web.front.settings import FrontSettings
from sas_web.oidc import OidcProvider
from tests.web.sso_support import DEV_PASSWORD
from tests.web.test_oidc_provider import dev_settings

ADMIN_EMAIL = "alex.durand@sas.example"


@dataclass
class Platform:
    base: str
    regulator: Regulator
    admin: Regulator
    engine: Engine
    app: object


@pytest.fixture
def admin(engine: Engine) -> Regulator:
    return add_regulator(
        engine, family="Durand", given="Alex", email=ADMIN_EMAIL, territory="SAS-33"
    )


def front_app(engine: Engine, **settings: object) -> object:
    provider = OidcProvider(engine, {}, dev_settings())
    return create_app(
        identity=DevelopmentVendor(),
        engine=engine,
        oidc=provider,
        secure_cookies=False,
        front_settings=FrontSettings(admins=(ADMIN_EMAIL,), **settings),  # type: ignore[arg-type]
    )


@pytest.fixture
def platform(
    engine: Engine, regulator: Regulator, admin: Regulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Platform]:
    """The platform at http://127.0.0.1:<port> (Authlib allows OAuth over plain HTTP here)."""
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    app = front_app(engine)
    with AsgiServer(app) as server:  # type: ignore[arg-type]
        yield Platform(server.root_url, regulator, admin, engine, app)


class FrontBrowser:
    """httpx as a browser: one cookie jar, redirects followed by hand."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(follow_redirects=False, timeout=20)

    def get(self, path: str, **kw: object) -> httpx.Response:
        return self.http.get(urljoin(self.base, path), **kw)  # type: ignore[arg-type]

    def post(self, path: str, **kw: object) -> httpx.Response:
        return self.http.post(urljoin(self.base, path), **kw)  # type: ignore[arg-type]

    def follow(self, response: httpx.Response) -> httpx.Response:
        while response.status_code in (302, 303):
            response = self.http.get(urljoin(str(response.url), response.headers["location"]))
        return response

    def log_in(self, email: str, start: str = "/connexion") -> httpx.Response:
        """From `start` through the realm's development form and back to the front (straight
        back when the realm's own session is still alive: no form then)."""
        page = self.follow(self.get(start))
        assert page.status_code == 200, page.text
        if not page.url.path.startswith("/realms/"):
            return page
        match = re.search(r"name='return_to' value='([^']*)'", page.text)
        assert match, page.text
        sent = self.http.post(
            urljoin(str(page.url), "/realms/sas/login-actions/authenticate"),
            data={"return_to": unescape(match.group(1)), "email": email, "password": DEV_PASSWORD},
        )
        return self.follow(sent)

    def csrf(self, page: httpx.Response) -> str:
        match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert match, page.text
        return match.group(1)

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def browser(platform: Platform) -> Iterator[FrontBrowser]:
    b = FrontBrowser(platform.base)
    yield b
    b.close()
