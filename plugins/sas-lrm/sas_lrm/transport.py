"""The AMQP 0-9-1 connection to Hub Santé (aio-pika), as the Hub asks for it (digest (b), (c)).

Production: TLS 1.2 or later, the server's chain and host name verified against the IGC Santé
CA bundle, the platform's certificate presented, and SASL EXTERNAL (the broker takes the
identity from the certificate; no password exists). Tests and the local stand-in: plain AMQP
with a user and password on the loopback. Either way a robust connection, which reconnects
and restores its channels after a broker restart.
"""

from __future__ import annotations

import ssl

import aio_pika
from aio_pika.abc import AbstractRobustConnection
from yarl import URL

from sas_lrm.settings import LrmSettings

#: How the platform's connections are named in the broker's management view.
CONNECTION_NAME = "sas-platform-int-l02"
#: Heartbeat (seconds): a dead connection is noticed within two of them.
HEARTBEAT_S = 30


def tls_context(settings: LrmSettings) -> ssl.SSLContext:
    """Client TLS for the Hub: verify the server (chain and name), present our certificate."""
    context = ssl.create_default_context(
        cafile=str(settings.tls_ca_file) if settings.tls_ca_file else None
    )
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if settings.tls_cert_file is not None:
        context.load_cert_chain(
            str(settings.tls_cert_file),
            str(settings.tls_key_file) if settings.tls_key_file else None,
        )
    return context


def broker_url(settings: LrmSettings) -> URL:
    """The connection URL: with a certificate, SASL EXTERNAL and no credentials in it."""
    url = URL(settings.amqp_url.get_secret_value())
    query = {**url.query, "heartbeat": str(HEARTBEAT_S), "name": CONNECTION_NAME}
    if settings.uses_certificate:
        url = url.with_user(None).with_password(None)
        query["auth"] = "external"
    return url.with_query(query)


def where(settings: LrmSettings) -> str:
    """The broker's address without credentials, for messages and logs."""
    url = URL(settings.amqp_url.get_secret_value())
    return f"{url.scheme}://{url.host}:{url.port}{url.path}"


async def connect(settings: LrmSettings, *, timeout_s: float = 10.0) -> AbstractRobustConnection:
    """A robust connection to the configured broker (raises when it cannot be reached)."""
    url = broker_url(settings)
    if url.scheme == "amqps" or settings.uses_certificate:
        return await aio_pika.connect_robust(
            url, ssl=True, ssl_context=tls_context(settings), timeout=timeout_s
        )
    return await aio_pika.connect_robust(url, timeout=timeout_s)
