"""`sas serve` settings from `SAS_SERVE_*` environment variables (command-line options add to or
override them)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sas_core.serving import DEFAULT_LIMIT_CONCURRENCY
from sas_web.app import DEFAULT_MAX_BODY_BYTES
from sas_web.body_deadline import DEFAULT_BODY_TIMEOUT_S
from sas_web.vendors import VendorRule


class ServeSettings(BaseSettings):
    """`SAS_SERVE_VENDORS="acme:CN of acme[:OU];other:CN2"`, `SAS_SERVE_TRUSTED_PROXIES=
    "10.0.0.5,10.1.0.0/16"`, `SAS_SERVE_TLS_CERT`, `SAS_SERVE_TLS_KEY`, `SAS_SERVE_CLIENT_CA`,
    `SAS_SERVE_MAX_BODY_BYTES`, `SAS_SERVE_BODY_TIMEOUT_S` (a request body must arrive within it:
    408), `SAS_SERVE_LIMIT_CONCURRENCY` (connections and requests each listener holds: 503
    beyond)."""

    model_config = SettingsConfigDict(env_prefix="SAS_SERVE_")

    vendors: Annotated[tuple[str, ...], NoDecode] = ()
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
    tls_cert: Path | None = None
    tls_key: Path | None = None
    client_ca: Path | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S
    limit_concurrency: int = DEFAULT_LIMIT_CONCURRENCY

    @field_validator("vendors", mode="before")
    @classmethod
    def _semicolons(cls, value: Any) -> Any:
        """Vendors are `;`-separated: a certificate subject may contain a comma."""
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(";") if v.strip())
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value

    def vendor_rules(self) -> list[VendorRule]:
        return self.parse_rules(self.vendors)

    @staticmethod
    def parse_rules(texts: Iterable[str]) -> list[VendorRule]:
        return [VendorRule.parse(t) for t in texts]
