"""The LRM plugin's settings (`SAS_LRM_*`): how it reaches Hub Santé and how it retries."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: The Hub's orientation categories (RS-SAS-RDV `orientationCategory`).
OrientationCategory = Literal["PS", "SOS", "CPTS", "MSP", "CDS", "PDM"]
ORIENTATION_CATEGORIES: tuple[OrientationCategory, ...] = ("PS", "SOS", "CPTS", "MSP", "CDS", "PDM")


class LrmSettings(BaseSettings):
    """Forwarding appointments to the LRMs through Hub Santé (INT_L02).

    Production: `SAS_LRM_AMQP_URL=amqps://messaging.hub.esante.gouv.fr:5671/<vhost>` with the
    three `SAS_LRM_TLS_*` files (certificate login, SASL EXTERNAL). Tests and the local stand-in:
    plain AMQP on the loopback.
    """

    model_config = SettingsConfigDict(env_prefix="SAS_LRM_", use_attribute_docstrings=True)

    amqp_url: SecretStr = SecretStr("amqp://guest:guest@127.0.0.1:5672/")
    """The broker: `amqps://host:5671/vhost` for Hub Santé (certificate login), or
    `amqp://user:password@127.0.0.1:5672/` for the local stand-in. Never logged."""
    client_id: str = "fr.health.test.ptfsas"
    """The platform's client id on the Hub: `fr.health.ptfsas` in production,
    `fr.health.test.ptfsas` elsewhere. Also the routing key and the prefix of every
    distributionID."""
    exchange: str = "hubsante"
    """The exchange the platform publishes to (the Hub's `hubsante`)."""
    tls_ca_file: Path | None = None
    """PEM bundle of the IGC Santé chain that signs the Hub's server certificate."""
    tls_cert_file: Path | None = None
    """The platform's IGC Santé client certificate (PEM); set with the key, the connection logs
    in with it (SASL EXTERNAL) instead of a password."""
    tls_key_file: Path | None = None
    """The private key of `SAS_LRM_TLS_CERT_FILE` (PEM)."""
    hub_schemas: Path | None = None
    """The Hub's `json-schema` folder (ansforge/SAMU-Hub-Modeles): when set, messages are
    validated against its `EDXL-DE-full.schema.json` instead of the plugin's own schemas."""
    ack_timeout_s: float = Field(default=600.0, gt=0)
    """How long a published message waits for the LRM's final acknowledgement before it is
    sent again (same distributionID: the LRM discards the copy)."""
    max_attempts: int = Field(default=5, ge=1)
    """Tries per message (publishes, and retries after a Hub error that allows one) before it
    is parked for a person to look at."""
    retry_base_s: float = Field(default=5.0, gt=0)
    """First wait before a retry; doubled at each failure, at most one hour."""
    message_ttl_s: int = Field(default=86400, ge=60, le=86400)
    """`dateTimeExpires` is sent + this (the Hub caps it at 24 h; an expired message is reported
    as error 400 and re-sent fresh)."""
    orientation: Annotated[dict[str, OrientationCategory], NoDecode] = Field(default_factory=dict)
    """`adapter=CATEGORY` pairs, comma-separated, naming the orientation category of the
    appointments an adapter reports when its profile does not say it (`MSP`, `CDS`, `PDM` for a
    marketplace); otherwise SOS for SOS Médecins, CPTS for a structure, PS for a practitioner."""

    @field_validator("orientation", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> Any:
        """`SAS_LRM_ORIENTATION=market=PDM, cds-x=CDS` is a mapping; empty means none."""
        if not isinstance(value, str):
            return value
        pairs: dict[str, str] = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            adapter, sep, category = item.partition("=")
            if not sep or not adapter.strip():
                raise ValueError(f"expected adapter=CATEGORY, got {item!r}")
            pairs[adapter.strip()] = category.strip().upper()
        return pairs

    @property
    def uses_certificate(self) -> bool:
        return self.tls_cert_file is not None
