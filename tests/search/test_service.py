"""The search service against real simulated vendors: a status for every card, the cache, lots
streamed in order, filters, the preferred doctor and the enlarged second pass."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from litestar import Litestar

from sas_core.geography.models import PlaceKind
from sas_core.offer.models import OfferKind
from sas_core.plugins.host import PluginHost
from sas_core.registry.health import DatabaseHealth
from sas_core.registry.models import BreakerPolicy
from sas_core.search.availability import SlotCache
from sas_core.search.models import Filters, SearchInputError, SearchRequest
from sas_core.search.ranking import lots_of, order_candidates
from sas_core.search.service import SearchResult, SearchService
from sas_core.search.settings import SearchSettings
from sas_core.settings import load_settings
from sas_core.storage import open_database
from sas_simulator.app import create_app
from sas_simulator.dataset import Dataset, build_dataset
from sas_simulator.faults import Faults
from sas_simulator.server import SimulatorServer

from .conftest import (
    BORDEAUX,
    CountingApp,
    ListSource,
    Offer,
    StaticAdapters,
    area,
    dataset_offers,
    live,
    offer,
)

pytestmark = pytest.mark.anyio

Vendor = tuple[SimulatorServer, CountingApp]


def service(
    host: PluginHost,
    offers: list[Offer],
    adapters: StaticAdapters,
    **kwargs: Any,
) -> SearchService:
    return SearchService(ListSource(offers), host, adapters, **kwargs)


def registry(server: SimulatorServer) -> StaticAdapters:
    return StaticAdapters(
        [live("vendor-a", "sas-cpts", server.base_url), live("sos", "sas-sos", server.base_url)]
    )


def statuses(result: SearchResult) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for card in result.cards:
        found.setdefault(card.status, set()).add(card.id)
    return found


async def test_every_card_has_a_status_from_a_real_vendor(
    host: PluginHost, dataset: Dataset, vendor: Vendor
) -> None:
    server, _ = vendor
    offers = dataset_offers(dataset, "vendor-a", "sos")
    phone_only = offer("899999999999", adapter=None)
    elsewhere = offer("899999999998", adapter="vendor-of-another-territory")
    unknown = offer("899999999997", adapter="vendor-a")
    search = service(host, [*offers, phone_only, elsewhere, unknown], registry(server))

    result = await search.run(SearchRequest(area=area(), seed=7))

    by_status = statuses(result)
    with_slots = {
        p.idnps for p in dataset.practitioners if any(s.free_slots for s in dataset.schedules_of(p))
    }
    assert with_slots <= by_status["slots"]
    assert {a.idnst for a in dataset.sos} <= by_status["slots"]
    assert by_status["no-slot"] == {unknown.id}, "the vendor answered: nothing free"
    assert by_status["not-connected"] == {phone_only.id, elsewhere.id}
    cards = {c.id: c for c in result.cards}
    assert "phone" in (cards[phone_only.id].cause or "")
    assert "not called in SAS-33" in (cards[elsewhere.id].cause or "")
    for card in result.cards:
        assert all(s.place is not None and s.place.id == card.place_id for s in card.slots) or (
            card.status != "slots"
        )
    assert all(c.fetched_at is not None for c in result.cards if c.adapter == "vendor-a")


async def test_a_failing_vendor_is_a_vendor_error_with_its_cause(
    host: PluginHost, dataset: Dataset, vendor: Vendor
) -> None:
    server, _ = vendor
    server.set_faults(Faults(mode="http-500"))
    search = service(host, dataset_offers(dataset, "vendor-a"), registry(server))

    result = await search.run(SearchRequest(area=area(), seed=1))

    held = [c for c in result.cards if c.adapter == "vendor-a"]
    assert held and {c.status for c in held} == {"vendor-error"}
    assert all("500" in (c.cause or "") for c in held)
    assert {c.status for c in result.cards if c.adapter is None} == {"not-connected"}


async def test_an_open_circuit_is_not_asked(
    host: PluginHost, dataset: Dataset, vendor: Vendor, tmp_path: Path
) -> None:
    server, counting = vendor
    engine = open_database(load_settings(data_dir=tmp_path))
    breaker = DatabaseHealth(engine, BreakerPolicy(failure_threshold=2))
    offers = dataset_offers(dataset, "vendor-a")[:3]
    search = service(
        host, offers, registry(server), breaker=breaker, settings=SearchSettings(cache_ttl_s=1)
    )
    server.set_faults(Faults(mode="http-500"))
    for _ in range(2):
        failed = await search.run(SearchRequest(area=area(), seed=1, fresh=True))
        assert {c.status for c in failed.cards} == {"vendor-error"}
    asked = counting.searches
    server.set_faults(Faults())

    result = await search.run(SearchRequest(area=area(), seed=1, fresh=True))

    assert counting.searches == asked, "no request to a vendor whose circuit is open"
    assert {c.status for c in result.cards} == {"circuit-open"}
    assert all("open" in (c.cause or "") for c in result.cards)
    engine.dispose()


async def test_vendors_are_asked_once_per_agenda_per_ttl_and_fresh_asks_again(
    host: PluginHost, dataset: Dataset, vendor: Vendor
) -> None:
    server, counting = vendor
    now = [datetime.now(UTC)]
    search = service(
        host,
        dataset_offers(dataset, "vendor-a", "sos"),
        registry(server),
        cache=SlotCache(timedelta(seconds=30), clock=lambda: now[0]),
        clock=lambda: now[0],
    )
    request = SearchRequest(area=area(), seed=3)

    first = await search.run(request)
    asked = counting.searches
    assert asked == 2, "one lot: one search by practitioners, one by SOS associations"

    now[0] += timedelta(seconds=20)
    again = await search.run(request)
    assert counting.searches == asked, "within the TTL nobody is asked"
    assert [c.fetched_at for c in again.cards] == [c.fetched_at for c in first.cards]
    assert [c.id for c in again.cards] == [c.id for c in first.cards]

    await search.run(replace(request, fresh=True))
    assert counting.searches == asked + 2, "--fresh asks every vendor again"

    now[0] += timedelta(seconds=31)
    late = await search.run(request)
    assert counting.searches == asked + 4, "past the TTL the vendors are asked again"
    assert all(c.fetched_at == now[0] for c in late.cards if c.adapter)


@pytest.fixture(scope="module")
def big_dataset() -> Dataset:
    return build_dataset(seed=3, practitioners=40, acceptance=False)


class HeldVendor:
    """A vendor's ASGI app whose answers wait until `release()`: what a slow vendor does,
    without a clock in the test. The server's readiness probe (`/fhir/metadata`) goes through."""

    def __init__(self, app: Litestar) -> None:
        self.app = app
        self.base_url = ""
        self.released = threading.Event()
        self.answered = 0

    def release(self) -> None:
        self.released.set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        held = scope["type"] == "http" and scope["path"] != "/fhir/metadata"
        if held:  # the server's loop is not the test's: wait on a thread for the release
            await asyncio.to_thread(self.released.wait)
        await self.app(scope, receive, send)
        self.answered += held


