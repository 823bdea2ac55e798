"""Live availability of one lot: each agenda asked of the adapter that holds it, through its
circuit, at most once per agenda per cache TTL, and an answer for every agenda.

Digest §2.6: the official front asks the aggregator for a lot of 25 at once and renders
whatever comes back; here the lot is split by the registry adapter holding each agenda, every
adapter of the lot is asked concurrently (`sas_core.slots.fanout.fetch_slots`, which enforces
the deadline, routes practitioners and SOS associations, and skips an open circuit), and each
agenda gets an `AgendaAnswer` saying what happened to it — never a silent empty list.

The cache is in-process (one dictionary per platform process, shared by its searches): enough
for `sas serve` and the bench; several instances would each ask once per TTL (a shared cache,
Redis, would make it once per cluster).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from sas_core.offer.models import OfferKind, StructureKind
from sas_core.plugins.host import PluginHost
from sas_core.plugins.models import AdapterConfig
from sas_core.registry.circuit import CircuitBreaker
from sas_core.search.ranking import Ranked
from sas_core.slots.fanout import fetch_slots
from sas_core.slots.models import SearchWindow, Slot

Clock = Callable[[], datetime]

#: What became of one agenda: answered (`ok`, maybe with nothing free), the vendor failed
#: (`error`), its circuit is open (`skipped`), or no adapter called here holds it.
AnswerKind = Literal["ok", "error", "skipped", "not-connected"]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, eq=False)
class AgendaAnswer:
    """One agenda's slots (all its places) and how they were obtained."""

    kind: AnswerKind
    slots: tuple[Slot, ...] = ()
    fetched_at: datetime | None = None
    cause: str | None = None


#: (adapter, agenda id, window end): a cached answer is for one window.
CacheKey = tuple[str, str, datetime]


@dataclass
class SlotCache:
    """Vendors' answers per agenda, kept `ttl` (in-process; see the module's docstring)."""

    ttl: timedelta
    clock: Clock = utcnow
    _entries: dict[CacheKey, AgendaAnswer] = field(default_factory=dict)

    def get(self, key: CacheKey) -> AgendaAnswer | None:
        answer = self._entries.get(key)
        if answer is None or answer.fetched_at is None:
            return None
        if self.clock() - answer.fetched_at >= self.ttl:
            del self._entries[key]
            return None
        return answer

    def put(self, key: CacheKey, answer: AgendaAnswer) -> None:
        """Keep an answered agenda; failures are not kept (the next search asks again, and the
        circuit breaker decides whether the vendor is worth asking)."""
        if answer.kind == "ok":
            self._entries[key] = answer
        self._evict()

    def _evict(self) -> None:
        now = self.clock()
        expired = [
            k for k, a in self._entries.items() if a.fetched_at and now - a.fetched_at >= self.ttl
        ]
        for key in expired:
            del self._entries[key]


