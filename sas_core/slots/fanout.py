"""Fan-out of a slot search to every adapter, each cut at its own deadline.

The platform asks every interfaced vendor at once and waits for none longer than its timeout
(digest §4.1, §12): the wall time of a search is that of the slowest vendor that answers in time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sas_core.plugins.host import PluginError, PluginHost, resolve
from sas_core.plugins.models import AdapterConfig, UseCase
from sas_core.registry.circuit import Admission, CallSample, CircuitBreaker
from sas_core.slots.models import (
    MAX_PRACTITIONERS_PER_QUERY,
    MAX_STRUCTURES_PER_QUERY,
    AdapterOutcome,
    AdapterStatus,
    SearchWindow,
    Slot,
    SlotBatch,
    SlotQuery,
    SourceOutcome,
)
from sas_core.storage import record_fetch

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

#: Called as lots finish: (adapter name, lots done for it, lots in all for it).
ProgressCallback = Callable[[str, int, int], None]


@dataclass
class AggregatedSlots:
    """Every adapter's slots, sorted by start, one outcome per adapter, and what was asked."""

    slots: list[Slot] = field(default_factory=list)
    outcomes: list[AdapterOutcome] = field(default_factory=list)
    window: SearchWindow | None = None
    practitioners: tuple[str, ...] = ()
    structures: tuple[str, ...] = ()
    plugins: dict[str, str] = field(default_factory=dict)
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def all_failed(self) -> bool:
        """No adapter answered: each failed or was skipped."""
        return bool(self.outcomes) and all(o.status != "ok" for o in self.outcomes)

    def record(self, engine: Engine, kind: str) -> int:
        """Store this fan-out as one run (one transaction) and return the run's id."""
        if self.window is None or self.started_at is None or self.finished_at is None:
            raise ValueError("only a fan-out made by collect_slots can be recorded")
        return record_fetch(
            engine,
            kind=kind,
            window=self.window,
            practitioners=self.practitioners,
            structures=self.structures,
            outcomes=self.outcomes,
            slots=self.slots,
            plugins=self.plugins,
            started_at=self.started_at,
            finished_at=self.finished_at,
        )


def split_into_lots(ids: Sequence[str], size: int) -> list[tuple[str, ...]]:
    """Cut `ids` into lots of at most `size`, keeping order and dropping duplicates."""
    unique = list(dict.fromkeys(ids))
    return [tuple(unique[i : i + size]) for i in range(0, len(unique), size)]


def build_queries(
    window: SearchWindow, practitioners: Sequence[str] = (), structures: Sequence[str] = ()
) -> list[SlotQuery]:
    """The queries one adapter receives: practitioners by 25, structures by 10."""
    queries = [
        SlotQuery(window=window, practitioners=lot)
        for lot in split_into_lots(practitioners, MAX_PRACTITIONERS_PER_QUERY)
    ]
    queries += [
        SlotQuery(window=window, structures=lot)
        for lot in split_into_lots(structures, MAX_STRUCTURES_PER_QUERY)
    ]
    return queries


async def fetch_lot(host: PluginHost, adapter: AdapterConfig, query: SlotQuery) -> SlotBatch:
    """Ask one adapter for one lot; whatever goes wrong becomes an error outcome.

    The deadline is enforced here as well as in the adapter, so a plugin that forgets to bound
    its own I/O still cannot hold a search past `adapter.timeout_s`.
    """
    started = time.perf_counter()

    def failed(reason: str) -> SlotBatch:
        elapsed = (time.perf_counter() - started) * 1000
        return SlotBatch(outcome=SourceOutcome(status="error", error=reason, duration_ms=elapsed))

    try:
        async with asyncio.timeout(adapter.timeout_s):
            answers = host.hooks.sas_fetch_slots(adapter, query)
            batches: list[SlotBatch | None] = [await resolve(a) for a in answers]
    except TimeoutError:
        return failed(f"no answer within the {adapter.timeout_s:g} s deadline")
    except Exception as exc:
        return failed(f"{type(exc).__name__}: {exc}")
    answered = [b for b in batches if b is not None]
    if not answered:
        return failed(f"plugin {adapter.plugin!r} does not implement slot fetching")
    if len(answered) == 1:
        return answered[0]
    return SlotBatch(
        slots=[s for b in answered for s in b.slots],
        outcome=_combine([b.outcome for b in answered]),
    )