@pytest.fixture
def slow_and_fast(big_dataset: Dataset) -> Iterator[tuple[SimulatorServer, HeldVendor]]:
    slow = HeldVendor(create_app(big_dataset))
    with (
        SimulatorServer(create_app(big_dataset)) as fast,
        SimulatorServer(cast(Litestar, slow)) as slow_server,
    ):
        slow.base_url = slow_server.base_url
        try:
            yield fast, slow
        finally:
            slow.release()


async def test_lots_of_25_stream_in_order_and_the_first_page_waits_only_for_its_vendors(
    host: PluginHost, big_dataset: Dataset, slow_and_fast: tuple[SimulatorServer, HeldVendor]
) -> None:
    """The first lot's agendas are at a fast vendor, the later ones at a slow one: the first
    page comes back before the slow vendor answers, the next ones in order after it."""
    fast, slow = slow_and_fast
    offers = dataset_offers(big_dataset, "fast")
    assert len(offers) > 50
    adapters = StaticAdapters(
        [live("fast", "sas-fhir", fast.base_url), live("slow", "sas-fhir", slow.base_url)]
    )
    search = service(host, offers, adapters)
    request = SearchRequest(area=area(kind=PlaceKind.ADDRESS), seed=1)
    lots = list(lots_of(order_candidates(offers, BORDEAUX, by_distance=True, seed=1)))
    assert [len(lot) for lot in lots] == [25, 25, len(offers) - 50]
    later = {r.key for lot in lots[1:] for r in lot}
    search.source = ListSource(
        [replace(o, adapter="slow") if (o.id, o.place_id) in later else o for o in offers]
    )
    running = search.start(request)

    arrivals: list[tuple[int, int, list[str]]] = []  # lot, slow answers by then, statuses
    async for page in running.pages():
        arrivals.append((page.lot, slow.answered, [c.status for c in page.cards]))
        slow.release()  # the slow vendor answers only once the first page is in

    assert [lot for lot, _, _ in arrivals] == [1, 2, 3]
    assert arrivals[0][1] == 0, "the first page came before the slow vendor answered"
    assert all(answered > 0 for _, answered, _ in arrivals[1:])
    # The later lots carry the slow vendor's real answers, not a timeout.
    assert {s for _, _, page in arrivals[1:] for s in page} <= {"slots", "no-slot"}
    assert sum(len(page) for _, _, page in arrivals) == len(offers)


