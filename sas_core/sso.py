"""The redirect that takes a regulator to a vendor's booking page without a second login.

The vendor sees `origin` on the URL (digest §8.1), and sends a regulator it does not know yet to
the platform's OpenID Connect realm, which answers silently when the regulator already has a
platform session (digest §8.2, scenario 3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from sas_core.adapters import AdapterConfig
    from sas_core.plugins import PluginHost
    from sas_core.regulators import Regulator
    from sas_core.slots import Slot

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


def sso_redirect(
    host: PluginHost,
    adapter: AdapterConfig,
    regulator: Regulator,
    slot: Slot,
    *,
    origin: str | None = None,
) -> SsoRedirect:
    """Where to send `regulator` to book `slot`: the first `sas_sso_redirect` answer.

    `origin` defaults to this environment's value (`SAS_ORIGIN`: `sas`, `sas-preprod` in
    pre-production, digest §16 item 11).
    """
    from sas_core.settings import load_settings

    value = origin if origin is not None else load_settings().origin
    redirect = host.hooks.sas_sso_redirect(adapter, regulator, slot, value)
    if redirect is None:
        raise NoBookingUrl(f"slot {slot.id} of adapter {adapter.name} has no booking URL")
    return redirect
