"""The simulator's mutual TLS as a vendor's should be (digest §2, §15.1): beyond a client
certificate from the trusted CA, the CN and OU it must carry and the CRL that revokes some.

A revoked certificate fails the handshake (OpenSSL checks the CRL); a certificate whose CN or OU
is not the one allowed gets its connection closed right after the handshake, before any HTTP:
either way the client is refused, as ANS's acceptance expects.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from sas_core.serving.server import ServerTls


@dataclass(frozen=True, slots=True)
class SimulatorTls(ServerTls):
    """`ServerTls` plus a CRL of the client CA and the client subject allowed (None: any)."""

    crl_file: Path | None = None
    client_cn: str | None = None
    client_ou: str | None = None

    def ssl_context(self) -> ssl.SSLContext:
        context = ServerTls.ssl_context(self)
        if self.crl_file is not None:
            context.load_verify_locations(cafile=str(self.crl_file))
            context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
        return context

    def http_protocol(self) -> type[asyncio.Protocol] | None:
        """uvicorn's HTTP protocol closing connections whose certificate has another subject;
        None when any subject is allowed."""
        if self.client_cn is None and self.client_ou is None:
            return None
        return _subject_checking(self.client_cn, self.client_ou)


def _subject_checking(cn: str | None, ou: str | None) -> type[asyncio.Protocol]:
    class SubjectChecking(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            ssl_object = transport.get_extra_info("ssl_object")
            peer = ssl_object.getpeercert() if ssl_object is not None else None
            if not _allowed(peer, cn, ou):
                transport.close()

    return SubjectChecking


def _allowed(peer: dict[str, Any] | None, cn: str | None, ou: str | None) -> bool:
    if not peer:
        return False
    subject = {name: value for rdn in peer.get("subject", ()) for name, value in rdn}
    return (cn is None or subject.get("commonName") == cn) and (
        ou is None or subject.get("organizationalUnitName") == ou
    )
