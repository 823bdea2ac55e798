"""The web front: regulators' and platform team's pages, the JSON API, their login.

`Front` gathers what `create_app` mounts: the routes (pages, API, login, static assets), the
template engine, the cookie session, CSRF, OpenAPI, and the error pages. See docs/web.md.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig
from sqlalchemy.engine import Engine

from sas_core.plugins.host import PluginHost
from sas_core.settings import PlatformSettings
from sas_web.front.api import API_HANDLERS
from sas_web.front.assets import StaticAssets
from sas_web.front.auth import (
    RealmLink,
    authorised,
    callback,
    known_host,
    login,
    login_rate_limit,
    logout,
)
from sas_web.front.lrm_entry import LRM_HANDLERS
from sas_web.front.pages import PAGE_HANDLERS
from sas_web.front.services import FrontServices
from sas_web.front.settings import FrontSettings

#: Paths outside the front: vendors' FHIR (mTLS, no cookie) and the realm (its own session).
NOT_FRONT = ("/fhir", "/realms")
SESSION_COOKIE = "sas_front"
CSRF_COOKIE = "sas_csrf"


@dataclass
class Front:
    """The front's pieces, built once per app."""

    services: FrontServices
    settings: FrontSettings
    assets: StaticAssets
    secure_cookies: bool = True
    _secret: bytes = field(default=b"", repr=False)
    #: The realm mounted beside the front (its issuer and Host allow-list), if any.
    realm: RealmLink | None = None
    #: The TLS-terminating proxies whose `X-Forwarded-For` names the client (login rate limit).
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()

    @classmethod
    def build(
        cls,
        engine: Engine,
        plugins: PluginHost,
        platform: PlatformSettings,
        *,
        settings: FrontSettings | None = None,
        secure_cookies: bool = True,
        realm: RealmLink | None = None,
        trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = (),
    ) -> Front:
        settings = settings or FrontSettings()
        given = settings.session_secret
        secret = (
            given.get_secret_value().encode()[:32].ljust(32, b"\0")
            if given
            else secrets.token_bytes(32)
        )
        if given is not None and len(given.get_secret_value()) < 32:
            raise ValueError("SAS_WEB_SESSION_SECRET must be 32 characters or more")
        return cls(
            FrontServices(engine, plugins, platform),
            settings,
            StaticAssets.load(),
            secure_cookies,
            secret,
            realm,
            trusted_proxies,
        )

    def routers(self) -> list[Router]:
        """Pages, API and login behind the one role guard; the static files, anonymous; every
        one behind the `Host` check (`known_host`)."""
        guarded = Router(
            "/",
            route_handlers=[*PAGE_HANDLERS, *LRM_HANDLERS, *API_HANDLERS, callback, logout],
            guards=[known_host, authorised],
        )
        login_router = Router(
            "/",
            route_handlers=[login],
            guards=[known_host, authorised],
            middleware=[login_rate_limit(self.settings, self.trusted_proxies).middleware],
        )
        assets = Router("/", route_handlers=[self.assets.router()], guards=[known_host])
        return [guarded, login_router, assets]

    def template_config(self) -> TemplateConfig[JinjaTemplateEngine]:
        environment = Environment(
            loader=PackageLoader("sas_web.front"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        environment.globals["asset"] = self.assets.url
        return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))

    def session_config(self) -> CookieBackendConfig:
        """Encrypted (AES-GCM) cookie session; HttpOnly, SameSite=Lax (the login's callback
        is a top-level redirect from the realm), Secure unless served over plain HTTP."""
        return CookieBackendConfig(
            secret=self._secret,
            key=SESSION_COOKIE,
            max_age=self.settings.session_ttl_s,
            httponly=True,
            secure=self.secure_cookies,
            samesite="lax",
            exclude=[f"^{p}" for p in NOT_FRONT],
        )

    def csrf_config(self) -> CSRFConfig:
        """A token on every form (double-submit cookie); vendors' FHIR and the realm's
        token and login endpoints are outside (no browser session of the front there)."""
        return CSRFConfig(
            secret=self._secret.hex(),
            cookie_name=CSRF_COOKIE,
            cookie_secure=self.secure_cookies,
            cookie_httponly=True,
            cookie_samesite="strict",
            exclude=[f"^{p}" for p in NOT_FRONT],
        )

    @staticmethod
    def openapi_config() -> OpenAPIConfig:
        return OpenAPIConfig(
            title="SAS Connect",
            version="1",
            description="The platform's JSON API for its web front and tools (docs/web.md).",
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
        )

    def state(self) -> dict[str, Any]:
        return {"front": self.services, "front_settings": self.settings, "front_realm": self.realm}
