"""What the territory registry holds: declared adapters, their state in each territory, and the
changes made to them.

An adapter is declared once (its plugin and settings, secrets only by reference), so its name —
the key of its regulators' accounts — always means one vendor endpoint. Each (territory,
adapter) pair then has an `Assignment`: whether the adapter is enabled there, and where it is in
its lifecycle. Every edit is a list of `Change`s, computed against the current registry before
anything is written, so an edit that breaks a rule changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal


class AdapterState(StrEnum):
    """Where an adapter stands in a territory (the connection process of an éditeur)."""

    ONBOARDING = "onboarding"
    CONNECTED_TEST = "connected-test"
    PRODUCTION = "production"
    SUSPENDED = "suspended"


#: The lifecycle, in order. A suspended adapter goes back to the state it was suspended from or
#: an earlier one, never further: a suspension cannot be used to skip the test stage.
LIFECYCLE = (AdapterState.ONBOARDING, AdapterState.CONNECTED_TEST, AdapterState.PRODUCTION)
#: The states in which the platform calls the adapter (slot searches, regulator accounts).
LIVE_STATES = frozenset({AdapterState.CONNECTED_TEST, AdapterState.PRODUCTION})
#: The state of an adapter newly enabled in a territory.
INITIAL_STATE = AdapterState.ONBOARDING

_MOVES: dict[AdapterState, tuple[AdapterState, ...]] = {
    AdapterState.ONBOARDING: (AdapterState.CONNECTED_TEST, AdapterState.SUSPENDED),
    # Back to onboarding when the tests show the set-up must be redone.
    AdapterState.CONNECTED_TEST: (
        AdapterState.PRODUCTION,
        AdapterState.ONBOARDING,
        AdapterState.SUSPENDED,
    ),
    AdapterState.PRODUCTION: (AdapterState.SUSPENDED,),
}


class RegistryError(Exception):
    """Base of the registry's refusals; the message names the value and the rule."""


class RegistryInputError(RegistryError, ValueError):
    """A value the registry refuses: unknown territory, adapter or plugin, settings failing the
    plugin's schema, a secret written in clear."""


class RegistryStateError(RegistryError):
    """An operation the registry's current state forbids (an illegal state transition)."""


class RegistryFileError(RegistryError):
    """A registry document refused as a whole; `problems` names each entry, field and reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class DeclaredAdapter:
    """An adapter as declared: `settings` as stored, each secret as its reference."""

    name: str
    plugin: str
    timeout_s: float
    settings: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"plugin": self.plugin, "timeout_s": self.timeout_s, "settings": dict(self.settings)}


@dataclass(frozen=True)
class Assignment:
    """An adapter in a territory: enabled or not, and its lifecycle state there.

    `suspended_from` is the state a suspended adapter was in, the furthest it may go back to.
    """

    territory: str
    adapter: str
    enabled: bool
    state: AdapterState
    suspended_from: AdapterState | None = None

    @property
    def live(self) -> bool:
        """Whether the platform calls this adapter in this territory."""
        return self.enabled and self.state in LIVE_STATES

    def allowed_moves(self) -> tuple[AdapterState, ...]:
        if self.state is AdapterState.SUSPENDED:
            assert self.suspended_from is not None
            return LIFECYCLE[: LIFECYCLE.index(self.suspended_from) + 1]
        return _MOVES[self.state]

    def moved_to(self, state: AdapterState) -> Assignment:
        """This assignment in `state`, or RegistryStateError naming the transition and the rule.

        Staying in the same state is no move (and no error).
        """
        if state is self.state:
            return self
        allowed = self.allowed_moves()
        if state not in allowed:
            raise RegistryStateError(
                f"{self.territory} {self.adapter}: {self.state} → {state} is not allowed; "
                f"from {self._where()} it can go to {', '.join(allowed)} "
                f"(lifecycle: {' → '.join(LIFECYCLE)}, suspended from any, and back from "
                "suspended to the state it was suspended from or an earlier one)"
            )
        if state is AdapterState.SUSPENDED:
            return replace(self, state=state, suspended_from=self.state)
        return replace(self, state=state, suspended_from=None)

    def _where(self) -> str:
        if self.state is AdapterState.SUSPENDED:
            return f"suspended (from {self.suspended_from})"
        return str(self.state)

    def as_dict(self) -> dict[str, Any]:
        """The audit trail's before/after of an assignment."""
        return {
            "enabled": self.enabled,
            "state": str(self.state),
            "suspended_from": None if self.suspended_from is None else str(self.suspended_from),
        }


