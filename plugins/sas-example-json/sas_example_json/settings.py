"""What an operator sets for each Agendo adapter instance."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class ExampleJsonSettings(BaseModel):
    """Agendo's API root and the two secrets it shares with the platform."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = Field(description="Agendo's API root, e.g. https://api.agendo.example")
    # Secrets: the territory registry keeps only their env:/file: references.
    api_key: SecretStr = Field(description="the platform's key at Agendo (Bearer token)")
    link_secret: SecretStr = Field(description="the key that signs booking links (HMAC-SHA256)")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL")
        return value.strip().rstrip("/")
