"""The OpenID Connect provider's settings, from `SAS_OIDC_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    """Comma-separated `host[:port]` the realm answers besides the issuer's and loopback; any
    other `Host` header is refused (400), never reflected into the issuer or `Location`."""
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
    session_idle_s: int = 30 * 60
    """Regulation rooms share workstations: a session unused this long (seconds) ends, whatever
    is left of its absolute lifetime (each request of the browser to the realm counts as use)."""
    code_ttl_s: int = 60
    """How long an authorization code lives, in seconds; it is redeemed once."""
    token_ttl_s: int = 300
    """How long ID and access tokens live, in seconds."""
    key_retention_s: int = 24 * 3600
    """How long a rotated-out signing key stays in the JWKS, in seconds: longer than any token
    it signed lives, and than relying parties cache the JWKS."""
    login_max_failures: int = 5
    """Login throttling: this many failures of one account within the window lock it out, first
    for `login_lockout_s`, doubling with each further failure (up to the window)."""
    login_max_failures_per_address: int = 20
    """The same from one address, higher: a regulation room's workstations share one address."""
    login_failure_window_s: int = 15 * 60
    """The window, in seconds, over which login failures are counted."""
    login_lockout_s: int = 60
    """The first lockout, in seconds, once the failures reach their limit."""

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value
