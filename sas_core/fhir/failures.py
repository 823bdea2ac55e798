"""How a failed exchange with a vendor is put into words for the regulator's operator.

Every message says what went wrong on the vendor's side in terms an operator can act on (a status
and the vendor's own diagnostics, a refused connection, a TLS reason). Messages never quote the
body of a successful answer (it may hold patient-adjacent data) nor certificate material.
"""

from __future__ import annotations

import errno
import json
import socket
import ssl
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from sas_core.fhir.tls import describe_tls_error

#: OperationOutcome diagnostics are quoted up to this many characters.
DIAGNOSTICS_MAX_CHARS = 300


class FetchFailure(Exception):
    """The exchange failed on the vendor's side; `str(self)` is the outcome's error message."""

    def __init__(self, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """The wait a `Retry-After` header asks for (delta-seconds or HTTP-date), or None if absent
    or unreadable. A date in the past means "now" (0 s)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _clean(text: str) -> str:
    return " ".join(text.split())


def truncate(text: str, limit: int = DIAGNOSTICS_MAX_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def operation_outcome_diagnostics(body: bytes) -> str | None:
    """The issues of an OperationOutcome body (digest §2: failures carry one), or None."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("resourceType") != "OperationOutcome":
        return None
    parts: list[str] = []
    issues = data.get("issue")
    for issue in issues if isinstance(issues, list) else []:
        if not isinstance(issue, dict):
            continue
        details = issue.get("details")
        text = issue.get("diagnostics") or (
            details.get("text") if isinstance(details, dict) else None
        )
        label = "/".join(
            str(issue[k]) for k in ("severity", "code") if isinstance(issue.get(k), str)
        )
        if isinstance(text, str) and text.strip():
            parts.append(f"{label}: {_clean(text)}" if label else _clean(text))
        elif label:
            parts.append(label)
    return truncate("; ".join(parts)) if parts else "OperationOutcome without issues"


def describe_status(response: httpx.Response, body: bytes) -> str:
    """`HTTP 500 Internal Server Error: OperationOutcome error/exception: …` for a 3xx-5xx."""
    head = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    diagnostics = operation_outcome_diagnostics(body)
    if diagnostics is not None:
        return f"{head}: OperationOutcome {diagnostics}"
    if 300 <= response.status_code < 400:
        return f"{head}: redirects are not followed; check base_url"
    kind = response.headers.get("Content-Type", "").split(";")[0].strip() or "no Content-Type"
    return f"{head} (body is {kind}, not an OperationOutcome)"


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def describe_transport_error(
    exc: httpx.HTTPError, host: str, *, tls: bool = False, client_cert: bool = False
) -> str:
    """Name the cause of a failed connection or read: TLS, DNS, refused, unreachable, reset.

    With TLS 1.3 the server checks our client certificate *after* our side of the handshake has
    finished, and many servers (uvicorn among them) then just close the socket: the client only
    sees a connection closed before any HTTP answer. On a TLS link that is reported as a TLS
    failure, since a refused certificate is by far its most likely cause (digest §2, §15.1).
    """
    causes = _causes(exc)
    for cause in causes:
        if isinstance(cause, ssl.SSLError):
            return describe_tls_error(cause)
    closed_early = isinstance(exc, httpx.RemoteProtocolError) or any(
        isinstance(c, ConnectionResetError | BrokenPipeError) for c in causes
    )
    if tls and closed_early:
        ours = (
            "check that client_cert is issued by a CA the vendor trusts, with the CN/OU it expects"
            if client_cert
            else "none is configured: set client_cert and client_key"
        )
        return (
            f"TLS failure: {host} closed the connection without answering, right after the "
            f"handshake; its server most likely refused our client certificate ({ours})"
        )
    for cause in causes:
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve the vendor's host {host} (DNS: {cause.strerror or cause})"
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused by {host}"
        if isinstance(cause, ConnectionResetError):
            return f"connection reset by {host}"
        if isinstance(cause, OSError) and cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return f"{host} is unreachable ({cause.strerror})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{host} broke the HTTP exchange: {_clean(str(exc))}"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {host}: {_clean(str(exc)) or type(exc).__name__}"
    return f"{type(exc).__name__} talking to {host}: {_clean(str(exc)) or 'no detail'}"
