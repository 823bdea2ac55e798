"""The offer directory the search engine asks: who is within a circle, which CPTS covers a
commune, where a given practitioner consults.

The geographic query is two steps (search digest §2.4 step 9, without Solr's `geofilt`): the
circle's bounding box on the indexed latitude/longitude columns, then the exact haversine
distance (`sas_core.geography.distances`) to drop the box's corners. Both databases answer it
the same way; PostGIS is not needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection

from sqlalchemy.engine import Engine

from sas_core.geography.distances import EARTH_RADIUS_KM
from sas_core.offer.models import Candidate, DirectoryStats, OfferKind, UnknownSpecialty
from sas_core.offer.nomenclature import SPECIALTIES
from sas_core.storage.offer import (
    LATITUDE,
    LONGITUDE,
    Box,
    candidate_from_row,
    directory_is_empty,
    directory_specialties,
    directory_stats,
    select_candidates_in_box,
    select_cpts_covering,
    select_places_of,
)

#: The largest radius a query may ask (a whole département's `countyRadius` stays below it).
MAX_RADIUS_KM = 500.0
_KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180


class OfferDirectory:
    """Read access to the offer directory stored in the platform's database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._known: frozenset[str] | None = None

    def candidates(
        self,
        center: tuple[float, float],
        radius_km: float,
        *,
        specialty: str | None = None,
        kinds: Collection[OfferKind] | None = None,
        limit: int | None = None,
    ) -> list[Candidate]:
        """Every (offer, place) within `radius_km` of `center` (lat, lon), nearest first;
        with `limit`, the `limit` nearest only (sorted and cut by the database: a dense city's
        circle holds thousands of places, and building them all is what a query costs).

        `specialty` (a TRE_R38 code) keeps the practitioners who carry it, and drops structures:
        a structure has no ordinal specialty. Raises `UnknownSpecialty` for a code the
        nomenclature and the directory do not know, `ValueError` for a radius out of range.
        """
        if not 0 < radius_km <= MAX_RADIUS_KM:
            raise ValueError(f"radius {radius_km:g} km is out of range (0, {MAX_RADIUS_KM:g}]")
        if specialty is not None:
            self.check_specialty(specialty)
        if limit is not None and limit < 1:
            raise ValueError(f"limit {limit} is not a positive number of candidates")
        rows = select_candidates_in_box(
            self._engine,
            bounding_box(center, radius_km),
            specialty=specialty,
            kinds=kinds,
            nearest=center,
            limit=limit,
        )
        found = []
        within = _within(center, radius_km)
        for row in rows:
            distance = within(row[LATITUDE], row[LONGITUDE])
            if distance is not None:
                found.append(candidate_from_row(row, distance))
        found.sort(key=lambda c: (c.distance_km, c.id, c.place_id))
        return found

    def cpts_covering(self, insee: str) -> list[Candidate]:
        """The CPTS whose intervention zone holds the commune `insee` (digest §2.8), at their
        seat, with no distance (0)."""
        return [candidate_from_row(row, 0.0) for row in select_cpts_covering(self._engine, insee)]

    def practitioner_places(self, idnps: str) -> list[Candidate]:
        """Every place of one practitioner, wherever it is: the LRM's preferred doctor (§2.11)."""
        return [candidate_from_row(row, 0.0) for row in select_places_of(self._engine, idnps)]

    def stats(self) -> DirectoryStats:
        return directory_stats(self._engine)

    def is_empty(self) -> bool:
        return directory_is_empty(self._engine)

    def check_specialty(self, code: str) -> str:
        """`code` if the nomenclature or the directory's practitioners know it; else raises
        `UnknownSpecialty` (a code only an imported file carries is known once imported)."""
        if code in SPECIALTIES:
            return code
        if self._known is None:
            self._known = frozenset(directory_specialties(self._engine))
        if code in self._known:
            return code
        raise UnknownSpecialty(code, tuple(sorted(SPECIALTIES)))


def _within(
    center: tuple[float, float], radius_km: float
) -> Callable[[float, float], float | None]:
    """A test of a point against the circle: its haversine distance (`haversine_km`'s, with
    the centre's terms computed once), rounded to the metre, or None outside."""
    lat0 = math.radians(center[0])
    lon0 = math.radians(center[1])
    cos0 = math.cos(lat0)
    diameter = 2 * EARTH_RADIUS_KM
    sin, cos, asin, sqrt, radians = math.sin, math.cos, math.asin, math.sqrt, math.radians

    def distance(lat: float, lon: float) -> float | None:
        lat1 = radians(lat)
        h = sin((lat1 - lat0) / 2) ** 2 + cos0 * cos(lat1) * sin((radians(lon) - lon0) / 2) ** 2
        km = diameter * asin(sqrt(h))
        return round(km, 3) if km <= radius_km else None

    return distance


def bounding_box(center: tuple[float, float], radius_km: float) -> Box:
    """The latitude/longitude box around a circle (sphere; never crossing the antimeridian,
    which no French territory of the SAS straddles)."""
    lat, lon = center
    dlat = radius_km / _KM_PER_DEGREE
    cos_lat = math.cos(math.radians(min(89.0, abs(lat) + dlat)))
    dlon = min(180.0, radius_km / (_KM_PER_DEGREE * cos_lat))
    return Box(south=lat - dlat, north=lat + dlat, west=lon - dlon, east=lon + dlon)
