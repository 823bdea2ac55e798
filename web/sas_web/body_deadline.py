"""A deadline on reading each request body, and no connection kept for a body left unread.

uvicorn bounds the wait between requests (keep-alive), not a body: a client sending one byte every
few seconds holds a connection and a request task for as long as it likes (slow loris). Here the
whole body must have arrived within `timeout_s` of the request's headers; past that, the app's
next read raises :class:`BodyReadTimeout`, which the app answers 408 (an OperationOutcome) with
`Connection: close`, so uvicorn drops the connection.

An answer given before its body was read (403, 404, 413, 415…) also closes the connection:
uvicorn would otherwise keep reading the rest of that body with no deadline at all.
"""

from __future__ import annotations

import asyncio

from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from sas_core.serving.security_log import security_event

#: The whole body within 20 s: 1 MiB (the largest Appointment) needs ~52 KiB/s, which any
#: vendor's server link gives; the realm's forms are a few hundred bytes.
DEFAULT_BODY_TIMEOUT_S = 20.0
_CLOSE = (b"connection", b"close")


class BodyReadTimeout(HTTPException):
    """The request body did not arrive within its deadline."""

    status_code = 408


class BodyDeadline:
    """ASGI middleware: `receive` raises BodyReadTimeout past the deadline while body remains."""

    def __init__(self, app: ASGIApp, timeout_s: float = DEFAULT_BODY_TIMEOUT_S) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        body_pending = _has_body(scope)

        async def receive_by_deadline() -> ReceiveMessage:
            nonlocal body_pending
            if not body_pending:
                return await receive()
            remaining = deadline - loop.time()
            try:
                if remaining <= 0:
                    raise TimeoutError
                async with asyncio.timeout(remaining):
                    message = await receive()
            except TimeoutError:
                client = scope.get("client")
                security_event(
                    "body_timeout",
                    client=client[0] if client else None,
                    path=scope["path"],
                    timeout_s=self.timeout_s,
                )
                raise BodyReadTimeout(
                    detail=f"the request body did not arrive within {self.timeout_s:g} s",
                    headers={"Connection": "close"},
                ) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_pending = False
            return message

        async def send_closing_if_unread(message: Message) -> None:
            if message["type"] == "http.response.start" and body_pending:
                headers = list(message.get("headers", ()))
                if _CLOSE not in headers:
                    message["headers"] = [*headers, _CLOSE]
            await send(message)

        await self.app(scope, receive_by_deadline, send_closing_if_unread)


def _has_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False