async def test_limit_stops_the_search(
    host: PluginHost, big_dataset: Dataset, slow_and_fast: tuple[SimulatorServer, HeldVendor]
) -> None:
    fast, _ = slow_and_fast
    search = service(
        host,
        dataset_offers(big_dataset, "fast"),
        StaticAdapters([live("fast", "sas-fhir", fast.base_url)]),
    )
    result = await search.run(SearchRequest(area=area(), seed=1, limit=30))
    assert len(result.cards) == 30
    assert {c.lot for c in result.cards} == {1, 2}


async def test_filters_after_the_slots_are_known(
    host: PluginHost, dataset: Dataset, vendor: Vendor
) -> None:
    server, _ = vendor
    offers = dataset_offers(dataset, "vendor-a", "sos")
    phone_only = offer(
        "899999999999",
        adapter=None,
        surnumeraire=True,
        marketplace_url="https://marketplace.example/demande",
    )
    search = service(host, [*offers, phone_only], registry(server))

    async def run(*tokens: str) -> SearchResult:
        return await search.run(SearchRequest(area=area(), seed=2, filters=Filters.parse(tokens)))

    everything = await run()
    with_slots = await run("with-slots")
    assert with_slots.cards and {c.status for c in with_slots.cards} == {"slots"}
    assert len(with_slots.cards) < len(everything.cards)

    soon = await run("available:0-4h")
    assert all("0-4h" in c.available_within for c in soon.cards)
    now = datetime.now(UTC)
    for card in soon.cards:
        assert any(s.start < now + timedelta(hours=4) for s in card.slots)

    sos = await run("type:sos")
    assert sos.cards and {c.type for c in sos.cards} == {"sos"}

    home = await run("modality:home")
    assert home.cards and all(any("HH" in s.modalities for s in c.slots) for c in home.cards)

    beyond = await run("surnumeraire")
    assert [(c.id, c.marketplace_url) for c in beyond.cards] == [
        (phone_only.id, "https://marketplace.example/demande")
    ]


async def test_within_shortens_the_window_of_the_slots_shown(
    host: PluginHost, dataset: Dataset, vendor: Vendor
) -> None:
    server, _ = vendor
    search = service(host, dataset_offers(dataset, "vendor-a"), registry(server))
    result = await search.run(SearchRequest(area=area(), seed=2, within=timedelta(hours=6)))
    limit = datetime.now(UTC) + timedelta(hours=6)
    assert all(s.start <= limit for c in result.cards for s in c.slots)
    with pytest.raises(SearchInputError, match="within"):
        search.start(SearchRequest(area=area(), within=timedelta(hours=73)))


