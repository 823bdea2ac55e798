"""The headers every answer of the platform carries, set in one place (a `before_send` hook,
which Litestar runs for every answer: routed, refused, 404 and 405 alike).

- `X-Content-Type-Options: nosniff`: a FHIR body is never sniffed into something else;
- `Cache-Control: no-store`: every answer is a vendor's appointments or a regulator's session,
  tokens or pages; no shared or browser cache may keep one;
- `Strict-Transport-Security` when served over TLS (behind a TLS-terminating proxy the scheme is
  the proxy's hop, so the proxy sets it);
- on HTML, `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'` and
  `X-Frame-Options: DENY`: the realm's login page cannot be framed (clickjacking) and loads
  nothing (the pages need no script, style or image).
"""

from __future__ import annotations

from litestar.types import Message, Scope

#: One year, without `includeSubDomains`: the platform does not own its parent domain's names.
HSTS = b"max-age=31536000"
HTML_CSP = b"default-src 'none'; frame-ancestors 'none'"


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Litestar `before_send` hook."""
    if message["type"] != "http.response.start":
        return
    fixed: dict[bytes, bytes] = {
        b"x-content-type-options": b"nosniff",
        b"cache-control": b"no-store",
    }
    if scope.get("scheme") == "https":
        fixed[b"strict-transport-security"] = HSTS
    headers = list(message.get("headers", ()))
    content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
    if content_type.startswith(b"text/html"):
        fixed[b"content-security-policy"] = HTML_CSP
        fixed[b"x-frame-options"] = b"DENY"
    message["headers"] = [
        *((n, v) for n, v in headers if n.lower() not in fixed),
        *fixed.items(),
    ]
