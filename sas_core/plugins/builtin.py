"""The platform's own default hook implementations, registered like any plugin."""

from __future__ import annotations

from sas_core.geography.gazetteer import load_gazetteer
from sas_core.geography.models import GeocodeResult
from sas_core.geography.query import geocode_offline
from sas_core.hookspecs import hookimpl
from sas_core.plugins.models import AdapterConfig, PluginMetadata
from sas_core.slots.models import Slot
from sas_core.sso.models import SsoRedirect, with_origin


@hookimpl
def sas_plugin_metadata() -> PluginMetadata:
    return PluginMetadata(
        description="Default behaviour of the platform (SSO redirect with `origin`, offline "
        "geocoding).",
    )


@hookimpl(trylast=True)
def sas_sso_redirect(adapter: AdapterConfig, slot: Slot, origin: str) -> SsoRedirect | None:
    """Digest §8.1: the booking URL is the slot's `comment`, with `origin` appended."""
    if slot.booking_url is None:
        return None
    return SsoRedirect(url=with_origin(slot.booking_url, origin), adapter=adapter.name)


@hookimpl(trylast=True)
def sas_geocode(query: str) -> GeocodeResult | None:
    """The offline gazetteer answers last; it raises `GeocodeError` when no place is found."""
    return geocode_offline(query, load_gazetteer())
