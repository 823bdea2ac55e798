"""The offer directory the search engine asks: who is within a circle, which CPTS covers a
commune, where a given practitioner consults.

The geographic query is two steps (search digest §2.4 step 9, without Solr's `geofilt`): the
circle's bounding box on the indexed latitude/longitude columns, then the exact circle, by the
chord between points of the unit sphere (`sas_core.geography.distances.squared_chord`). Both
databases answer it the same way; PostGIS is not needed.

A search does not read its whole circle: it asks for its candidates a page at a time, in the
directory's order (`ranked`), and counts them apart (`count`); see `sas_core.storage.offer`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection

from sqlalchemy.engine import Engine

from sas_core.geography.distances import EARTH_RADIUS_KM
from sas_core.offer.models import (
    Candidate,
    CandidateQuery,
    DirectoryStats,
    OfferKind,
    UnknownSpecialty,
)
from sas_core.offer.nomenclature import SPECIALTIES
from sas_core.storage.offer import (
    LATITUDE,
    LONGITUDE,
    candidate_from_row,
    count_candidates,
    directory_is_empty,
    directory_specialties,
    directory_stats,
    select_candidates_near,
    select_cpts_covering,
    select_offer_places,
    select_places_of,
    select_places_of_offers,
    select_ranked_candidates,
)

#: The largest radius a query may ask (a whole département's `countyRadius` stays below it).
MAX_RADIUS_KM = 500.0


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
    ) -> list[Candidate]:
        """Every (offer, place) within `radius_km` of `center` (lat, lon), nearest first: the
        whole circle at once (a search reads it a page at a time, `ranked`).

        `specialty` (a TRE_R38 code) keeps the practitioners who carry it, and drops structures:
        a structure has no ordinal specialty. Raises `UnknownSpecialty` for a code the
        nomenclature and the directory do not know, `ValueError` for a radius out of range.
        """
        _check_radius(radius_km)
        if specialty is not None:
            self.check_specialty(specialty)
        rows = select_candidates_near(
            self._engine, center, radius_km, specialty=specialty, kinds=kinds
        )
        distance = _distance_from(center)
        found = [candidate_from_row(row, distance(row[LATITUDE], row[LONGITUDE])) for row in rows]
        found.sort(key=lambda c: (c.distance_km, c.id, c.place_id))
        return found

    def ranked(self, query: CandidateQuery, *, offset: int = 0, limit: int) -> list[Candidate]:
        """The candidates `offset` … `offset + limit` of `query`, in the directory's order
        (participants first, then nearest or seeded): one page of a search, ranked and cut by
        the database. Raises like `candidates` for a bad radius or specialty."""
        self._check(query)
        if offset < 0 or limit < 1:
            raise ValueError(f"page ({offset}, {limit}) is not an offset and a positive limit")
        rows = select_ranked_candidates(self._engine, query, offset=offset, limit=limit)
        distance = _distance_from(query.center)
        return [candidate_from_row(row, distance(row[LATITUDE], row[LONGITUDE])) for row in rows]

    def count(self, query: CandidateQuery) -> int:
        """How many candidates `query` has in all."""
        self._check(query)
        return count_candidates(self._engine, query)

    def places_in(self, query: CandidateQuery, offer_ids: Collection[str]) -> dict[str, set[str]]:
        """Which places of these offers `query` lists, whatever their page."""
        return select_places_of_offers(self._engine, query, offer_ids)

    def offer_places(self, keys: Collection[tuple[str, str]]) -> list[Candidate]:
        """The candidates of these (offer id, place id), wherever they are (distance 0): what a
        page of results shows of each card."""
        return [candidate_from_row(row, 0.0) for row in select_offer_places(self._engine, keys)]

    def _check(self, query: CandidateQuery) -> None:
        _check_radius(query.radius_km)
        if query.specialty is not None:
            self.check_specialty(query.specialty)

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


def _check_radius(radius_km: float) -> None:
    if not 0 < radius_km <= MAX_RADIUS_KM:
        raise ValueError(f"radius {radius_km:g} km is out of range (0, {MAX_RADIUS_KM:g}]")


def _distance_from(center: tuple[float, float]) -> Callable[[float, float], float]:
    """The haversine distance from `center` (`haversine_km`'s, with the centre's terms computed
    once), rounded to the metre: what a candidate shows."""
    lat0 = math.radians(center[0])
    lon0 = math.radians(center[1])
    cos0 = math.cos(lat0)
    diameter = 2 * EARTH_RADIUS_KM
    sin, cos, asin, sqrt, radians = math.sin, math.cos, math.asin, math.sqrt, math.radians

    def distance(lat: float, lon: float) -> float:
        lat1 = radians(lat)
        h = sin((lat1 - lat0) / 2) ** 2 + cos0 * cos(lat1) * sin((radians(lon) - lon0) / 2) ** 2
        return round(diameter * asin(sqrt(h)), 3)

    return distance
