"""Per-territory search radii: the registry's overrides over ANS's table.

Digest §2.3: the radius of a search is the département's `cityDefaultRadius` (address, city,
postcode) or `countyRadius` (whole département), "a per-territory default that administrators
can customise". `sas registry radius` stores a territory's own figures; `RegistryRadiusTable`
is the `RadiusTable` the search uses, answering with them first and with the table (or its
fallbacks) otherwise.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from sas_core.geography.radius import RadiusTable
from sas_core.geography.territories import territory_of_departement
from sas_core.registry.models import RegistryInputError, SearchRadius
from sas_core.registry.territories import check_territory
from sas_core.storage.registry import read_search_radii, write_search_radius

#: A radius must stay a neighbourhood: the largest official `countyRadius` is 143 km.
MAX_RADIUS_KM = 300.0


class RegistryRadiusTable:
    """ANS's table with the registry's per-territory overrides read once, when made."""

    def __init__(self, engine: Engine, table: RadiusTable) -> None:
        self._table = table
        self._overrides = read_search_radii(engine)

    def _override(self, departement: str) -> SearchRadius | None:
        return self._overrides.get(territory_of_departement(departement))

    def city_radius_km(self, departement: str) -> float | None:
        override = self._override(departement)
        if override is not None and override.city_radius_km is not None:
            return override.city_radius_km
        return self._table.city_radius_km(departement)

    def county_radius_km(self, departement: str) -> float | None:
        override = self._override(departement)
        if override is not None and override.county_radius_km is not None:
            return override.county_radius_km
        return self._table.county_radius_km(departement)

    def barycentre(self, departement: str) -> tuple[float, float] | None:
        return self._table.barycentre(departement)


def search_radii(engine: Engine) -> list[SearchRadius]:
    """The territories whose radii the registry overrides, by code."""
    return sorted(read_search_radii(engine).values(), key=lambda r: r.territory)


def set_search_radius(
    engine: Engine, territory: str, city_km: float | None, county_km: float | None
) -> SearchRadius:
    """Override (or, with neither figure, stop overriding) a territory's radii."""
    try:
        code = check_territory(territory)
    except ValueError as exc:
        raise RegistryInputError(str(exc)) from None
    for name, value in (("city", city_km), ("county", county_km)):
        if value is not None and not 0 < value <= MAX_RADIUS_KM:
            raise RegistryInputError(
                f"{name} radius {value:g} km is out of range (0, {MAX_RADIUS_KM:g}]"
            )
    radius = SearchRadius(code, city_km, county_km)
    write_search_radius(engine, radius, at=datetime.now(UTC))
    return radius
