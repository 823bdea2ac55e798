"""The search service: the care offer near a place, in lots, with live slots and a status per
card. The CLI calls it now; the web front and the LRM entry will call the same.

`SearchService.start` asks the directory for the count of its candidates and for the first lot
only (synchronously: two indexed queries, ranked by the database) and returns a `RunningSearch`
whose header is known at once; `RunningSearch.pages()` is an async iterator that yields each
lot's cards, ranked, as soon as that lot's vendors have answered, while the next lots are
already loading (`SAS_SEARCH_LOTS_IN_FLIGHT`) — their candidates read from the directory a page
at a time, as they are needed.
"""

from __future__ import annotations

import asyncio
import bisect
import math
import secrets
import weakref
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from sas_core.clock import PARIS
from sas_core.geography.models import PlaceKind
from sas_core.offer.models import CandidateQuery, OfferKind
from sas_core.plugins.host import PluginError, PluginHost
from sas_core.plugins.models import AdapterConfig
from sas_core.registry.circuit import CircuitBreaker
from sas_core.registry.directory import LiveAdapter
from sas_core.search.availability import AgendaAnswer, Availability, Clock, SlotCache, utcnow
from sas_core.search.models import (
    AVAILABILITY_BUCKETS,
    LOT_SIZE,
    MAX_WITHIN,
    MIN_CANDIDATES,
    MODALITY_NAMES,
    CandidateSource,
    Card,
    CardStatus,
    Filters,
    OfferCandidate,
    PreferredDoctorError,
    SearchHeader,
    SearchInputError,
    SearchPage,
    SearchRequest,
)
from sas_core.search.ranking import (
    Ranked,
    collapse_cpts,
    lots_of,
    not_found,
    order_candidates,
    partition,
    preferred_doctor_idnps,
    ranked,
)
from sas_core.search.settings import SearchSettings
from sas_core.slots.models import SearchWindow, Slot


class LiveAdapters(Protocol):
    """The adapters called in a territory (`sas_core.registry.directory.RegistryDirectory`)."""

    def live(self, territory: str) -> list[LiveAdapter]: ...


def search_window(now: datetime) -> SearchWindow:
    """Digest §2.1, §2.6: from now to the end of the day after tomorrow, Paris time."""
    local = now.astimezone(PARIS)
    end_of_d2 = datetime.combine(local.date() + timedelta(days=3), datetime.min.time(), PARIS)
    return SearchWindow(start=now, end=min(end_of_d2 - timedelta(milliseconds=1), now + MAX_WITHIN))


def enlarged_radius(radius_km: float) -> float:
    """Digest §2.3: `enlargementValue` = ⌈cityDefaultRadius / 2⌉, added to the radius."""
    return radius_km + math.ceil(radius_km / 2)


@dataclass
class SearchResult:
    """A whole search, every lot loaded."""

    header: SearchHeader
    cards: list[Card]

    def as_contract(self) -> dict[str, object]:
        """`sas search --format json`: the header, and `results`."""
        return {**self.header.as_contract(), "results": [c.as_contract() for c in self.cards]}