@dataclass(frozen=True)
class Registry:
    """The whole registry at one moment: declared adapters and every assignment."""

    adapters: Mapping[str, DeclaredAdapter] = field(default_factory=dict)
    assignments: Mapping[tuple[str, str], Assignment] = field(default_factory=dict)

    def in_territory(self, territory: str) -> list[Assignment]:
        """The assignments of `territory`, by adapter name."""
        return sorted(
            (a for (t, _), a in self.assignments.items() if t == territory),
            key=lambda a: a.adapter,
        )


@dataclass(frozen=True)
class AdapterChange:
    """An adapter declared (`before` None) or its plugin, timeout or settings changed."""

    before: DeclaredAdapter | None
    after: DeclaredAdapter

    @property
    def territory(self) -> str | None:
        """An adapter's declaration belongs to no one territory."""
        return None

    @property
    def adapter(self) -> str:
        return self.after.name

    @property
    def action(self) -> str:
        return "declare" if self.before is None else "update"

    def describe(self) -> str:
        """One line of a diff; settings show as stored, so secrets only by reference."""
        after = self.after
        if self.before is None:
            settings = ", ".join(f"{k}={_shown(v)}" for k, v in sorted(after.settings.items()))
            return (
                f"+ adapter {after.name}: plugin {after.plugin}, timeout {after.timeout_s:g} s"
                + (f", {settings}" if settings else "")
            )
        before = self.before
        parts = []
        if before.timeout_s != after.timeout_s:
            parts.append(f"timeout {before.timeout_s:g} s → {after.timeout_s:g} s")
        for key in sorted(set(before.settings) | set(after.settings)):
            old, new = before.settings.get(key), after.settings.get(key)
            if old == new:
                continue
            if key not in after.settings:
                parts.append(f"{key} unset (was {_shown(old)})")
            elif key not in before.settings:
                parts.append(f"{key}={_shown(new)}")
            else:
                parts.append(f"{key} {_shown(old)} → {_shown(new)}")
        return f"~ adapter {after.name}: " + "; ".join(parts)

    def audit_before(self) -> dict[str, Any] | None:
        return None if self.before is None else self.before.as_dict()

    def audit_after(self) -> dict[str, Any]:
        return self.after.as_dict()


@dataclass(frozen=True)
class AssignmentChange:
    """An adapter enabled, disabled or moved in a territory (`before` None: first time there)."""

    before: Assignment | None
    after: Assignment

    @property
    def territory(self) -> str:
        return self.after.territory

    @property
    def adapter(self) -> str:
        return self.after.adapter

    @property
    def action(self) -> str:
        """`enable`, `disable`, `state`, or `change` when several things change at once."""
        before, after = self.before, self.after
        if before is None:
            return "enable" if after.enabled else "change"
        moved = (before.state, before.suspended_from) != (after.state, after.suspended_from)
        if before.enabled != after.enabled:
            return "change" if moved else ("enable" if after.enabled else "disable")
        return "state"

    def describe(self) -> str:
        after = self.after
        where = f"{after.territory} {after.adapter}"
        state = str(after.state)
        if after.suspended_from is not None:
            state += f" (from {after.suspended_from})"
        if self.before is None:
            return f"+ {where}: {'enabled' if after.enabled else 'disabled'}, {state}"
        parts = []
        if self.before.enabled != after.enabled:
            parts.append("enabled" if after.enabled else "disabled")
        if (self.before.state, self.before.suspended_from) != (after.state, after.suspended_from):
            parts.append(f"state {self.before.state} → {state}")
        return f"~ {where}: " + "; ".join(parts)

    def audit_before(self) -> dict[str, Any] | None:
        return None if self.before is None else self.before.as_dict()

    def audit_after(self) -> dict[str, Any]:
        return self.after.as_dict()


