"""The client certificate of a TLS connection, given to the app as the ASGI TLS extension.

uvicorn (0.54) puts no `tls` extension in the scope: its protocols never read the peer
certificate. `Config(http=...)` takes a protocol class, so :class:`ClientCertH11Protocol` extends
uvicorn's h11 protocol: once the handshake is done (the certificate already verified against the
client CA by OpenSSL), it reads the peer certificate from the transport's `ssl_object` and adds
`scope["extensions"]["tls"]` as the ASGI TLS extension specifies (`client_cert_chain` in PEM,
`tls_version`). The app then reads the certificate the standard way, so it would run unchanged
under a server implementing the extension natively.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any, cast

from uvicorn._types import ASGIReceiveCallable, ASGISendCallable, Scope
from uvicorn.protocols.http.h11_impl import H11Protocol

#: ASGI TLS extension: `tls_version` is the TLS record-layer version number.
_TLS_VERSIONS = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}


class ClientCertH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, plus the ASGI TLS extension on every request of a TLS connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object: ssl.SSLObject | None = transport.get_extra_info("ssl_object")
        if ssl_object is None:
            return
        der = ssl_object.getpeercert(binary_form=True)
        version = ssl_object.version()
        extension: dict[str, Any] = {
            "server_cert": None,
            "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
            "client_cert_name": None,
            "client_cert_error": None,
            "tls_version": _TLS_VERSIONS.get(version or ""),
            "cipher_suite": None,
        }
        app = self.app

        async def with_tls(
            scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
        ) -> None:
            raw: dict[str, Any] = dict(scope)
            raw["extensions"] = {**(raw.get("extensions") or {}), "tls": extension}
            await app(cast(Scope, raw), receive, send)

        self.app = with_tls
