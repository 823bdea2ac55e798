"""What the SSO flow hands around: the redirect to a vendor's booking page, and its `origin`.

The vendor sees `origin` on the URL (digest §8.1) and knows the regulator comes from the SAS.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict

#: Digest §8: `origin=sas` in production; the test kit uses `sas-preprod` in pre-production.
DEFAULT_ORIGIN = "sas"


class SsoRedirect(BaseModel):
    """Where to send the regulator's browser to book a slot in the vendor's software."""

    model_config = ConfigDict(frozen=True)

    url: str
    adapter: str


def with_origin(url: str, origin: str) -> str:
    """Add (or replace) the `origin` query parameter, keeping the rest of the URL as it was."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "origin"]
    query.append(("origin", origin))
    return urlunsplit(parts._replace(query=urlencode(query)))


class NoBookingUrl(LookupError):
    """No plugin could build a redirect: the slot has no booking URL (digest §16.10)."""