async def test_the_preferred_doctor_comes_first_and_errors_are_reported(
    host: PluginHost, dataset: Dataset, vendor: Vendor
) -> None:
    server, _ = vendor
    offers = dataset_offers(dataset, "vendor-a")
    doctor = dataset.practitioners[2]
    search = service(host, offers, registry(server))

    result = await search.run(
        SearchRequest(
            area=area(), seed=2, preferred_doctor=f"urn:oid:1.2.250.1.71.4.2.1|{doctor.idnps}"
        )
    )
    preferred = [c for c in result.cards if c.preferred]
    assert [c.id for c in result.cards[: len(doctor.places)]] == [doctor.idnps] * len(doctor.places)
    assert len(preferred) == len(doctor.places) and preferred[0].lot == 0
    assert [c.id for c in result.cards].count(doctor.idnps) == len(doctor.places)
    assert result.header.preferred_doctor_error is None

    errors = (("", "sas_pf_002"), ("urn:oid:x", "sas_pf_001"), ("899999999999", "sas_pf_001"))
    for value, code in errors:
        result = await search.run(SearchRequest(area=area(), seed=2, preferred_doctor=value))
        assert result.header.preferred_doctor_error is not None
        assert result.header.preferred_doctor_error.error_code_sas == code
        assert not any(c.preferred for c in result.cards)
        assert len(result.cards) == len(offers), "the search itself goes on"


async def test_too_few_offers_enlarge_the_circle_once_unless_the_radius_was_chosen(
    host: PluginHost,
) -> None:
    near = [offer(f"8{i:011d}", lat=44.84, lon=-0.58) for i in range(2)]
    farther = [offer(f"8{i:011d}", lat=44.84 + 0.11, lon=-0.58) for i in range(2, 6)]
    source = ListSource([*near, *farther])
    search = SearchService(source, host, StaticAdapters([]))

    running = search.start(SearchRequest(area=area(radius_km=10), seed=1))
    assert running.header.enlarged and running.header.radius_km == 15
    assert source.queries == [10, 15]
    assert running.header.candidates == 6

    running = search.start(SearchRequest(area=area(radius_km=10), seed=1, radius_given=True))
    assert not running.header.enlarged and running.header.candidates == 2

    county = area(PlaceKind.DEPARTEMENT, radius_km=10)
    assert not search.start(SearchRequest(area=county, seed=1)).header.enlarged


async def test_an_unknown_specialty_is_refused_before_anything_is_asked(host: PluginHost) -> None:
    source = ListSource([offer("811111111111")])
    search = SearchService(source, host, StaticAdapters([]))
    with pytest.raises(SearchInputError, match=r"unknown specialty code 'SM99'.*Bordeaux"):
        search.start(SearchRequest(area=area(), specialty="SM99"))
    assert source.queries == []


async def test_cpts_covering_the_commune_collapse_into_one_card(
    host: PluginHost, dataset: Dataset, vendor: Vendor
) -> None:
    server, _ = vendor
    offers = dataset_offers(dataset, "vendor-a")
    cpts = dataset.cpts[0]
    members = {p.idnps for p in dataset.members_of(cpts)}
    cpts_offer = Offer(
        OfferKind.STRUCTURE, cpts.idnst, f"cpts-{cpts.idnst}", 44.84, -0.58, structure_kind="cpts"
    )
    source = ListSource(offers, cpts={"33063": [cpts_offer]})
    search = SearchService(source, host, registry(server))

    result = await search.run(SearchRequest(area=area(insee="33063"), seed=4))

    ids = [c.id for c in result.cards]
    assert ids.count(cpts.idnst) == 1
    first_of_cpts = {o.id for o in offers if o.cpts == cpts.idnst}
    assert not first_of_cpts & set(ids), "its members are behind the CPTS card"
    the_cpts = next(c for c in result.cards if c.id == cpts.idnst)
    assert the_cpts.type == "cpts" and set(the_cpts.members) == first_of_cpts <= members


