"""The headers every answer of the platform carries, set in one place (a `before_send` hook,
which Litestar runs for every answer: routed, refused, 404 and 405 alike).

- `X-Content-Type-Options: nosniff`: a FHIR body is never sniffed into something else;
- `Cache-Control: no-store`: every answer is a vendor's appointments or a regulator's session,
  tokens or pages; no shared or browser cache may keep one;
- `Strict-Transport-Security` when served over TLS (behind a TLS-terminating proxy the scheme is
  the proxy's hop, so the proxy sets it);
- on HTML, a `Content-Security-Policy` with `frame-ancestors 'none'` and `X-Frame-Options:
  DENY` (no page can be framed: clickjacking). The realm's pages load nothing
  (`default-src 'none'`); the front's load only the app's own files (`'self'`: no inline
  script or style, no CDN), and DSFR's CSS icons as `data:` images;
- the front's static files (`/static/<hash>/...`) keep the year-long `Cache-Control` their
  router set: their URL changes with their content (`sas_web.front.assets`).
"""

from __future__ import annotations

from litestar.types import Message, Scope

#: One year, without `includeSubDomains`: the platform does not own its parent domain's names.
HSTS = b"max-age=31536000"
HTML_CSP = b"default-src 'none'; frame-ancestors 'none'"
FRONT_CSP = (
    b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    b"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    b"form-action 'self'; frame-ancestors 'none'"
)
STATIC_PREFIX = "/static/"


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Litestar `before_send` hook."""
    if message["type"] != "http.response.start":
        return
    path = str(scope.get("path", ""))
    fixed: dict[bytes, bytes] = {b"x-content-type-options": b"nosniff"}
    if not (path.startswith(STATIC_PREFIX) and message.get("status") == 200):
        fixed[b"cache-control"] = b"no-store"
    if scope.get("scheme") == "https":
        fixed[b"strict-transport-security"] = HSTS
    headers = list(message.get("headers", ()))
    content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
    if content_type.startswith(b"text/html"):
        fixed[b"content-security-policy"] = HTML_CSP if path.startswith("/realms/") else FRONT_CSP
        fixed[b"x-frame-options"] = b"DENY"
    message["headers"] = [
        *((n, v) for n, v in headers if n.lower() not in fixed),
        *fixed.items(),
    ]