class SearchService:
    """Searches over one directory, one registry and one slot cache (shared by its searches)."""

    def __init__(
        self,
        source: CandidateSource,
        host: PluginHost,
        adapters: LiveAdapters,
        *,
        breaker: CircuitBreaker | None = None,
        settings: SearchSettings | None = None,
        cache: SlotCache | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.source = source
        self.host = host
        self.adapters = adapters
        self.breaker = breaker
        self.settings = settings or SearchSettings()
        self.cache = cache or SlotCache(self.settings.cache_ttl, clock)
        self.clock = clock

    def start(self, request: SearchRequest, territory: str | None = None) -> RunningSearch:
        """Ask the directory and rank what it found; no vendor is asked yet.

        `territory` overrides the area's (the registry territory whose adapters are asked).
        Raises `SearchInputError` for a specialty the directory does not know.
        """
        area = request.area
        if request.specialty is not None:
            try:
                self.source.check_specialty(request.specialty)
            except ValueError as exc:
                understood = f"the place was understood: {area.place.label}"
                raise SearchInputError(f"{exc} ({understood})") from None
        if request.within is not None and not timedelta(0) < request.within <= MAX_WITHIN:
            raise SearchInputError(f"--within must be more than 0 and at most {MAX_WITHIN}")
        seed = request.seed if request.seed is not None else secrets.randbelow(2**31)
        center = (area.lat, area.lon)
        # Every offer of the circle, before the filters that only narrow the list: what decides
        # whether the circle is enlarged (digest §2.3).
        everyone = CandidateQuery(
            center,
            area.radius_km,
            specialty=request.specialty,
            kinds=_kinds(request.filters),
            by_distance=area.place.kind is PlaceKind.ADDRESS,
            seed=seed,
        )
        total = self._count(everyone)
        enlarged = False
        if (
            total < MIN_CANDIDATES
            and not request.radius_given
            and area.place.kind is not PlaceKind.DEPARTEMENT
        ):
            everyone = replace(everyone, radius_km=enlarged_radius(area.radius_km))
            total = self._count(everyone)
            enlarged = True

        preferred: list[Ranked] = []
        preferred_error: PreferredDoctorError | None = None
        if request.preferred_doctor is not None:
            idnps = preferred_doctor_idnps(request.preferred_doctor)
            if isinstance(idnps, PreferredDoctorError):
                preferred_error = idnps
            else:
                places = self.source.practitioner_places(idnps)
                if not places:
                    preferred_error = not_found()
                preferred = order_candidates(places, center, by_distance=True, seed=seed)
        listed = replace(
            everyone,
            surnumeraire_only=request.filters.surnumeraire,
            exclude=frozenset(r.candidate.id for r in preferred),
        )
        candidates = total if listed == everyone else self._count(listed)
        covering: dict[str, Card] = {}
        if area.place.insee:
            for cpts in self.source.cpts_covering(area.place.insee):
                entry = order_candidates([cpts], center, by_distance=True, seed=seed)[0]
                template = _card(entry, AgendaAnswer("not-connected"), [], lot=0, now=None)
                covering[cpts.id] = template.model_copy(update={"type": "cpts"})
        # A covering CPTS is shown where its first member is, not at its seat.
        shown = replace(listed, exclude=listed.exclude | frozenset(covering))
        first = self._ranked(shown, 0, LOT_SIZE)
        now = self.clock()
        window = search_window(now)
        header = SearchHeader(
            lat=area.lat,
            lon=area.lon,
            radius_km=everyone.radius_km,
            seed=seed,
            territory=territory or area.territory,
            place=area.place.label,
            kind=str(area.place.kind),
            enlarged=enlarged,
            window_start=window.start,
            window_end=now + request.within if request.within else window.end,
            candidates=candidates + len(preferred),
            preferred_doctor_error=preferred_error,
        )
        return RunningSearch(
            service=self,
            request=request,
            header=header,
            window=window,
            preferred=preferred,
            feed=LotFeed(self.source, shown, first),
            covering=covering,
        )

    def _count(self, query: CandidateQuery) -> int:
        try:
            return self.source.count(query)
        except ValueError as exc:
            raise SearchInputError(str(exc)) from None

    def _ranked(self, query: CandidateQuery, offset: int, limit: int) -> list[Ranked]:
        try:
            page = self.source.ranked(query, offset=offset, limit=limit)
        except ValueError as exc:
            raise SearchInputError(str(exc)) from None
        return [ranked(candidate, query.center) for candidate in page]

    async def run(self, request: SearchRequest, territory: str | None = None) -> SearchResult:
        """The whole search at once (every lot, up to `request.limit` cards)."""
        running = self.start(request, territory)
        cards = [card async for page in running.pages() for card in page.cards]
        return SearchResult(running.header, cards)


def _kinds(filters: Filters) -> list[OfferKind] | None:
    """Which kinds the directory needs to return for the `type:` filter (CPTS cards stand for
    practitioners, so asking for `cpts` keeps them)."""
    if not filters.types:
        return None
    kinds = set()
    if filters.types & {"practitioner", "cpts"}:
        kinds.add(OfferKind.PRACTITIONER)
    if filters.types - {"practitioner"}:
        kinds.add(OfferKind.STRUCTURE)
    return sorted(kinds)


#: Candidates read from the directory per query after the first lot: a query ranks the whole
#: circle inside the index, so fewer, larger pages cost less than one page per lot.
PAGE_SIZE = 100


class LotFeed:
    """A search's lots after the preferred doctor's, read from the directory as they are needed:
    the first lot was read with the header, the next ones `PAGE_SIZE` candidates at a time.

    Each lot also says, for its offers, every place the search lists (`places`), and which of
    them comes first (`first_place`): a slot at a place the directory does not list goes there.
    """

    def __init__(self, source: CandidateSource, query: CandidateQuery, first: list[Ranked]) -> None:
        self.source = source
        self.query = query
        self.places: dict[str, set[str]] = {}
        self.first_place: dict[str, str] = {}
        self.first = first
        self._lots = lots_of(self._entries())

    def next_lot(self) -> list[Ranked] | None:
        """The next lot, or None when the directory has no more (reads the directory: call it
        off the event loop)."""
        lot = next(self._lots, None)
        if lot is None:
            return None
        new = {e.candidate.id for e in lot if e.candidate.id not in self.places}
        listed = self.source.places_in(self.query, new) if new else {}
        for entry in lot:
            offer = entry.candidate.id
            places = self.places.setdefault(offer, set(listed.get(offer, ())))
            places.add(entry.candidate.place_id)
            self.first_place.setdefault(offer, entry.candidate.place_id)
        return lot

    def _entries(self) -> Iterator[Ranked]:
        yield from self.first
        offset = len(self.first)
        if offset < LOT_SIZE:
            return
        while True:
            page = self.source.ranked(self.query, offset=offset, limit=PAGE_SIZE)
            yield from (ranked(candidate, self.query.center) for candidate in page)
            if len(page) < PAGE_SIZE:
                return
            offset += len(page)


@dataclass
class RunningSearch:
    """A search whose header is known and whose first lot is ranked; `pages()` loads them all."""

    service: SearchService
    request: SearchRequest
    header: SearchHeader
    window: SearchWindow
    preferred: list[Ranked]
    feed: LotFeed
    covering: dict[str, Card]
    availability: Availability | None = None
    _lots: list[list[Ranked]] = field(default_factory=list)
    _feed_done: bool = False
    _shown: set[tuple[str, str]] = field(default_factory=set)
    _shown_cpts: set[str] = field(default_factory=set)

    @property
    def first_lot(self) -> list[Ranked]:
        """The candidates of the first lot asked (the preferred doctor's places, if any)."""
        return self.preferred or next(lots_of(self.feed.first), [])

    async def _lot(self, index: int) -> list[Ranked] | None:
        """Lot `index` (0: the preferred doctor's when there is one), read when first needed."""
        if not self._lots and self.preferred:
            self._lots.append(self.preferred)
        while len(self._lots) <= index and not self._feed_done:
            lot = await asyncio.to_thread(self.feed.next_lot)
            if lot is None:
                self._feed_done = True
            else:
                self._lots.append(lot)
        return self._lots[index] if index < len(self._lots) else None

    async def pages(self) -> AsyncIterator[SearchPage]:
        """Each lot's cards as soon as its vendors have answered (the preferred doctor's places
        first, as lot 0 when there are any), while the next lots load. Iterate it once.

        A caller that stops early (a web page closed) should close the iterator
        (`contextlib.aclosing`): the lots still loading are then cancelled and the adapters
        released at once, not when the event loop ends.
        """
        service = self.service
        adapters, unusable = _build_adapters(service, self.header.territory)
        self.availability = Availability(
            host=service.host,
            territory=self.header.territory,
            window=self.window,
            adapters=adapters,
            unusable=unusable,
            cache=service.cache,
            breaker=service.breaker,
            fresh=self.request.fresh,
            clock=service.clock,
        )
        first = 0 if self.preferred else 1
        ahead = service.settings.lots_in_flight
        tasks: dict[int, asyncio.Task[Mapping[tuple[str | None, str], AgendaAnswer]]] = {}
        lots: dict[int, list[Ranked]] = {}
        left = self.request.limit
        index = 0
        try:
            while True:
                # The first lot is asked alone: its answers are not parsed in competition with
                # later lots' (the first page waits only for its own vendors); the next lots
                # then load ahead while each page is shown.
                reach = 1 if index == 0 else ahead
                for upcoming in range(index, index + reach):
                    if upcoming in tasks:
                        continue
                    lot = await self._lot(upcoming)
                    if lot is None:
                        break
                    lots[upcoming] = lot
                    tasks[upcoming] = asyncio.create_task(self.availability.answers(lot))
                if index not in tasks:
                    break
                answers = await tasks.pop(index)
                cards = self._cards(
                    lots.pop(index),
                    answers,
                    lot=index + first,
                    preferred=index == 0 and bool(self.preferred),
                )
                if left is not None:
                    cards = cards[:left]
                    left -= len(cards)
                yield SearchPage(lot=index + first, cards=cards)
                if left is not None and left <= 0:
                    break
                index += 1
        finally:
            for task in tasks.values():
                task.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
            for config in adapters.values():
                await service.host.close_adapter(config)

    def _cards(
        self,
        entries: Sequence[Ranked],
        answers: Mapping[tuple[str | None, str], AgendaAnswer],
        *,
        lot: int,
        preferred: bool,
    ) -> list[Card]:
        now = self.service.clock()
        cards = []
        for entry in entries:
            answer = answers[entry.candidate.adapter, entry.candidate.id]
            slots = self._slots_at(entry, answer, now)
            cards.append(_card(entry, answer, slots, lot=lot, now=now))
        if preferred:
            return [c.model_copy(update={"preferred": True}) for c in self._fresh(cards)]
        cards = collapse_cpts(partition(cards), self.covering, self._shown_cpts)
        by_key = {e.key: e.candidate for e in entries}
        return self._fresh(
            c for c in cards if _passes(c, by_key.get((c.id, c.place_id)), self.request.filters)
        )

    def _fresh(self, cards: Iterable[Card]) -> list[Card]:
        """The cards not shown yet (a place appears once in a search)."""
        kept = []
        for card in cards:
            key = (card.id, card.place_id)
            if key not in self._shown:
                self._shown.add(key)
                kept.append(card)
        return kept

    def _slots_at(self, entry: Ranked, answer: AgendaAnswer, now: datetime) -> list[Slot]:
        """The agenda's slots at this card's place, to come and within the window, once each.

        A slot at a place the directory does not list for this offer (a vendor knows a place
        the directory lacks, digest §2.7 `create`) goes to the offer's first place here.
        """
        c = entry.candidate
        if entry.candidate.id in self.feed.places:
            places = self.feed.places[c.id]
            first_place = self.feed.first_place[c.id]
        else:
            listed = [r.candidate.place_id for r in self.preferred if r.candidate.id == c.id]
            places, first_place = set(listed), listed[0] if listed else c.place_id
        by_place = _by_place(answer)
        here = by_place.get(c.place_id, [])
        strays = [p for p in by_place if p not in places]
        if strays and first_place == c.place_id:
            here = _once_each([s for p in (c.place_id, *strays) for s in by_place.get(p, [])])
        starts = [s.start for s in here]
        first = bisect.bisect_left(starts, now)
        last = bisect.bisect_right(starts, self.header.window_end)
        return here[first:last]


#: An answer's slots by place id (None: a slot naming no place), each list sorted and without
#: repeats, made once per answer: every card of the agenda reads it, and a cached answer serves
#: many searches.
_PLACES_OF_ANSWER: weakref.WeakKeyDictionary[AgendaAnswer, dict[str | None, list[Slot]]] = (
    weakref.WeakKeyDictionary()
)


def _by_place(answer: AgendaAnswer) -> dict[str | None, list[Slot]]:
    found = _PLACES_OF_ANSWER.get(answer)
    if found is None:
        grouped: dict[str | None, list[Slot]] = {}
        for slot in answer.slots:
            grouped.setdefault(slot.place.id if slot.place else None, []).append(slot)
        found = {place: _once_each(slots) for place, slots in grouped.items()}
        _PLACES_OF_ANSWER[answer] = found
    return found


def _once_each(slots: Iterable[Slot]) -> list[Slot]:
    """Slots by start, one per (start, end): a slot visible to two CPTS comes back twice."""
    kept: dict[tuple[datetime, datetime], Slot] = {}
    for slot in sorted(slots, key=lambda s: (s.start, s.end, s.id)):
        kept.setdefault((slot.start, slot.end), slot)
    return list(kept.values())


def _build_adapters(
    service: SearchService, territory: str
) -> tuple[dict[str, AdapterConfig], dict[str, str]]:
    """The territory's live adapters built for this search, and those that cannot be, with why."""
    built: dict[str, AdapterConfig] = {}
    unusable: dict[str, str] = {}
    for live in service.adapters.live(territory):
        if live.settings is None:
            unusable[live.name] = live.error or "its settings cannot be resolved"
            continue
        try:
            built[live.name] = service.host.adapter(
                live.plugin, live.settings, name=live.name, timeout_s=live.timeout_s
            )
        except PluginError as exc:
            unusable[live.name] = str(exc)
    return built, unusable


def _card(
    entry: Ranked,
    answer: AgendaAnswer,
    slots: list[Slot],
    *,
    lot: int,
    now: datetime | None,
) -> Card:
    """The card of one candidate: its slots here, and the status that says why it has none."""
    c = entry.candidate
    status: CardStatus
    if slots:
        status = "slots"
    elif answer.kind == "ok":
        status = "no-slot"
    elif answer.kind == "skipped":
        status = "circuit-open"
    elif answer.kind == "error":
        status = "vendor-error"
    else:
        status = "not-connected"
    practitioner = c.kind is OfferKind.PRACTITIONER
    return Card(
        kind=c.kind,
        id=c.id,
        place_id=c.place_id,
        type="practitioner" if practitioner else (c.structure_kind or "structure"),
        lat=c.latitude,
        lon=c.longitude,
        distance_km=entry.distance_km,
        participates=c.participates,
        status=status,
        cause=None if status in ("slots", "no-slot") else answer.cause,
        adapter=c.adapter,
        fetched_at=answer.fetched_at,
        slots=slots,
        available_within=_buckets(slots, now) if now is not None else [],
        surnumeraire=c.surnumeraire,
        marketplace_url=c.marketplace_url if c.surnumeraire else None,
        cpts=c.cpts,
        lot=lot,
    )


def _buckets(slots: Sequence[Slot], now: datetime) -> list[str]:
    """Digest §2.7 step 5: every "available within" bucket some slot's [start, end] overlaps.

    `slots` are sorted by start: a bucket [begin, finish) is met by one of the slots starting
    before `finish`, most likely the last of them, so they are tried from there.
    """
    starts = [s.start for s in slots]
    found = []
    for name, (low, high) in AVAILABILITY_BUCKETS.items():
        begin, finish = now + timedelta(hours=low), now + timedelta(hours=high)
        before = bisect.bisect_left(starts, finish)
        if any(slot.end > begin for slot in reversed(slots[:before])):
            found.append(name)
    return found


def _passes(card: Card, candidate: OfferCandidate | None, filters: Filters) -> bool:
    """Digest §2.9: union inside a category, intersection across them."""
    if filters.with_slots and card.status != "slots":
        return False
    if filters.available_within and not filters.available_within & set(card.available_within):
        return False
    if filters.types and card.type not in filters.types:
        return False
    if filters.modalities:
        offered = {m for s in card.slots for m in s.modalities}
        if not card.slots and candidate is not None:
            declared = {str(m) for m in candidate.modalities}
            offered = {m for n, m in MODALITY_NAMES.items() if n in declared or m in declared}
        if not filters.modalities & offered:
            return False
    return True
