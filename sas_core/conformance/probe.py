"""The checker's HTTP side: every request to the vendor goes through :class:`Vendor`, bounded by
a per-request timeout and by the run's deadline, and fails as a :class:`TransportFailure` whose
message is the cause a vendor can act on (never a traceback).

A slow or hostile endpoint (hanging, trickling one byte at a time, answering gigabytes) must not
hold the run: the body is read in chunks against the time and size left.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from sas_core.fhir.endpoint import VENDOR_ANSWER_MAX_BYTES
from sas_core.fhir.tls import TlsConfigError, build_ssl_context, describe_tls_error

#: Digest §4.1: the platform gives a vendor 7 s to answer a search, then ignores it.
DEFAULT_TIMEOUT_S = 7.0
#: The whole run: enough for every check against a conformant vendor (a few seconds) and for a
#: few timeouts, short enough that a hanging endpoint is reported within two minutes.
DEFAULT_DEADLINE_S = 90.0


class TransportFailure(Exception):
    """The request got no usable HTTP answer; the message is the cause."""


class DeadlineExceeded(TransportFailure):
    """The run's deadline passed before (or while) this request ran."""


@dataclass(frozen=True, slots=True)
class ClientTls:
    """The client certificate the platform presents (mTLS), and the CA of the vendor's server.

    `cert` may hold the key too (one PEM file), as OpenSSL allows.
    """

    cert: Path | None = None
    key: Path | None = None
    ca: Path | None = None

    def context(self, *, cert: Path | None = None) -> ssl.SSLContext:
        """A client context with `cert` (a PEM holding certificate and key) instead of ours."""
        if cert is not None:
            return build_ssl_context(cert, None, self.ca)
        return build_ssl_context(self.cert, self.key, self.ca)


@dataclass(frozen=True, slots=True)
class Deadline:
    """The run's end, on the monotonic clock."""

    seconds: float
    ends: float = field(default=0.0)

    @classmethod
    def start(cls, seconds: float) -> Deadline:
        return cls(seconds, time.monotonic() + seconds)

    def remaining(self) -> float:
        return self.ends - time.monotonic()

    def budget(self, timeout_s: float) -> float:
        """Time one request may take; raises when the run has none left."""
        left = self.remaining()
        if left <= 0:
            raise DeadlineExceeded(f"the run's deadline ({self.seconds:g} s) passed")
        return min(timeout_s, left)


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP answer, read whole."""

    method: str
    url: str
    status: int
    headers: httpx.Headers
    body: bytes
    elapsed_s: float

    @property
    def content_type(self) -> str:
        declared = str(self.headers.get("content-type", ""))
        return declared.split(";")[0].strip().lower()

    def json(self) -> Any:
        """The decoded body; TransportFailure when it is not JSON (a non-FHIR answer)."""
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError as exc:
            start = self.body[:60].decode("utf-8", errors="replace")
            raise TransportFailure(
                f"{self.method} {self.url} answered HTTP {self.status} with a body that is not "
                f"JSON ({exc}; it starts {start!r})"
            ) from None

    def resource(self, expected: str | None = None) -> dict[str, Any]:
        """The body as a FHIR resource (of type `expected`, when given)."""
        document = self.json()
        if not isinstance(document, dict) or not isinstance(document.get("resourceType"), str):
            raise TransportFailure(
                f"{self.method} {self.url} answered JSON that is not a FHIR resource "
                "(no resourceType)"
            )
        if expected is not None and document["resourceType"] != expected:
            raise TransportFailure(
                f"{self.method} {self.url} answered a {document['resourceType']}, not a {expected}"
            )
        return document


class Vendor:
    """The endpoint under test: its FHIR base URL, our TLS material, timeouts, and the answers
    to GETs already made (several checks read the same search)."""

    def __init__(
        self,
        base_url: str,
        tls: ClientTls,
        deadline: Deadline,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tls = tls
        self.deadline = deadline
        self.timeout_s = timeout_s
        self._cache: dict[str, Exchange | TransportFailure] = {}
        self._client: httpx.Client | None = None

    @property
    def https(self) -> bool:
        return self.base_url.lower().startswith("https://")

    def url(self, path: str, params: list[tuple[str, str]] | None = None) -> str:
        query = f"?{urlencode(params, safe=':,')}" if params else ""
        return f"{self.base_url}/{path.lstrip('/')}{query}"

    def client(self) -> httpx.Client:
        if self._client is None:
            verify: ssl.SSLContext | bool = True
            if self.https:
                try:
                    verify = self.tls.context()
                except TlsConfigError as exc:
                    raise TransportFailure(f"cannot use the TLS material: {exc}") from None
            self._client = httpx.Client(verify=verify, follow_redirects=False)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def get(self, url: str, *, cached: bool = True) -> Exchange:
        """GET `url` (an absolute URL); answers to the same URL are read once per run."""
        if cached and url in self._cache:
            known = self._cache[url]
            if isinstance(known, TransportFailure):
                raise known
            return known
        try:
            answer = self.send("GET", url)
        except TransportFailure as exc:
            if cached and not isinstance(exc, DeadlineExceeded):
                self._cache[url] = exc
            raise
        if cached:
            self._cache[url] = answer
        return answer

    def send(
        self,
        method: str,
        url: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Exchange:
        """One request, bounded by the per-request timeout and the run's deadline."""
        budget = self.deadline.budget(self.timeout_s)
        sent = {"Accept": "application/fhir+json", **(headers or {})}
        content = None
        if body is not None:
            content = orjson.dumps(body)
            sent["Content-Type"] = "application/fhir+json"
        began = time.monotonic()
        try:
            with self.client().stream(
                method, url, content=content, headers=sent, timeout=httpx.Timeout(budget)
            ) as response:
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > VENDOR_ANSWER_MAX_BYTES:
                        raise TransportFailure(
                            f"{method} {url}: the answer is over "
                            f"{VENDOR_ANSWER_MAX_BYTES // (1024 * 1024)} MiB, more than the "
                            "platform reads"
                        )
                    if time.monotonic() - began > budget:
                        raise TransportFailure(
                            f"{method} {url}: the answer was still arriving after {budget:.1f} s "
                            "(a body sent too slowly)"
                        )
                    chunks.append(chunk)
                return Exchange(
                    method,
                    url,
                    response.status_code,
                    response.headers,
                    b"".join(chunks),
                    time.monotonic() - began,
                )
        except httpx.TimeoutException:
            raise TransportFailure(
                f"{method} {url}: no answer within {budget:.1f} s (the platform waits 7 s)"
            ) from None
        except httpx.ConnectError as exc:
            raise TransportFailure(f"{method} {url}: {_connect_cause(exc)}") from None
        except httpx.HTTPError as exc:
            raise TransportFailure(f"{method} {url}: {type(exc).__name__}: {exc}") from None
        except ssl.SSLError as exc:
            raise TransportFailure(f"{method} {url}: {describe_tls_error(exc)}") from None
        except OSError as exc:
            raise TransportFailure(f"{method} {url}: {exc}") from None


def _connect_cause(exc: httpx.ConnectError) -> str:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return describe_tls_error(cause)
        cause = cause.__cause__ or cause.__context__
    return f"cannot connect ({exc})"
