"""What the search tests build: offers as plain records, a directory over a list, simulated
vendors that count the searches they receive, and the registry's live adapters without a
database."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from litestar import Litestar

from sas_core.geography.distances import haversine_km
from sas_core.geography.models import GeocodeResult, PlaceKind, SearchArea
from sas_core.offer.models import CandidateQuery, OfferKind
from sas_core.plugins.host import PluginHost
from sas_core.registry.directory import LiveAdapter
from sas_core.search.ranking import directory_rank
from sas_simulator.app import create_app
from sas_simulator.dataset import PLACE_ID_SYSTEM, Dataset, build_dataset
from sas_simulator.server import SimulatorServer

#: Bordeaux: the simulated places are all over France, the tests' circle covers them all.
BORDEAUX = (44.8378, -0.5792)


@dataclass(frozen=True)
class Offer:
    """An `OfferCandidate` as a plain record."""

    kind: OfferKind
    id: str
    place_id: str
    latitude: float
    longitude: float
    participates: bool = True
    surnumeraire: bool = False
    modalities: tuple[str, ...] = ("AMB",)
    adapter: str | None = None
    cpts: str | None = None
    structure_kind: str | None = None
    marketplace_url: str | None = None
    specialties: tuple[str, ...] = ("SM54",)


@dataclass
class ListSource:
    """A `CandidateSource` over a list: the circle and the filters applied as a directory would."""

    offers: Sequence[Offer]
    cpts: dict[str, list[Offer]] = field(default_factory=dict)
    specialties: frozenset[str] = frozenset({"SM54", "SM40"})
    #: The radius of each count asked (a search counts its circle before anything else).
    queries: list[float] = field(default_factory=list)
    #: Each page asked: (offset, limit).
    pages: list[tuple[int, int]] = field(default_factory=list)

    def _answering(self, query: CandidateQuery) -> list[Offer]:
        return [
            o
            for o in self.offers
            if haversine_km(query.center, (o.latitude, o.longitude)) <= query.radius_km
            and (query.specialty is None or query.specialty in o.specialties)
            and (query.kinds is None or o.kind in query.kinds)
            and (o.surnumeraire or not query.surnumeraire_only)
            and o.id not in query.exclude
        ]

    def ranked(self, query: CandidateQuery, *, offset: int = 0, limit: int) -> list[Offer]:
        self.pages.append((offset, limit))
        found = sorted(self._answering(query), key=lambda o: directory_rank(query, o))
        return found[offset : offset + limit]

    def count(self, query: CandidateQuery) -> int:
        self.queries.append(query.radius_km)
        return len(self._answering(query))

    def places_in(self, query: CandidateQuery, offer_ids: Collection[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for o in self._answering(query):
            if o.id in offer_ids:
                found.setdefault(o.id, set()).add(o.place_id)
        return found

    def cpts_covering(self, insee: str) -> list[Offer]:
        return self.cpts.get(insee, [])

    def practitioner_places(self, idnps: str) -> list[Offer]:
        return [o for o in self.offers if o.id == idnps]

    def check_specialty(self, code: str) -> str:
        if code not in self.specialties:
            raise ValueError(f"unknown specialty code {code!r}")
        return code


def offer(id: str, lat: float = 44.84, lon: float = -0.58, **fields: Any) -> Offer:
    """A practitioner's place (one per id unless `place_id` is given)."""
    return Offer(
        OfferKind.PRACTITIONER, id, fields.pop("place_id", f"place-{id}"), lat, lon, **fields
    )


def place_id(local: str) -> str:
    """How a slot names a simulated place: the vendor's `system|value`."""
    return f"{PLACE_ID_SYSTEM}|{local}"


def dataset_offers(
    dataset: Dataset, adapter: str | None, sos_adapter: str | None = None
) -> list[Offer]:
    """Every practitioner place and SOS site of the simulated vendor, as the directory would
    list them: practitioners held by `adapter`, associations by `sos_adapter`."""
    offers = [
        Offer(
            OfferKind.PRACTITIONER,
            p.idnps,
            place_id(place.id),
            place.latitude,
            place.longitude,
            adapter=adapter,
            cpts=p.cpts[0] if p.cpts else None,
            specialties=p.specialties,
        )
        for p in dataset.practitioners
        for place in p.places
    ]
    offers += [
        Offer(
            OfferKind.STRUCTURE,
            association.idnst,
            place_id(site.id),
            site.latitude,
            site.longitude,
            adapter=sos_adapter,
            structure_kind="sos",
        )
        for association in dataset.sos
        for site in association.sites
    ]
    return offers


def area(
    kind: PlaceKind = PlaceKind.CITY,
    *,
    center: tuple[float, float] = BORDEAUX,
    radius_km: float = 2000.0,
    insee: str | None = None,
    territory: str = "SAS-33",
) -> SearchArea:
    place = GeocodeResult(
        lat=center[0], lon=center[1], kind=kind, departement="33", label="Bordeaux", insee=insee
    )
    return SearchArea(
        place=place, lat=center[0], lon=center[1], territory=territory, radius_km=radius_km
    )


@dataclass
class StaticAdapters:
    """The registry's live adapters of one territory, without a database."""

    adapters: list[LiveAdapter]
    territory: str = "SAS-33"

    def live(self, territory: str) -> list[LiveAdapter]:
        return self.adapters if territory == self.territory else []


def live(name: str, plugin: str, base_url: str, timeout_s: float = 3.0) -> LiveAdapter:
    return LiveAdapter(name, plugin, timeout_s, {"base_url": base_url})


class CountingApp:
    """The simulator's app, counting the slot searches it receives (FHIR `Slot`/`Schedule`);
    everything else (its state, its faults) is the app's."""

    def __init__(self, app: Litestar) -> None:
        self.inner = app
        self.searches = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].rsplit("/", 1)[-1] in {"Slot", "Schedule"}:
            self.searches += 1
        await self.inner(scope, receive, send)


@pytest.fixture(scope="session")
def host() -> PluginHost:
    return PluginHost.discover()


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return build_dataset(seed=42, practitioners=10, acceptance=False)


@pytest.fixture
def vendor(dataset: Dataset) -> Iterator[tuple[SimulatorServer, CountingApp]]:
    """A simulated vendor on a real socket, and its count of searches."""
    counting = CountingApp(create_app(dataset))
    with SimulatorServer(cast(Litestar, counting)) as server:
        yield server, counting
