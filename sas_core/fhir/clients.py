"""One pooled `httpx.AsyncClient` per adapter instance and event loop.

Reusing connections matters: a search fans out lots of 25 practitioners concurrently to every
vendor (digest §12, ~3,000 searches/hour), and a fresh mTLS handshake per lot would eat into the
7 s budget. An AsyncClient is bound to the event loop it first ran on, so clients are keyed on the
adapter's name *and* the running loop; a loop that goes away takes its clients with it.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from sas_core.fhir.endpoint import FhirEndpointSettings
from sas_core.fhir.tls import shared_ssl_context
from sas_core.plugins.models import AdapterConfig

log = logging.getLogger(__name__)

#: Builds the transport of an adapter's client; tests inject `httpx.MockTransport` through it.
TransportFactory = Callable[[AdapterConfig, FhirEndpointSettings], httpx.AsyncBaseTransport]


def default_transport(
    adapter: AdapterConfig, settings: FhirEndpointSettings
) -> httpx.AsyncBaseTransport:
    """The real transport: pooled, TLS per the settings, no transparent retries."""
    verify = (
        shared_ssl_context(
            settings.client_cert, settings.client_key, settings.ca_bundle, settings.verify
        )
        if settings.uses_tls
        else shared_ssl_context(None, None, None)
    )
    limits = httpx.Limits(
        max_connections=settings.max_connections,
        max_keepalive_connections=settings.max_connections,
    )
    return httpx.AsyncHTTPTransport(verify=verify, limits=limits, retries=0)


@dataclass
class _Pooled:
    client: httpx.AsyncClient
    settings: FhirEndpointSettings


class ClientPool:
    """The clients of every adapter instance of one plugin, created lazily, closed on request."""

    def __init__(self, transport_factory: TransportFactory = default_transport) -> None:
        self.transport_factory = transport_factory
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Pooled]] = (
            weakref.WeakKeyDictionary()
        )
        self._closing: set[asyncio.Task[None]] = set()

    def client(self, adapter: AdapterConfig, settings: FhirEndpointSettings) -> httpx.AsyncClient:
        """The adapter's client on the running loop; rebuilt if its settings changed."""
        clients = self._by_loop.setdefault(asyncio.get_running_loop(), {})
        pooled = clients.get(adapter.name)
        if pooled is not None and pooled.settings == settings and not pooled.client.is_closed:
            return pooled.client
        if pooled is not None:
            # Settings changed without sas_adapter_closed: stop reusing the old connections.
            task = asyncio.get_running_loop().create_task(pooled.client.aclose())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        client = httpx.AsyncClient(
            transport=self.transport_factory(adapter, settings),
            headers={"User-Agent": settings.user_agent},
            follow_redirects=False,
            # Environment proxies would get a transport without our mTLS context.
            trust_env=False,
        )
        clients[adapter.name] = _Pooled(client, settings)
        return client

    async def close(self, name: str) -> None:
        """Close the clients of adapter `name`, on this loop and on any other still running."""
        current = asyncio.get_running_loop()
        for loop, clients in list(self._by_loop.items()):
            pooled = clients.pop(name, None)
            if pooled is None:
                continue
            if loop is current:
                await pooled.client.aclose()
            elif loop.is_running():
                asyncio.run_coroutine_threadsafe(pooled.client.aclose(), loop)
            else:
                log.debug("dropping the client of %s bound to a stopped event loop", name)
