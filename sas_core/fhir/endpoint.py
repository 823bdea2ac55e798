"""Settings of one FHIR vendor endpoint, shared by every plugin that talks to vendors over FHIR.

Every check that can fail at 3 a.m. during a search (a missing key file, a certificate that does
not match its key, a base URL with credentials in it) is made here instead, so a typo is reported
when the territory's adapter registry is edited. A plugin uses `FhirEndpointSettings` as its
`settings_schema`, or a subclass of it that adds fields or changes a default (its User-Agent).
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sas_core.fhir.tls import TlsConfigError, shared_ssl_context

#: The documented cap on a vendor's answer: 20 MiB is ~40,000 slots, far above what 25
#: practitioners over 72 h can have (digest §12), so a bigger body is a vendor bug or an attack.
VENDOR_ANSWER_MAX_BYTES = 20 * 1024 * 1024


def user_agent_of(distribution: str, product: str) -> str:
    """`product/<version of distribution>` (`dev` when not installed): vendors see in their logs
    which plugin release called them."""
    try:
        release = version(distribution)
    except PackageNotFoundError:
        release = "dev"
    return f"{product}/{release}"


class FhirEndpointSettings(BaseModel):
    """How to reach one vendor that implements the ANS SAS FHIR IG (digest §2, §4).

    Production endpoints need mutual TLS with IGC-Santé certificates (digest §2): set
    `client_cert` and `client_key`, and `ca_bundle` when the vendor's CA is not in the system
    store. Plain `http` is accepted for simulators and local tests only.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = Field(
        description="FHIR base of the vendor (http or https), e.g. https://vendor.example/fhir"
    )
    client_cert: Path | None = Field(
        default=None, description="PEM client certificate (chain) presented for mutual TLS"
    )
    # A secret: the registry keeps it only as a reference (sas_core.registry.secrets).
    client_key: Path | None = Field(
        default=None,
        description="PEM private key of client_cert (unencrypted)",
        json_schema_extra={"secret": True},
        repr=False,
    )
    ca_bundle: Path | None = Field(
        default=None, description="PEM CA bundle that signs the vendor's server certificate"
    )
    verify: bool = Field(
        default=True, description="verify the vendor's server certificate (never off in prod)"
    )
    max_body_bytes: int = Field(
        default=VENDOR_ANSWER_MAX_BYTES,
        gt=0,
        description="answers bigger than this are refused without being read (default 20 MiB)",
    )
    max_connections: int = Field(
        default=10, ge=1, le=100, description="pooled connections kept to this vendor"
    )
    user_agent: str = Field(
        default_factory=lambda: user_agent_of("sas-connect", "sas-connect"), min_length=1
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https"):
            raise ValueError("must be an http:// or https:// URL")
        if not parts.hostname:
            raise ValueError("must name a host")
        if parts.username or parts.password:
            # Credentials in the URL would end up in logs and error messages.
            raise ValueError("must not carry credentials (user:password@)")
        if parts.query or parts.fragment:
            raise ValueError("must be the FHIR base, without query or fragment")
        return value.strip().rstrip("/")

    @field_validator("client_cert", "client_key", "ca_bundle")
    @classmethod
    def _readable_file(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        if not value.exists():
            raise ValueError(f"file {value} does not exist")
        if not value.is_file():
            raise ValueError(f"{value} is not a file")
        if not os.access(value, os.R_OK):
            raise ValueError(f"file {value} is not readable")
        return value

    @model_validator(mode="after")
    def _coherent_tls(self) -> FhirEndpointSettings:
        if (self.client_cert is None) != (self.client_key is None):
            raise ValueError("client_cert and client_key go together: set both or neither")
        https = self.base_url.startswith("https://")
        if self.client_cert is not None and not https:
            raise ValueError("client_cert/client_key need an https:// base_url")
        if self.ca_bundle is not None and not self.verify:
            raise ValueError("ca_bundle is set but verify is false: choose one")
        if https:
            try:
                shared_ssl_context(self.client_cert, self.client_key, self.ca_bundle, self.verify)
            except TlsConfigError as exc:
                raise ValueError(str(exc)) from None
        return self

    @property
    def uses_tls(self) -> bool:
        return self.base_url.startswith("https://")