async def test_the_directory_is_read_a_page_at_a_time_as_the_lots_are_needed(
    host: PluginHost,
) -> None:
    """Starting a search reads the first lot only; each later page is read when a lot needs it,
    and a search stopped early reads no further."""
    offers = [offer(f"8{i:011d}", lat=44.84 + i * 1e-4) for i in range(260)]
    source = ListSource(offers)
    search = SearchService(source, host, StaticAdapters([]))
    request = SearchRequest(area=area(), seed=3)

    running = search.start(request)
    assert source.pages == [(0, 25)]
    assert running.header.candidates == 260
    pages = running.pages()
    first = await anext(pages)
    assert [c.id for c in first.cards] == [r.candidate.id for r in running.first_lot]
    await pages.aclose()
    assert source.pages == [(0, 25)], "a search closed after its first page read nothing more"

    source.pages.clear()
    result = await search.run(request)
    assert source.pages == [(0, 25), (25, 100), (125, 100), (225, 100)]
    everyone = order_candidates(offers, BORDEAUX, by_distance=False, seed=3)
    assert [c.id for c in result.cards] == [r.candidate.id for r in everyone]
    assert [c.lot for c in result.cards[::25]] == list(range(1, 12))


async def test_a_slot_at_a_place_the_directory_does_not_list_goes_to_the_offers_first_place(
    host: PluginHost, dataset: Dataset, vendor: Vendor
) -> None:
    """A vendor's slot at a place the directory lacks is shown at the offer's first place in
    the search; a place the search lists, even pages later, keeps its own slots."""
    server, _ = vendor
    offers = dataset_offers(dataset, "vendor-a")
    everything = await service(host, offers, registry(server)).run(
        SearchRequest(area=area(), seed=7)
    )
    places_with_slots: dict[str, list[str]] = {}
    for card in everything.cards:
        if card.slots:
            places_with_slots.setdefault(card.id, []).append(card.place_id)
    person, (first, second, *_) = next(
        (p, places) for p, places in places_with_slots.items() if len(places) >= 2
    )
    at = {(o.id, o.place_id): o for o in offers}
    centre = (at[person, first].latitude, at[person, first].longitude)
    # Thirty phone-only offers between the first place and the far end: two pages at least.
    fillers = [
        offer(f"87{i:010d}", lat=centre[0] + 0.01 + i * 0.001, lon=centre[1], adapter=None)
        for i in range(30)
    ]
    near_first = [replace(at[person, first]), *fillers]
    search_area = area(PlaceKind.ADDRESS, center=centre)

    def slot_places(result: SearchResult, place: str) -> set[str | None]:
        card = next(c for c in result.cards if c.id == person and c.place_id == place)
        return {s.place.id if s.place else None for s in card.slots}

    unlisted = await service(host, near_first, registry(server)).run(
        SearchRequest(area=search_area, seed=7)
    )
    assert slot_places(unlisted, first) == {first, second}

    far = replace(at[person, second], latitude=centre[0] + 5, longitude=centre[1])
    source = ListSource([*near_first, far])
    listed = await SearchService(source, host, registry(server)).run(
        SearchRequest(area=search_area, seed=7)
    )
    assert slot_places(listed, first) == {first}
    assert slot_places(listed, second) == {second}
    assert next(c.lot for c in listed.cards if c.place_id == second) == 2
    assert len(source.pages) > 1, "the second place was on a later page"


async def test_a_lot_names_at_most_ten_sos_associations_across_pages(host: PluginHost) -> None:
    """Twelve associations among the first 25 candidates: the first lot stops before the
    eleventh, and the next lot goes on with the rest of the first page, then the next page."""
    sos = [
        Offer(OfferKind.STRUCTURE, f"3{i:014d}", f"site-{i}", 44.84 + i * 1e-4, -0.58,
              structure_kind="sos")
        for i in range(12)
    ]  # fmt: skip
    practitioners = [offer(f"8{i:011d}", lat=44.85 + i * 1e-4) for i in range(40)]
    source = ListSource([*sos, *practitioners])
    search = SearchService(source, host, StaticAdapters([]))
    centre = (44.84, -0.58)

    result = await search.run(
        SearchRequest(area=area(PlaceKind.ADDRESS, center=centre, radius_km=50), seed=1)
    )

    lots: dict[int, list[str]] = {}
    for card in result.cards:
        lots.setdefault(card.lot, []).append(card.id)
    assert [len(ids) for ids in lots.values()] == [10, 25, 17]
    assert lots[1] == [s.id for s in sos[:10]]
    assert lots[2][:2] == [s.id for s in sos[10:]], "the first page's rest opens the next lot"
    assert source.pages == [(0, 25), (25, 100)]
