"""Helpers for the SSO tests: a regulator's browser (cookies kept, redirects followed by hand)
and PKCE material."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

DEV_PASSWORD = "development-only-password"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


class Browser:
    """httpx playing the regulator's browser: one cookie jar, redirects one at a time."""

    def __init__(self, verify: Any) -> None:
        self.http = httpx.Client(verify=verify, follow_redirects=False, timeout=15)

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.http.get(url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.http.post(url, **kw)

    def follow(self, response: httpx.Response) -> httpx.Response:
        assert response.status_code in (302, 303), (response.status_code, response.text)
        return self.get(urljoin(str(response.url), response.headers["location"]))

    def log_in(
        self, login_page: httpx.Response, email: str, password: str = DEV_PASSWORD
    ) -> httpx.Response:
        """Fill and send the realm's development login form shown by `login_page`."""
        assert login_page.status_code == 200, login_page.text
        match = re.search(r"name='return_to' value='([^']*)'", login_page.text)
        assert match, login_page.text
        action = urljoin(str(login_page.url), "/realms/sas/login-actions/authenticate")
        return self.post(
            action,
            data={"return_to": unescape(match.group(1)), "email": email, "password": password},
        )

    def close(self) -> None:
        self.http.close()
