"""The SSO entry checks (digest §8): the booking URL of a slot, opened without `origin`, must
not let anyone in; opened with it, it must send the regulator to the platform's login."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sas_core.conformance import catalogue as faq
from sas_core.conformance.bundle_view import BundleView
from sas_core.conformance.context import Context, Fail, Skip
from sas_core.conformance.models import FixHint

#: The value the functional spec gives; [TK] uses `sas-preprod` in pre-production (§16.11).
ORIGIN = "sas"


def _booking_url(ctx: Context) -> str:
    view = BundleView(ctx.search().bundle)
    for slot in view.of("Slot"):
        comment = slot.resource.get("comment")
        if isinstance(comment, str) and urlsplit(comment).scheme in ("http", "https"):
            return comment
    raise Skip("no slot of the main search carries a booking URL (see URL-01)")


def _with_origin(url: str, origin: str | None) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "origin"]
    if origin is not None:
        query.append(("origin", origin))
    return urlunsplit(parts._replace(query=urlencode(query)))


def without_origin(ctx: Context) -> str:
    url = _with_origin(_booking_url(ctx), None)
    answer = ctx.vendor.send("GET", url, headers={"Accept": "text/html"})
    if 200 <= answer.status < 300:
        raise Fail(
            f"the booking URL without origin answered HTTP {answer.status}",
            [
                FixHint(
                    "GET <Slot.comment> without origin",
                    f"HTTP {answer.status}",
                    "no access to the regulator path: an error page (4xx) or a redirect to "
                    "the vendor's own login",
                    faq.FAQ_SSO,
                )
            ],
        )
    return f"HTTP {answer.status} without origin"


def with_origin(ctx: Context) -> str:
    if ctx.sso_issuer is None:
        raise Skip(
            "give --sso-issuer URL (the platform's realm) to check the redirect to its login"
        )
    url = _with_origin(_booking_url(ctx), ORIGIN)
    answer = ctx.vendor.send("GET", url, headers={"Accept": "text/html"})
    location = answer.headers.get("location", "")
    if not 300 <= answer.status < 400 or not location.startswith(ctx.sso_issuer.rstrip("/")):
        raise Fail(
            f"with origin={ORIGIN}: HTTP {answer.status}, Location {location or 'absent'}",
            [
                FixHint(
                    f"GET <Slot.comment>&origin={ORIGIN}",
                    f"HTTP {answer.status} {location}".strip(),
                    f"a redirect to the platform's authorisation endpoint under {ctx.sso_issuer}",
                    faq.FAQ_SSO,
                )
            ],
        )
    return f"HTTP {answer.status} to the platform's login"
