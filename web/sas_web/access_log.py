"""The access log (`sas.access`): one `key=value` line per answered request, with its request id.

uvicorn's own access log stays off: it writes the query string, and FHIR searches carry
identifiers in it (`?identifier=…`). This one writes the path only. Each request gets an id,
echoed as `X-Request-Id` and attached to the security events it causes; a caller's own
`X-Request-Id` (a proxy's, a vendor's) is kept when it is a short safe token, so one id follows
the request across systems, and replaced otherwise (it would land in the log).
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from sas_core.serving.security_log import REQUEST_ID, logfmt

ACCESS_LOGGER = "sas.access"
REQUEST_ID_HEADER = b"x-request-id"
_SAFE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")

log = logging.getLogger(ACCESS_LOGGER)


def request_id_of(scope: Scope) -> str:
    """The caller's `X-Request-Id` when it is a short safe token, else a new random one."""
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER and _SAFE_REQUEST_ID.fullmatch(value):
            return value.decode("ascii")
    return uuid.uuid4().hex


class AccessLog:
    """ASGI middleware: the request id (context, `X-Request-Id`) and the access log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *(h for h in message.get("headers", ()) if h[0].lower() != REQUEST_ID_HEADER),
                    (REQUEST_ID_HEADER, request_id.encode("ascii")),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            client = scope.get("client")
            log.info(
                logfmt(
                    {
                        "request_id": request_id,
                        "client": client[0] if client else "-",
                        "method": scope["method"],
                        "path": scope["path"],
                        # No status: the app failed or the client left before an answer.
                        "status": status if status is not None else "-",
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    }
                )
            )
            REQUEST_ID.reset(token)