@dataclass
class Availability:
    """The answers of one search's agendas, lot after lot.

    `adapters` are the adapters called in the searched territory, built for this search;
    `unusable` those the registry enables there but that cannot be called now (a secret that
    does not resolve), with why. An agenda held by any other adapter is `not-connected` here.
    """

    host: PluginHost
    territory: str
    window: SearchWindow
    adapters: Mapping[str, AdapterConfig]
    unusable: Mapping[str, str]
    cache: SlotCache
    breaker: CircuitBreaker | None = None
    fresh: bool = False
    clock: Clock = utcnow
    _pending: dict[tuple[str, str], asyncio.Future[AgendaAnswer]] = field(default_factory=dict)

    async def answers(self, lot: Sequence[Ranked]) -> dict[tuple[str | None, str], AgendaAnswer]:
        """An answer for every agenda of the lot, keyed by (adapter, agenda id)."""
        wanted: dict[str, dict[str, bool]] = {}
        found: dict[tuple[str | None, str], AgendaAnswer] = {}
        for entry in lot:
            c = entry.candidate
            if c.adapter is None:
                found[None, c.id] = AgendaAnswer(
                    "not-connected", cause="no vendor holds this agenda: phone the practitioner"
                )
            elif c.kind is OfferKind.STRUCTURE and c.structure_kind != StructureKind.SOS:
                # The IG searches a CPTS through its members (INT_R04) and has no slot flow for
                # MSP or CDS: only an SOS association is asked as a structure.
                found[c.adapter, c.id] = AgendaAnswer(
                    "not-connected",
                    cause=f"a {c.structure_kind or 'structure'}'s slots are its practitioners': "
                    "no vendor is asked for the structure itself",
                )
            else:
                wanted.setdefault(c.adapter, {})[c.id] = c.kind is OfferKind.STRUCTURE
        asked = await asyncio.gather(
            *(self._adapter_answers(name, ids) for name, ids in wanted.items())
        )
        for name, answers in zip(wanted, asked, strict=True):
            for agenda, answer in answers.items():
                found[name, agenda] = answer
        return found

    async def _adapter_answers(self, name: str, ids: Mapping[str, bool]) -> dict[str, AgendaAnswer]:
        if name in self.unusable:
            return {i: AgendaAnswer("error", cause=self.unusable[name]) for i in ids}
        config = self.adapters.get(name)
        if config is None:
            cause = (
                f"its agenda is held by adapter {name!r}, which is not called in "
                f"{self.territory} (not enabled there in connected-test or production)"
            )
            return {i: AgendaAnswer("not-connected", cause=cause) for i in ids}
        answers: dict[str, AgendaAnswer] = {}
        waiting: dict[str, asyncio.Future[AgendaAnswer]] = {}
        to_ask: dict[str, bool] = {}
        for agenda, is_structure in ids.items():
            cached = None if self.fresh else self.cache.get(self._key(name, agenda))
            if cached is not None:
                answers[agenda] = cached
            elif (name, agenda) in self._pending:
                waiting[agenda] = self._pending[name, agenda]
            else:
                self._pending[name, agenda] = asyncio.get_running_loop().create_future()
                to_ask[agenda] = is_structure
        if to_ask:
            try:
                fetched = await self._ask(config, to_ask)
            except BaseException as exc:  # cancelled: whoever waits on these agendas is told
                for agenda in to_ask:
                    self._pending.pop((name, agenda)).set_exception(exc)
                raise
            for agenda, answer in fetched.items():
                self.cache.put(self._key(name, agenda), answer)
                self._pending.pop((name, agenda)).set_result(answer)
                answers[agenda] = answer
        for agenda, future in waiting.items():
            answers[agenda] = await future
        return answers

    async def _ask(self, config: AdapterConfig, ids: Mapping[str, bool]) -> dict[str, AgendaAnswer]:
        practitioners = [i for i, structure in ids.items() if not structure]
        structures = [i for i, structure in ids.items() if structure]
        result = await fetch_slots(
            self.host,
            [config],
            self.window,
            practitioners=practitioners,
            structures=structures,
            territory=self.territory,
            breaker=self.breaker,
        )
        fetched_at = self.clock()
        [outcome] = result.outcomes
        by_agenda: dict[str, list[Slot]] = {i: [] for i in ids}
        for slot in result.slots:
            # An SOS association's agenda is the slots of its sites (whoever is on duty); a
            # practitioner's is his slots, also those offered through a CPTS.
            if slot.structure is not None and ids.get(slot.structure):
                by_agenda[slot.structure].append(slot)
            elif slot.practitioner is not None and ids.get(slot.practitioner) is False:
                by_agenda[slot.practitioner].append(slot)
        if outcome.status == "ok":
            kind: AnswerKind = "ok"
        elif outcome.status == "skipped":
            kind = "skipped"
        else:
            kind = "error"
        return {
            agenda: AgendaAnswer(kind, tuple(slots), fetched_at, outcome.error)
            for agenda, slots in by_agenda.items()
        }

    def _key(self, adapter: str, agenda: str) -> CacheKey:
        return adapter, agenda, self.window.end