def _combine(outcomes: Sequence[SourceOutcome]) -> SourceOutcome:
    merged = AdapterOutcome.merge("", outcomes, max(o.duration_ms for o in outcomes))
    return SourceOutcome(
        status=merged.status,
        error=merged.error,
        duration_ms=merged.duration_ms,
        slot_count=merged.slot_count,
        issues=merged.issues,
    )


#: Use cases whose sources are searched by practitioner (INT_R01, INT_R04) or by structure (SOS).
BY_PRACTITIONER = frozenset({UseCase.PS_INDIVIDUAL, UseCase.CPTS})
BY_STRUCTURE = frozenset({UseCase.SOS_MEDECINS})


def lots_for(
    host: PluginHost,
    adapter: AdapterConfig,
    practitioner_lots: Sequence[SlotQuery],
    structure_lots: Sequence[SlotQuery],
) -> list[SlotQuery] | str:
    """The lots `adapter` should receive, or why it receives none.

    An SOS Médecins source is searched by association and an individual or CPTS source by
    practitioner (digest §4–6), so a search naming both kinds reaches each source with the kind
    it serves. A plugin that declares no use case receives every lot.
    """
    use_cases = set(host.get(adapter.plugin).use_cases)
    wanted: list[SlotQuery] = []
    if not use_cases or use_cases & BY_PRACTITIONER:
        wanted += practitioner_lots
    if not use_cases or use_cases & BY_STRUCTURE:
        wanted += structure_lots
    if wanted or not (practitioner_lots or structure_lots):
        return wanted
    asked = "practitioners" if practitioner_lots else "structures"
    served = ", ".join(sorted(use_cases))
    return f"plugin {adapter.plugin!r} does not search by {asked} (its use cases: {served})"


def takes_part(host: PluginHost, plugin: str, *, practitioners: bool, structures: bool) -> bool:
    """Whether `plugin`'s adapters have lots to receive in a search naming practitioners and/or
    structures (the routing of `lots_for`), so a search by territory asks only those."""
    use_cases = set(host.get(plugin).use_cases)
    if not use_cases:
        return True
    return (practitioners and bool(use_cases & BY_PRACTITIONER)) or (
        structures and bool(use_cases & BY_STRUCTURE)
    )


async def fetch_slots(
    host: PluginHost,
    adapters: Sequence[AdapterConfig],
    window: SearchWindow,
    *,
    practitioners: Sequence[str] = (),
    structures: Sequence[str] = (),
    on_progress: ProgressCallback | None = None,
    territory: str | None = None,
    breaker: CircuitBreaker | None = None,
) -> AggregatedSlots:
    """Fetch slots of `practitioners`/`structures` from every adapter, all lots concurrently.

    Each adapter gets only the lots its plugin's use cases call for (see `lots_for`). With the
    `territory` searched and a `breaker`, an adapter whose circuit is open there is not called
    (outcome `skipped`, the `error` saying why) and every call counts towards its health. A
    search naming no territory (adapters given on the command line) has no circuit to consult.
    """
    practitioner_lots = build_queries(window, practitioners=practitioners)
    structure_lots = build_queries(window, structures=structures)
    planned = [lots_for(host, adapter, practitioner_lots, structure_lots) for adapter in adapters]
    gate = _Gate(breaker, territory) if breaker is not None and territory is not None else None
    to_call = [a.name for a, q in zip(adapters, planned, strict=True) if isinstance(q, list) and q]
    admissions = await gate.admit(to_call) if gate is not None else {}

    async def run_adapter(
        adapter: AdapterConfig, queries: list[SlotQuery] | str
    ) -> tuple[list[Slot], AdapterOutcome]:
        started = time.perf_counter()
        done = 0
        admitted = admissions.get(adapter.name)
        if isinstance(queries, str):
            return [], _not_called(adapter.name, "error", queries)
        if admitted is not None and not admitted.allowed:
            return [], _not_called(adapter.name, "skipped", admitted.reason)

        async def run_lot(query: SlotQuery) -> SlotBatch:
            nonlocal done
            batch = await fetch_lot(host, adapter, query)
            done += 1
            if on_progress is not None:
                on_progress(adapter.name, done, len(queries))
            return batch

        batches = await asyncio.gather(*(run_lot(q) for q in queries))
        wall_ms = (time.perf_counter() - started) * 1000
        outcome = AdapterOutcome.merge(adapter.name, [b.outcome for b in batches], wall_ms)
        return [s for b in batches for s in b.slots], outcome

    results = await asyncio.gather(
        *(run_adapter(a, q) for a, q in zip(adapters, planned, strict=True))
    )
    outcomes = [r[1] for r in results]
    if gate is not None:
        await gate.record(
            [
                CallSample(
                    adapter=o.adapter,
                    ok=o.status == "ok",
                    duration_ms=o.duration_ms,
                    error=o.error,
                    trial=admissions[o.adapter].trial,
                )
                for o in outcomes
                if o.adapter in admissions and o.status != "skipped"
            ]
        )
    slots = sorted((s for r in results for s in r[0]), key=lambda s: (s.start, s.adapter, s.id))
    return AggregatedSlots(slots=slots, outcomes=outcomes)


