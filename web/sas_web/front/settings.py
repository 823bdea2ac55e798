"""The web front's settings, from `SAS_WEB_*` environment variables."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: The front's client id at the platform's realm (registered by the app itself).
FRONT_CLIENT_ID = "sas-front"


class FrontSettings(BaseSettings):
    """The regulators' and platform team's pages: login, session, roles.

    Each field's docstring is its description in the generated settings reference.
    """

    model_config = SettingsConfigDict(env_prefix="SAS_WEB_", use_attribute_docstrings=True)

    session_secret: SecretStr | None = None
    """The key (32 characters or more) that encrypts the front's session cookie. Default: a
    random one per process (sessions then end at each restart, and several instances do not
    share them: set it in production)."""
    admins: Annotated[tuple[str, ...], NoDecode] = ()
    """Comma-separated e-mails of the platform team: those accounts get the `admin` role on top
    of `regulator`."""
    session_idle_s: int = 30 * 60
    """A front session unused this long (seconds) ends: regulation rooms share workstations."""
    session_ttl_s: int = 10 * 3600
    """How long a front session lives at most (seconds): a regulator's shift."""
    oidc_issuer: str | None = None
    """The issuer the front logs in with. Default: the platform's own realm, at its
    `SAS_OIDC_ISSUER` or else at the address the platform listens on (never the request's
    `Host`); without a realm mounted, set it, or the login answers 503."""
    oidc_client_id: str = FRONT_CLIENT_ID
    """The front's client id at that issuer."""
    oidc_client_secret: SecretStr | None = None
    """The front's client secret there, when it is a confidential client (the platform's own
    realm registers it as a public client: PKCE)."""
    oidc_discovery_path: str = "/.well-known/openid-configuration"
    """Where the issuer's discovery document is, relative to the issuer (Pro Santé Connect
    serves it at a path of its own)."""
    oidc_acr_values: str | None = None
    """The minimum authentication level to ask for (`acr_values`, e.g. `eidas1`); a higher
    level (`eidas2`, a CPS card) satisfies it."""
    login_rate_per_minute: int = 20
    """Login starts allowed per client address and minute (429 beyond); behind a trusted
    TLS-terminating proxy, per address it forwards (`X-Forwarded-For`)."""

    @field_validator("admins", mode="before")
    @classmethod
    def _commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(v.strip().lower() for v in value.split(",") if v.strip())
        return value
