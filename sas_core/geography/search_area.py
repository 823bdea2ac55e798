"""From the place typed to the circle searched: geocoding through the plugins, then the radius.

Digest §2.2–2.3: the point comes from a geocoder (an online plugin first when one is installed,
the offline gazetteer last); the radius and, for a département, the centre come from the ANS
table when the operator provides it (`radius.py`), else from the fallbacks.
"""

from __future__ import annotations

from typing import Protocol

from sas_core.geography.gazetteer import load_gazetteer
from sas_core.geography.models import GeocodeResult, PlaceKind, PlaceNotFound, SearchArea
from sas_core.geography.radius import DEFAULT_CITY_RADIUS_KM, RadiusTable
from sas_core.geography.territories import territory_of_departement


class GeocodeHooks(Protocol):
    """What a search area needs of the plugins: the `sas_geocode` hook (`PluginHost.hooks`)."""

    def sas_geocode(self, query: str) -> GeocodeResult | None: ...


def geocode(query: str, hooks: GeocodeHooks) -> GeocodeResult:
    """Ask the `sas_geocode` implementations (first answer wins); raise `GeocodeError` if none."""
    answer: object = hooks.sas_geocode(query)
    if answer is None:
        raise PlaceNotFound(f"no geocoder found {query!r}")
    # A plugin may answer with the model's fields as a mapping: validated like the model.
    return GeocodeResult.model_validate(answer)


def search_area(place: GeocodeResult, radius_table: RadiusTable) -> SearchArea:
    """The centre, territory and radius of a search around `place`."""
    departement = place.departement
    lat, lon = place.lat, place.lon
    if place.kind is PlaceKind.DEPARTEMENT:
        official_centre = radius_table.barycentre(departement)
        if official_centre is not None:
            lat, lon = official_centre
        radius = radius_table.county_radius_km(departement)
        if radius is None:
            radius = _covering_radius(departement)
    else:
        radius = radius_table.city_radius_km(departement) or DEFAULT_CITY_RADIUS_KM
    return SearchArea(
        place=place,
        lat=lat,
        lon=lon,
        territory=territory_of_departement(departement),
        radius_km=radius,
    )


def _covering_radius(departement: str) -> float:
    """The gazetteer's circle around the département's centre that covers all of it."""
    place = load_gazetteer().departements.get(departement)
    if place is None or place.radius_km is None:
        raise PlaceNotFound(f"département {departement} is not in the gazetteer")
    return place.radius_km
