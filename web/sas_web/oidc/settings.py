"""The OpenID Connect provider's settings, from `SAS_OIDC_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Pro Santé Connect's scopes for a health professional's identity (its `scope_all` gives the
#: national id claim, `SubjectNameID`).
PSC_SCOPES = "openid scope_all"


class OidcSettings(BaseSettings):
    """The SSO realm `/realms/sas`: issuer, clients, login, upstream Pro Santé Connect, lifetimes.

    Each field's docstring is its description in the generated settings reference.
    """

    model_config = SettingsConfigDict(env_prefix="SAS_OIDC_", use_attribute_docstrings=True)

    issuer: str | None = None
    """The realm's issuer. Default: the request's origin + `/realms/sas`. Behind a
    TLS-terminating proxy, set the public one (`https://sso.example/realms/sas`): its scheme and
    host stand for the request's."""
    clients_file: Path | None = None
    """The TOML file of registered vendor clients. Default: `oidc-clients.toml` in the data
    directory."""
    login: Literal["local", "pro-sante-connect"] = "local"
    """How regulators log in: `local` (development and tests only: a known, active regulator's
    e-mail and the shared development password) or `pro-sante-connect` (production)."""
    development: bool = False
    """Must be true for the `local` login: the realm refuses to start with it otherwise."""
    dev_password: SecretStr | None = None
    """The shared password of the `local` login."""
    upstream_issuer: str | None = None
    """Pro Santé Connect's issuer (the `pro-sante-connect` login)."""
    upstream_client_id: str | None = None
    """The realm's client id at Pro Santé Connect."""
    upstream_client_secret: SecretStr | None = None
    """The realm's client secret at Pro Santé Connect."""
    upstream_scopes: str = PSC_SCOPES
    """The scopes asked of Pro Santé Connect (`scope_all` gives the national id claim)."""
    upstream_id_claim: str = "SubjectNameID"
    """The claim holding the national id, read from the ID token or else userinfo, and mapped
    to the active regulator with that national id."""
    upstream_ca_bundle: Path | None = None
    """The CA bundle (PEM) that verifies Pro Santé Connect; default: the system's."""
    session_ttl_s: int = 10 * 3600
    """How long a realm session lives, in seconds: a regulator's shift, one login a day rather
    than one per vendor."""
    code_ttl_s: int = 60
    """How long an authorization code lives, in seconds; it is redeemed once."""
    token_ttl_s: int = 300
    """How long ID and access tokens live, in seconds."""
    key_retention_s: int = 24 * 3600
    """How long a rotated-out signing key stays in the JWKS, in seconds: longer than any token
    it signed lives, and than relying parties cache the JWKS."""
