"""The redirect that takes a regulator to a vendor's booking page without a second login.

The vendor sees `origin` on the URL (digest §8.1), and sends a regulator it does not know yet to
the platform's OpenID Connect realm, which answers silently when the regulator already has a
platform session (digest §8.2, scenario 3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sas_core.sso.models import NoBookingUrl, SsoRedirect

if TYPE_CHECKING:
    from sas_core.accounts.models import Regulator
    from sas_core.plugins.host import PluginHost
    from sas_core.plugins.models import AdapterConfig
    from sas_core.slots.models import Slot


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
    # Imported here: `sas_core` re-exports this function, and the settings pull in
    # pydantic-settings and SQLAlchemy, which a plugin importing the public API need not pay for.
    from sas_core.settings import load_settings

    value = origin if origin is not None else load_settings().origin
    redirect = host.hooks.sas_sso_redirect(adapter, regulator, slot, value)
    if redirect is None:
        raise NoBookingUrl(f"slot {slot.id} of adapter {adapter.name} has no booking URL")
    return redirect
