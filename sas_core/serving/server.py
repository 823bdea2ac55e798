"""Serving an ASGI app for real: uvicorn in a background thread, over HTTP or (m)TLS.

The vendor simulator (`sas simulator serve`) and the platform (`sas serve`) both run through
:class:`AsgiServer`, so tests exercise a real socket with real TLS (digest §2: mutual TLS, TLS 1.2
minimum).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Self

import httpx
import uvicorn
from litestar import Litestar
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from sas_core.serving.tls_handshake import handshaking

#: How long `stop()` lets in-flight requests finish before cancelling them (hung ones never do).
GRACEFUL_SHUTDOWN_S = 1
#: Connections (open or idle) and requests a server holds at once; beyond, uvicorn answers 503.
#: Above the ~50 concurrent requests the app's worker threads and database pool are sized for,
#: so a burst queues inside the app; far below what exhausts memory or file descriptors.
DEFAULT_LIMIT_CONCURRENCY = 200


@dataclass(frozen=True, slots=True)
class ServerTls:
    """Server certificate and key; with `client_ca_file`, a client certificate is REQUIRED."""

    cert_file: Path
    key_file: Path
    client_ca_file: Path | None = None

    def ssl_context(self) -> ssl.SSLContext:
        """A server context refusing anything below TLS 1.2 (digest §2, §15.1)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        if self.client_ca_file is not None:
            context.load_verify_locations(cafile=str(self.client_ca_file))
            context.verify_mode = ssl.CERT_REQUIRED
        return context


class AsgiServer:
    """An app served by uvicorn on a background thread.

    `port=0` picks a free port: the socket is bound before uvicorn starts, so `port`, `base_url`
    and `root_url` are known as soon as `start()` returns.
    """

    def __init__(
        self,
        app: Litestar,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: ServerTls | None = None,
        startup_timeout_s: float = 10.0,
        http_protocol: type[asyncio.Protocol] | None = None,
        lifespan: bool = True,
        limit_concurrency: int | None = DEFAULT_LIMIT_CONCURRENCY,
    ) -> None:
        """`http_protocol` replaces uvicorn's HTTP protocol class (the platform's exposes the
        client certificate to the app, see `sas_web.tls`). `lifespan=False` for a second
        listener of an app another server already runs (its startup and shutdown run once).
        Past `limit_concurrency` connections or requests, new requests get a 503."""
        self.app = app
        self.http_protocol = http_protocol
        self.lifespan = lifespan
        self.limit_concurrency = limit_concurrency
        self.host = host
        self.tls = tls
        self._requested_port = port
        self._startup_timeout_s = startup_timeout_s
        self._port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the server is not started")
        return self._port

    @property
    def root_url(self) -> str:
        """`scheme://host:port`, the origin of booking URLs and simulator controls."""
        scheme = "https" if self.tls else "http"
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The FHIR base URL vendors give ANS: `root_url` + `/fhir`."""
        return f"{self.root_url}/fhir"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Serve, and return once the server answers (raises if it cannot start)."""
        if self._thread is not None:
            raise RuntimeError("the server is already started")
        sock = bind(self.host, self._requested_port)
        self._port = sock.getsockname()[1]
        http = self.http_protocol or AutoHTTPProtocol
        try:
            # TLS is handshaken by the protocol, not by uvicorn, so a refused handshake is seen
            # and logged (`sas_core.serving.tls_handshake`).
            if self.tls is not None:
                http = handshaking(http, self.tls.ssl_context())
            config = uvicorn.Config(
                self.app,
                log_config=None,
                log_level="warning",
                # `sas_web.access_log` writes the access log, without query strings.
                access_log=False,
                lifespan="on" if self.lifespan else "off",
                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
                http=http,
                # The scope's client must be the socket's peer: uvicorn would otherwise take it
                # from `X-Forwarded-For` sent from loopback, so a proxy on the same host would
                # pass for the vendor and a local caller for any trusted proxy (`sas_web.vendors`).
                proxy_headers=False,
                # No `server: uvicorn` banner: it tells a scanner which flaws to try.
                server_header=False,
                limit_concurrency=self.limit_concurrency,
            )
            config.load()
        except BaseException:
            sock.close()
            raise
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=self._run, args=(server, sock), name=f"sas-asgi:{self._port}", daemon=True
        )
        self._thread.start()
        try:
            self._wait_ready(server)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Shut down; requests that never end (hang, trickle) are cut after a grace period."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(GRACEFUL_SHUTDOWN_S + 4)
        if thread.is_alive():
            server.force_exit = True
            thread.join(5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self, server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # SystemExit included: uvicorn exits on startup failure.
            self._failure = exc
        finally:
            sock.close()

    def _wait_ready(self, server: uvicorn.Server) -> None:
        """Wait for uvicorn, then for `GET /fhir/metadata` to answer 200.

        With client certificates required there is no certificate to probe with: the listening
        socket and uvicorn's own startup flag are then the readiness signal.
        """
        deadline = time.monotonic() + self._startup_timeout_s
        while not server.started:
            if not self.running or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {self._failure!r}")
            time.sleep(0.01)
        if self.tls is not None and self.tls.client_ca_file is not None:
            return
        with httpx.Client(verify=False, timeout=2.0) as client:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{self.base_url}/metadata").status_code == 200:
                        return
                if not self.running or time.monotonic() > deadline:
                    raise RuntimeError("the server does not answer GET /fhir/metadata")
                time.sleep(0.05)


def bind(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signals = (signal.SIGINT, signal.SIGTERM)
    previous: dict[signal.Signals, Any] = {s: signal.signal(s, handler) for s in signals}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def serve_forever(server: AsgiServer, *, ready: Callable[[str], None] | None = None) -> None:
    """Serve until SIGINT or SIGTERM; `ready` receives the FHIR base URL once it answers."""
    stop = threading.Event()
    with stop_on_signals(stop):
        server.start()
        try:
            if ready is not None:
                ready(server.base_url)
            while server.running and not stop.wait(0.2):
                pass
        finally:
            server.stop()
