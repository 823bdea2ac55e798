"""`sas serve` settings from `SAS_SERVE_*` environment variables (command-line options add to or
override them)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sas_core.serving.server import DEFAULT_LIMIT_CONCURRENCY
from sas_web.app import APPOINTMENT_BODY_MAX_BYTES
from sas_web.body_deadline import DEFAULT_BODY_TIMEOUT_S
from sas_web.vendors import VendorRule


class ServeSettings(BaseSettings):
    """`sas serve`'s listener, TLS material and vendor allow-list.

    Each field's docstring is its description in the generated settings reference.
    """

    model_config = SettingsConfigDict(env_prefix="SAS_SERVE_", use_attribute_docstrings=True)

    vendors: Annotated[tuple[str, ...], NoDecode] = ()
    """The vendor allow-list, `;`-separated (a certificate subject may hold a comma):
    `acme:CN of acme[:OU];other:CN2`. Each `NAME:CN[:OU]` is a vendor and the client-certificate
    subject that identifies it; `--vendor` options add to it."""
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
    """Comma-separated addresses or networks (`10.0.0.5,10.1.0.0/16`) of TLS-terminating
    proxies whose `X-SSL-Client-Cert` header is believed; `--trusted-proxy` options add to it."""
    tls_cert: Path | None = None
    """The server certificate (PEM); `--tls-cert` overrides it."""
    tls_key: Path | None = None
    """The server's private key (PEM); `--tls-key` overrides it."""
    client_ca: Path | None = None
    """The CA that issues vendors' client certificates (IGC-Santé), PEM; `--client-ca`
    overrides it."""
    max_body_bytes: int = APPOINTMENT_BODY_MAX_BYTES
    """The largest Appointment body accepted under `/fhir` (1 MiB), checked on Content-Length
    and while the body streams in; `--max-body-bytes` overrides it."""
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S
    """A request body must arrive whole within this many seconds, else 408 (slow-loris bodies)."""
    limit_concurrency: int = DEFAULT_LIMIT_CONCURRENCY
    """Connections and requests each listener holds at once; 503 beyond."""

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
