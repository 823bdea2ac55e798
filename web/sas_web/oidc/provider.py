"""The platform's OpenID Connect realm `sas` (digest §8.2): vendors delegate the login of users
arriving with `origin` to it, as the real platform's Keycloak realm brokering Pro Santé Connect.

`OidcProvider` is what the web app mounts: the realm (`realm`), its routes (`controller`), on
Authlib's server (`grants`), the sessions (`sessions`), the pages (`pages`, Jinja templates) and
the platform's database (`sas_core.storage.realm`).
"""

from __future__ import annotations

from litestar import Router

from sas_web.oidc.controller import realm_router
from sas_web.oidc.realm import Realm


class OidcProvider(Realm):
    """The realm and its routes; `create_app(oidc=...)` mounts `router()`."""

    def router(self) -> Router:
        """The realm's routes, each behind the Host check."""
        return realm_router(self)
