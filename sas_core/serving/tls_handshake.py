"""TLS handshakes the server can see fail: a refused client certificate becomes a security event.

When uvicorn is given an SSL context, asyncio runs the handshake and drops a failed one silently
(it logs it only in debug mode, and the HTTP protocol never hears of the connection), so a vendor
presenting an expired or foreign certificate would leave no trace. :func:`handshaking` wraps
uvicorn's HTTP protocol class instead: the connection is accepted in plain TCP and upgraded with
`loop.start_tls`, whose failure is ours to log — with the peer's address and OpenSSL's reason —
before the HTTP protocol takes over the TLS transport as usual.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from sas_core.serving.security_log import security_event

#: A handshake is a few round trips; a client still at it after 10 s is stalling a connection.
HANDSHAKE_TIMEOUT_S = 10.0


def handshaking(
    protocol: type[asyncio.Protocol], context: ssl.SSLContext
) -> type[asyncio.Protocol]:
    """`protocol` (uvicorn's `http` class) behind a TLS handshake that logs its failures."""

    class Handshake(asyncio.Protocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.http = protocol(*args, **kwargs)
            self.task: asyncio.Task[None] | None = None
            # What the TLS layer delivers between the end of the handshake and `start_tls`
            # returning (a TLS 1.3 client's request may ride with its Finished message).
            self.early: list[bytes] = []
            self.lost = False

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            # Nothing may be read before the TLS layer is in place (start_tls resumes reading).
            transport.pause_reading()
            self.task = asyncio.get_running_loop().create_task(self._handshake(transport))

        def data_received(self, data: bytes) -> None:
            self.early.append(data)

        def connection_lost(self, exc: Exception | None) -> None:
            self.lost = True

        async def _handshake(self, transport: asyncio.Transport) -> None:
            peer = transport.get_extra_info("peername")
            try:
                tls = await asyncio.get_running_loop().start_tls(
                    transport,
                    self,
                    context,
                    server_side=True,
                    ssl_handshake_timeout=HANDSHAKE_TIMEOUT_S,
                )
            except OSError as exc:  # ssl.SSLError and a reset or aborted connection alike
                security_event(
                    "tls_handshake_failed",
                    client=peer[0] if peer else None,
                    reason=_reason(exc),
                    detail=getattr(exc, "verify_message", None),
                )
                return
            if tls is None or self.lost:
                transport.close()
                return
            tls.set_protocol(self.http)
            self.http.connection_made(tls)
            for data in self.early:
                self.http.data_received(data)
            self.early.clear()

    Handshake.__name__ = Handshake.__qualname__ = f"Handshake{protocol.__name__}"
    return Handshake


def _reason(exc: BaseException) -> str:
    """OpenSSL's reason (`CERTIFICATE_VERIFY_FAILED`, `PEER_DID_NOT_RETURN_A_CERTIFICATE`,
    `UNSUPPORTED_PROTOCOL`…), or what ended the connection."""
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason)
    return type(exc).__name__