Change = AdapterChange | AssignmentChange


@dataclass(frozen=True)
class AuditEntry:
    """One change as the audit trail keeps it: who, when, what (before/after), why.

    Before and after hold settings as stored — a secret only ever as its reference.
    """

    at: datetime
    actor: str
    action: str
    territory: str | None
    adapter: str | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    reason: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "territory": self.territory,
            "adapter": self.adapter,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class TerritoryView:
    """A territory and its adapters, as `sas registry list`/`show` print it."""

    code: str
    name: str
    adapters: list[Assignment]

    def as_dict(self) -> dict[str, Any]:
        """The public contract: `code`, `name`, `adapters` of `{name, state, enabled}`."""
        return {
            "code": self.code,
            "name": self.name,
            "adapters": [
                {"name": a.adapter, "state": str(a.state), "enabled": a.enabled}
                for a in self.adapters
            ],
        }


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


# The circuit breaker of each (territory, adapter): its records. The rules that move them are
# `sas_core.registry.circuit`'s; the database keeps them (`sas_core.storage.health`).

CircuitState = Literal["closed", "open", "half-open"]
CIRCUIT_STATES: tuple[CircuitState, ...] = ("closed", "open", "half-open")

#: The issue's ceiling: a circuit opens after at most 5 consecutive failures.
MAX_FAILURE_THRESHOLD = 5


@dataclass(frozen=True)
class BreakerPolicy:
    """When circuits open and when they are tried again.

    `cooldown` (60 s by default): a vendor that is down is asked at most once a minute per
    territory, and one that came back is searched again within a minute of the next search or
    health probe. `trial_lease` outlasts any adapter's deadline (at most 60 s).
    """

    failure_threshold: int = MAX_FAILURE_THRESHOLD
    cooldown: timedelta = timedelta(seconds=60)
    trial_lease: timedelta = timedelta(minutes=2)

    def __post_init__(self) -> None:
        if not 1 <= self.failure_threshold <= MAX_FAILURE_THRESHOLD:
            raise ValueError(f"failure_threshold must be in 1..{MAX_FAILURE_THRESHOLD}")
        if self.cooldown <= timedelta(0) or self.trial_lease <= timedelta(0):
            raise ValueError("cooldown and trial_lease must be positive")


@dataclass(frozen=True)
class Circuit:
    """The state of one (territory, adapter)'s circuit, as stored.

    `recent` holds the last searches (`circuit.RECENT_SPAN`), oldest first: `1` succeeded, `0`
    failed.
    """

    state: CircuitState = "closed"
    consecutive_failures: int = 0
    opened_at: datetime | None = None
    trial_started_at: datetime | None = None
    recent: str = ""
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_call_at: datetime | None = None

    def next_trial_at(self, policy: BreakerPolicy) -> datetime | None:
        """When an open circuit may be tried (None when it is not open)."""
        if self.state != "open" or self.opened_at is None:
            return None
        return self.opened_at + policy.cooldown

    @property
    def success_ratio(self) -> float | None:
        """Share of the last searches (up to 20) that succeeded; None before the first."""
        if not self.recent:
            return None
        return self.recent.count("1") / len(self.recent)


@dataclass(frozen=True)
class Admission:
    """Whether a search may call an adapter; `trial` when this call is the half-open trial."""

    adapter: str
    allowed: bool
    trial: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class CallSample:
    """How one search went at one adapter: what the fan-out reports to the breaker."""

    adapter: str
    ok: bool
    duration_ms: float
    error: str | None = None
    trial: bool = False


@dataclass(frozen=True)
class SearchRadius:
    """A territory's own search radii, over ANS's table (search digest §2.3: "a per-territory
    default that administrators can customise"); None keeps the table's figure."""

    territory: str
    city_radius_km: float | None = None
    county_radius_km: float | None = None
