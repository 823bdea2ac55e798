"""The circuit breaker of each (territory, adapter): when a search skips a vendor, and when it
tries it again.

A vendor that is down costs every search its whole deadline (7 s, digest §4.1) and a request
it cannot answer. After `failure_threshold` searches in a row failed at an adapter, its circuit
*opens*: searches skip it without a request. Once `cooldown` has passed, one search (or the
health probe) claims the single *trial* call — the circuit is then *half-open* and every other
search still skips the adapter; the trial's success closes the circuit, its failure opens it
for another cool-down. A trial whose caller died is given up after `trial_lease`.

Only consecutive failures open a circuit, not an error rate: a vendor that fails one search in
two still brings half of its slots, which a regulator would rather see; the rate is shown
(`success_ratio_20`) for an operator to act on.

The rules here are pure; the records they move (`Circuit`, `CallSample`, `Admission`,
`BreakerPolicy`) are in `sas_core.registry.models`; the state lives in the database
(`sas_core.storage.health`), which applies the rules under a row lock so that every platform
instance sees one circuit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol

# The records of a circuit are data (sas_core.registry.models), so that the storage layer can
# read and write them; the rules that move them are here.
from sas_core.registry.models import (
    CIRCUIT_STATES,
    MAX_FAILURE_THRESHOLD,
    Admission,
    BreakerPolicy,
    CallSample,
    Circuit,
    CircuitState,
)

__all__ = [
    "CIRCUIT_STATES",
    "MAX_ERROR_CHARS",
    "MAX_FAILURE_THRESHOLD",
    "RECENT_SPAN",
    "Admission",
    "BreakerPolicy",
    "CallSample",
    "Circuit",
    "CircuitBreaker",
    "CircuitState",
    "admission",
    "after_call",
    "claim_trial",
]

#: How many of the last searches `Circuit.recent` remembers (the success ratio's span).
RECENT_SPAN = 20
#: A failure's text is for an operator's eyes; a vendor's whole error page is not kept.
MAX_ERROR_CHARS = 500


class CircuitBreaker(Protocol):
    """What the fan-out needs: may it call these adapters, and how did the calls go.

    Given to `sas_core.slots.fanout.fetch_slots` with the territory searched;
    `sas_core.registry.health.DatabaseHealth` keeps the circuits in the database.
    """

    async def admit(self, territory: str, adapters: Sequence[str]) -> Mapping[str, Admission]:
        """One admission per adapter; a refused one says why (its circuit is open)."""
        ...

    async def record(self, territory: str, samples: Sequence[CallSample]) -> None:
        """Count the calls of one search (one sample per adapter called)."""
        ...


def admission(
    adapter: str, circuit: Circuit | None, now: datetime, policy: BreakerPolicy
) -> Admission | None:
    """The verdict that needs no write, or None when the caller may claim the trial call."""
    if circuit is None or circuit.state == "closed":
        return Admission(adapter, allowed=True)
    if circuit.state == "open":
        next_trial = circuit.next_trial_at(policy)
        if next_trial is not None and now < next_trial:
            return Admission(adapter, allowed=False, reason=_open_reason(circuit, next_trial))
        return None
    started = circuit.trial_started_at
    if started is not None and now < started + policy.trial_lease:
        return Admission(
            adapter,
            allowed=False,
            reason=(
                f"circuit open (half-open: another search's trial call is under way since "
                f"{_hms(started)}){_last(circuit)}"
            ),
        )
    return None


def claim_trial(
    adapter: str, circuit: Circuit, now: datetime, policy: BreakerPolicy
) -> tuple[Admission, Circuit | None]:
    """`admission` again, under the row's lock: the trial and the half-open circuit to write
    when it is still to be had, else the verdict (another caller won it, or closed it)."""
    verdict = admission(adapter, circuit, now, policy)
    if verdict is not None:
        return verdict, None
    return (
        Admission(adapter, allowed=True, trial=True),
        replace(circuit, state="half-open", trial_started_at=now),
    )


def after_call(
    circuit: Circuit, sample: CallSample, now: datetime, policy: BreakerPolicy
) -> Circuit:
    """The circuit once `sample` is counted.

    Only the trial's result moves a circuit out of open or half-open: a call that started
    before the circuit opened says nothing of the vendor now.
    """
    recent = (circuit.recent + ("1" if sample.ok else "0"))[-RECENT_SPAN:]
    failures = 0 if sample.ok else circuit.consecutive_failures + 1
    counted = replace(circuit, recent=recent, consecutive_failures=failures, last_call_at=now)
    if not sample.ok:
        counted = replace(
            counted, last_error=(sample.error or "failed")[:MAX_ERROR_CHARS], last_error_at=now
        )
    if sample.trial and circuit.state == "half-open":
        if sample.ok:
            return replace(counted, state="closed", opened_at=None, trial_started_at=None)
        return replace(counted, state="open", opened_at=now, trial_started_at=None)
    if circuit.state == "closed" and failures >= policy.failure_threshold:
        return replace(counted, state="open", opened_at=now)
    return counted


def _open_reason(circuit: Circuit, next_trial: datetime) -> str:
    return (
        f"circuit open since {_hms(circuit.opened_at)} after "
        f"{circuit.consecutive_failures} consecutive failed searches; "
        f"next trial after {_hms(next_trial)}{_last(circuit)}"
    )


def _last(circuit: Circuit) -> str:
    return f" (last error: {circuit.last_error})" if circuit.last_error else ""


def _hms(instant: datetime | None) -> str:
    return "?" if instant is None else instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
