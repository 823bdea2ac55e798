"""Health of each adapter in each territory: the circuit breaker searches go through, and the
figures `sas registry health` shows.

`DatabaseHealth` is the `CircuitBreaker` the fan-out is given when it searches a territory: the
circuits and the calls they counted live in the database (`sas_core.storage.health` says why),
so they survive a restart and every instance shares them. The rules are
`sas_core.registry.circuit`'s; the settings (`SAS_HEALTH_*`) are `HealthSettings`.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import Engine

from sas_core.identifiers import parse_rpps, parse_siret
from sas_core.registry.circuit import (
    MAX_FAILURE_THRESHOLD,
    Admission,
    BreakerPolicy,
    CallSample,
    Circuit,
    admission,
    after_call,
    claim_trial,
)
from sas_core.storage.health import (
    HealthWindow,
    change_circuit,
    health_windows,
    read_circuits,
    record_calls,
)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class HealthSettings(BaseSettings):
    """The circuit breaker's thresholds and the span of the health figures (`SAS_HEALTH_*`).

    Each field's docstring is its description in the generated settings reference.
    """

    model_config = SettingsConfigDict(env_prefix="SAS_HEALTH_", use_attribute_docstrings=True)

    failure_threshold: int = Field(default=MAX_FAILURE_THRESHOLD, ge=1, le=MAX_FAILURE_THRESHOLD)
    """How many searches in a row must fail at an adapter in a territory to open its circuit
    (1–5): an open circuit is skipped without a request."""
    cooldown_s: float = Field(default=60.0, gt=0)
    """Seconds an open circuit waits before one trial call (a search or the health probe) may
    try the adapter again; the trial's success closes it, its failure opens it again."""
    window_s: float = Field(default=900.0, gt=0)
    """The sliding window, in seconds, of the `calls`, `errors` and latency percentiles that
    `sas registry health` shows (15 minutes)."""
    probe_rpps: str = "810100050075"
    """Whom the health probe searches for, by RPPS: the IG's example practitioner, whom a
    vendor's test platform may well know (an unknown one is an empty, valid answer)."""
    probe_siret: str = "334173748400020"
    """Which SOS Médecins association the health probe searches for, by SIRET (the IG's
    example), at the adapters that serve associations."""

    @field_validator("probe_rpps")
    @classmethod
    def _rpps(cls, value: str) -> str:
        return parse_rpps(value).value

    @field_validator("probe_siret")
    @classmethod
    def _siret(cls, value: str) -> str:
        return parse_siret(value).value

    def policy(self) -> BreakerPolicy:
        return BreakerPolicy(
            failure_threshold=self.failure_threshold,
            cooldown=timedelta(seconds=self.cooldown_s),
        )

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.window_s)


class DatabaseHealth:
    """The circuit breaker of every platform instance on one database."""

    def __init__(
        self, engine: Engine, policy: BreakerPolicy | None = None, *, clock: Clock = utcnow
    ) -> None:
        self.engine = engine
        self.policy = policy or BreakerPolicy()
        self.clock = clock

    async def admit(self, territory: str, adapters: Sequence[str]) -> Mapping[str, Admission]:
        """Closed circuits cost one read; an open one whose cool-down is over is claimed for
        its trial under the row's lock, so one search (of any instance) makes the trial call."""
        return await asyncio.to_thread(self._admit, territory, adapters)

    def _admit(self, territory: str, adapters: Sequence[str]) -> dict[str, Admission]:
        now = self.clock()
        circuits = read_circuits(self.engine, territory, adapters) if adapters else {}
        verdicts: dict[str, Admission] = {}
        for name in adapters:
            verdict = admission(name, circuits.get(name), now, self.policy)
            if verdict is None:
                verdict = self._claim(territory, name, now)
            verdicts[name] = verdict
        return verdicts

    def _claim(self, territory: str, adapter: str, now: datetime) -> Admission:
        verdicts: list[Admission] = []

        def claim(circuit: Circuit) -> Circuit | None:
            verdict, claimed = claim_trial(adapter, circuit, now, self.policy)
            verdicts.append(verdict)
            return claimed

        change_circuit(self.engine, territory, adapter, claim)
        return verdicts[-1]

    async def record(self, territory: str, samples: Sequence[CallSample]) -> None:
        await asyncio.to_thread(self._record, territory, samples)

    def _record(self, territory: str, samples: Sequence[CallSample]) -> None:
        now = self.clock()

        def after(circuit: Circuit, sample: CallSample) -> Circuit:
            return after_call(circuit, sample, now, self.policy)

        record_calls(self.engine, territory, samples, after, now)


@dataclass(frozen=True)
class AdapterHealth:
    """One line of `sas registry health`."""

    territory: str
    adapter: str
    circuit: Circuit
    calls: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None
    next_trial_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        """The `--format json` element (a contract: `territory`, `adapter`, `circuit`, `calls`,
        `errors`, `p50_ms`, `p95_ms`, `last_error`; the other keys may grow)."""
        ratio = self.circuit.success_ratio
        return {
            "territory": self.territory,
            "adapter": self.adapter,
            "circuit": self.circuit.state,
            "calls": self.calls,
            "errors": self.errors,
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "last_error": self.circuit.last_error,
            "last_error_at": _iso(self.circuit.last_error_at),
            "success_ratio_20": None if ratio is None else round(ratio, 3),
            "consecutive_failures": self.circuit.consecutive_failures,
            "opened_at": _iso(self.circuit.opened_at),
            "next_trial_at": _iso(self.next_trial_at),
            "last_call_at": _iso(self.circuit.last_call_at),
        }


def health_report(
    engine: Engine,
    settings: HealthSettings | None = None,
    *,
    territory: str | None = None,
    adapter: str | None = None,
    now: datetime | None = None,
) -> list[AdapterHealth]:
    """Every (territory, adapter) that was ever called, with the figures of the sliding window."""
    settings = settings or HealthSettings()
    since = (now or utcnow()) - settings.window
    policy = settings.policy()
    return [
        _health_of(w, policy)
        for w in health_windows(engine, since, territory=territory, adapter=adapter)
    ]


def _health_of(window: HealthWindow, policy: BreakerPolicy) -> AdapterHealth:
    durations = sorted(window.durations_ms)
    return AdapterHealth(
        territory=window.territory,
        adapter=window.adapter,
        circuit=window.circuit,
        calls=len(durations),
        errors=window.errors,
        p50_ms=percentile(durations, 50),
        p95_ms=percentile(durations, 95),
        next_trial_at=window.circuit.next_trial_at(policy),
    )


def percentile(ordered: Sequence[float], rank: float) -> float | None:
    """Nearest-rank percentile of an ascending sequence: a latency some call actually had."""
    if not ordered:
        return None
    return round(ordered[max(math.ceil(rank / 100 * len(ordered)) - 1, 0)], 1)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
