"""What a geocoder answers, the search circle made of it, and why a place was not found."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class PlaceKind(StrEnum):
    """What the regulator typed, which decides the radius (digest §2.3)."""

    ADDRESS = "address"
    CITY = "city"
    POSTCODE = "postcode"
    DEPARTEMENT = "departement"


class GeocodeResult(BaseModel):
    """A place as a geocoder found it: a point, what kind of place, and its département.

    The platform adds the SAS territory and the search radius (see `SearchArea`); a geocoder
    only says where the place is.
    """

    model_config = ConfigDict(frozen=True)

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    kind: PlaceKind
    #: INSEE département code: `01`…`95`, `2A`, `2B`, `971`…`976`.
    departement: str
    #: What was found, for people: "Bobigny (93000)", "12 rue de la Paix, 75002 Paris".
    label: str
    #: INSEE code of the commune (or municipal arrondissement), when one commune was found.
    insee: str | None = None
    postcode: str | None = None
    #: Who answered ("gazetteer" for the built-in one, the plugin's name otherwise).
    source: str = "gazetteer"
    #: What the regulator should know about the answer (a guess made, a precision missing).
    note: str | None = None


class SearchArea(BaseModel):
    """The circle a search covers: a `GeocodeResult`'s point, its territory and radius."""

    model_config = ConfigDict(frozen=True)

    place: GeocodeResult
    lat: float
    lon: float
    territory: str
    radius_km: float

    def as_contract(self) -> dict[str, object]:
        """The document `sas geocode --format json` prints (README, "sas geocode")."""
        return {
            "lat": self.lat,
            "lon": self.lon,
            "kind": str(self.place.kind),
            "departement": self.place.departement,
            "territory": self.territory,
            "radius_km": self.radius_km,
            "label": self.place.label,
            "insee": self.place.insee,
            "postcode": self.place.postcode,
        }


class Candidate(BaseModel):
    """One of the places an ambiguous query may mean."""

    model_config = ConfigDict(frozen=True)

    label: str
    insee: str
    departement: str
    postcodes: tuple[str, ...] = ()


class GeocodeError(Exception):
    """The query does not name one place; the message says what was understood and what not."""

    def __init__(self, message: str, candidates: Sequence[Candidate] = ()) -> None:
        super().__init__(message)
        self.candidates = tuple(candidates)


class PlaceNotFound(GeocodeError):
    """Nothing in the query names a known place (or the query is empty)."""


class AmbiguousPlace(GeocodeError):
    """The query names several places; `candidates` lists them."""
