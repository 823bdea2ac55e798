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
    """`SAS_OIDC_ISSUER` (default: the request's origin + `/realms/sas`, for the hosts of
    `SAS_OIDC_ALLOWED_HOSTS` only; behind a TLS-terminating proxy, the public https one: its
    scheme and host stand for the request's), `SAS_OIDC_ALLOWED_HOSTS` (`host[:port],…`: the
    Host headers the realm answers besides the issuer's and loopback), `SAS_OIDC_CLIENTS_FILE`
    (default `oidc-clients.toml` in the data dir), `SAS_OIDC_LOGIN` (`local` or
    `pro-sante-connect`), `SAS_OIDC_DEVELOPMENT` and `SAS_OIDC_DEV_PASSWORD` (local login),
    `SAS_OIDC_UPSTREAM_*` (Pro Santé Connect), `SAS_OIDC_LOGIN_*` (login throttling), lifetimes
    in seconds."""

    model_config = SettingsConfigDict(env_prefix="SAS_OIDC_")

    issuer: str | None = None
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    clients_file: Path | None = None
    login: Literal["local", "pro-sante-connect"] = "local"
    development: bool = False
    dev_password: SecretStr | None = None
    upstream_issuer: str | None = None
    upstream_client_id: str | None = None
    upstream_client_secret: SecretStr | None = None
    upstream_scopes: str = PSC_SCOPES
    upstream_id_claim: str = "SubjectNameID"
    upstream_ca_bundle: Path | None = None
    #: A regulator's shift: one login a day, not one per vendor.
    session_ttl_s: int = 10 * 3600
    #: Regulation rooms share workstations: a session unused for 30 min ends, whatever is left
    #: of its absolute lifetime (each request of the browser to the realm counts as use).
    session_idle_s: int = 30 * 60
    code_ttl_s: int = 60
    token_ttl_s: int = 300
    #: How long a rotated-out key stays in the JWKS: longer than any token it signed lives, and
    #: than relying parties cache the JWKS.
    key_retention_s: int = 24 * 3600
    #: Login throttling: this many failures within the window lock an account out, first for
    #: `login_lockout_s`, doubling with each further failure (up to the window).
    login_max_failures: int = 5
    #: The same from one address, higher: a regulation room's workstations share one address.
    login_max_failures_per_address: int = 20
    login_failure_window_s: int = 15 * 60
    login_lockout_s: int = 60

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value
