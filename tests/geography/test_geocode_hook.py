"""The `sas_geocode` hook: an online geocoder plugin answers first, the gazetteer last."""

from __future__ import annotations

import pytest

from sas_core import GeocodeResult, PlaceKind, PluginMetadata, hookimpl
from sas_core.geography.models import AmbiguousPlace
from sas_core.geography.search_area import geocode
from sas_core.plugins import builtin
from sas_core.plugins.host import BUILTIN_PLUGIN, PluginHost


class OnlineGeocoder:
    """A stand-in for a Base Adresse Nationale plugin: knows one street, is down for another."""

    @hookimpl
    def sas_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(name="geocoder-test")

    @hookimpl
    def sas_geocode(self, query: str) -> GeocodeResult | None:
        if query == "service down":
            return None
        if "rue de la Paix" not in query:
            return None
        return GeocodeResult(
            lat=48.8697,
            lon=2.3311,
            kind=PlaceKind.ADDRESS,
            departement="75",
            label="12 Rue de la Paix 75002 Paris",
            insee="75102",
            postcode="75002",
            source="ban",
        )


@pytest.fixture
def host() -> PluginHost:
    host = PluginHost(trace=False)
    host.register(builtin, name=BUILTIN_PLUGIN)
    host.register(OnlineGeocoder(), name="geocoder-test")
    assert all(p.error is None for p in host.plugins.values())
    return host


def test_a_plugin_answers_before_the_gazetteer(host: PluginHost) -> None:
    result = geocode("12 rue de la Paix, 75002 Paris", host.hooks)
    assert (result.source, result.lat, result.lon) == ("ban", 48.8697, 2.3311)


def test_the_gazetteer_answers_what_the_plugin_leaves(host: PluginHost) -> None:
    result = geocode("Bobigny", host.hooks)
    assert (result.source, result.insee) == ("gazetteer", "93008")


def test_the_gazetteer_still_refuses_to_guess(host: PluginHost) -> None:
    with pytest.raises(AmbiguousPlace):
        geocode("Saint-Denis", host.hooks)
