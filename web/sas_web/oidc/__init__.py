"""The platform's OpenID Connect realm `sas` (SSO for vendors, digest §8)."""

from sas_web.oidc.clients import ClientsFileError, OidcClient, load_clients, parse_clients
from sas_web.oidc.keys import SigningKeys
from sas_web.oidc.paths import REALM
from sas_web.oidc.provider import OidcProvider
from sas_web.oidc.realm import account_sync_at_login
from sas_web.oidc.sessions import SESSION_COOKIE
from sas_web.oidc.settings import OidcSettings
from sas_web.oidc.tokens import NATIONAL_ID_CLAIM

__all__ = [
    "NATIONAL_ID_CLAIM",
    "REALM",
    "SESSION_COOKIE",
    "ClientsFileError",
    "OidcClient",
    "OidcProvider",
    "OidcSettings",
    "SigningKeys",
    "account_sync_at_login",
    "load_clients",
    "parse_clients",
]