def _not_called(adapter: str, status: AdapterStatus, error: str | None) -> AdapterOutcome:
    return AdapterOutcome(
        adapter=adapter, status=status, error=error, duration_ms=0.0, requests=0, slot_count=0
    )


@dataclass(frozen=True)
class _Gate:
    """The breaker of one territory's search. A breaker that fails (its database unreachable)
    lets every adapter be called and loses the counts: health must never cost a search."""

    breaker: CircuitBreaker
    territory: str

    async def admit(self, names: Sequence[str]) -> Mapping[str, Admission]:
        try:
            return await self.breaker.admit(self.territory, names)
        except Exception:
            log.exception(
                "circuit breaker unavailable: calling every adapter of %s", self.territory
            )
            return {}

    async def record(self, samples: Sequence[CallSample]) -> None:
        try:
            await self.breaker.record(self.territory, samples)
        except Exception:
            log.exception("circuit breaker unavailable: %d call(s) not counted", len(samples))


@dataclass(frozen=True)
class AdapterRequest:
    """An adapter to include in a fan-out, before its settings have been validated."""

    plugin: str
    settings: dict[str, object] = field(default_factory=dict)
    name: str | None = None
    timeout_s: float | None = None

    @property
    def label(self) -> str:
        return self.name or self.plugin


async def collect_slots(
    host: PluginHost,
    requests: Sequence[AdapterRequest | AdapterConfig],
    window: SearchWindow,
    *,
    practitioners: Sequence[str] = (),
    structures: Sequence[str] = (),
    on_progress: ProgressCallback | None = None,
    territory: str | None = None,
    breaker: CircuitBreaker | None = None,
) -> AggregatedSlots:
    """Build each adapter, fan out, and release the adapters' resources afterwards.

    An adapter that cannot be built (unknown plugin, invalid settings) becomes an error outcome
    of its own; the others still run. An `AdapterConfig` (a territory's adapter, its settings
    validated when the directory was loaded) is used as it is. `territory` and `breaker`: see
    `fetch_slots`.
    """
    adapters: list[AdapterConfig] = []
    refused: list[AdapterOutcome] = []
    for request in requests:
        if isinstance(request, AdapterConfig):
            adapters.append(request)
            continue
        try:
            kwargs = {} if request.timeout_s is None else {"timeout_s": request.timeout_s}
            adapters.append(
                host.adapter(request.plugin, request.settings, name=request.label, **kwargs)
            )
        except PluginError as exc:
            refused.append(
                AdapterOutcome(
                    adapter=request.label,
                    status="error",
                    error=str(exc),
                    duration_ms=0.0,
                    requests=0,
                    slot_count=0,
                )
            )
    started_at = datetime.now(UTC)
    try:
        result = await fetch_slots(
            host,
            adapters,
            window,
            practitioners=practitioners,
            structures=structures,
            on_progress=on_progress,
            territory=territory,
            breaker=breaker,
        )
    finally:
        for adapter in adapters:
            await host.close_adapter(adapter)
    labels = [r.name if isinstance(r, AdapterConfig) else r.label for r in requests]
    order = {label: i for i, label in enumerate(labels)}
    result.outcomes = sorted(result.outcomes + refused, key=lambda o: order.get(o.adapter, 0))
    result.window = window
    result.practitioners = tuple(practitioners)
    result.structures = tuple(structures)
    result.plugins = {label: r.plugin for label, r in zip(labels, requests, strict=True)}
    result.started_at = started_at
    result.finished_at = datetime.now(UTC)
    return result
