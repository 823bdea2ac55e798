"""The relying parties the platform's realm knows: the vendors, from a TOML file.

```toml
[clients.acme]                      # the client id
name = "ACME agenda"
secret = "…"                        # omit for a public client: PKCE S256 is then required
redirect_uris = ["https://agenda.acme.example/sas/callback"]
```
"""

from __future__ import annotations

import hmac
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin

#: Claims a vendor may ask for; `openid` gives `sub` (and the national id, see the provider).
ALLOWED_SCOPES = ("openid", "email", "profile")


class ClientsFileError(ValueError):
    """The clients file is missing something or malformed; the message names the entry."""


@dataclass(frozen=True, slots=True)
class OidcClient(ClientMixin):  # type: ignore[misc]
    """A registered vendor; confidential with a secret, public (PKCE required) without."""

    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    secret: str | None = None

    @property
    def public(self) -> bool:
        return self.secret is None

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str | None) -> str:
        asked = (scope or "").split()
        return " ".join(s for s in asked if s in ALLOWED_SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact match only (no prefix or wildcard: OAuth 2 security BCP)."""
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret is not None and hmac.compare_digest(client_secret, self.secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


def load_clients(path: Path) -> dict[str, OidcClient]:
    """The clients of `path`; none when the file does not exist (the realm then refuses all)."""
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ClientsFileError(f"{path}: {exc}") from None
    return parse_clients(data.get("clients", {}), str(path))


def parse_clients(entries: dict[str, Any], source: str = "clients") -> dict[str, OidcClient]:
    clients = {}
    for client_id, entry in entries.items():
        uris = entry.get("redirect_uris") if isinstance(entry, dict) else None
        if not uris or not all(isinstance(u, str) and u.startswith("http") for u in uris):
            raise ClientsFileError(f"{source}: client {client_id!r} needs redirect_uris (URLs)")
        secret = entry.get("secret")
        if secret is not None and (not isinstance(secret, str) or len(secret) < 16):
            raise ClientsFileError(f"{source}: client {client_id!r}: secret under 16 characters")
        clients[client_id] = OidcClient(
            client_id, str(entry.get("name", client_id)), tuple(uris), secret
        )
    return clients
