"""The circuit breaker's rules, on their own: when a circuit opens, half-opens and closes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from sas_core.registry.circuit import (
    BreakerPolicy,
    CallSample,
    Circuit,
    admission,
    after_call,
    claim_trial,
)

T0 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
POLICY = BreakerPolicy(failure_threshold=5, cooldown=timedelta(seconds=60))


def failed(trial: bool = False) -> CallSample:
    return CallSample("vendor-a", ok=False, duration_ms=7000, error="HTTP 500", trial=trial)


def succeeded(trial: bool = False) -> CallSample:
    return CallSample("vendor-a", ok=True, duration_ms=120, trial=trial)


def after(circuit: Circuit, *samples: CallSample, at: datetime = T0) -> Circuit:
    for sample in samples:
        circuit = after_call(circuit, sample, at, POLICY)
    return circuit


def test_five_failures_in_a_row_open_the_circuit_four_do_not() -> None:
    four = after(Circuit(), *[failed()] * 4)
    assert four.state == "closed" and four.consecutive_failures == 4

    five = after(four, failed())

    assert five.state == "open" and five.opened_at == T0
    assert five.last_error == "HTTP 500" and five.last_error_at == T0


def test_a_success_resets_the_count() -> None:
    circuit = after(Circuit(), *[failed()] * 4, succeeded(), *[failed()] * 4)
    assert circuit.state == "closed" and circuit.consecutive_failures == 4
    assert circuit.recent == "000010000" and circuit.success_ratio == pytest.approx(1 / 9)


def test_an_open_circuit_refuses_until_its_cool_down_then_one_trial() -> None:
    opened = after(Circuit(), *[failed()] * 5)

    refused = admission("vendor-a", opened, T0 + timedelta(seconds=59), POLICY)
    assert refused is not None and not refused.allowed
    assert refused.reason is not None and refused.reason.startswith("circuit open since")
    assert "5 consecutive failed searches" in refused.reason and "HTTP 500" in refused.reason
    assert admission("vendor-a", opened, T0 + timedelta(seconds=60), POLICY) is None

    verdict, half_open = claim_trial("vendor-a", opened, T0 + timedelta(seconds=61), POLICY)
    assert verdict.allowed and verdict.trial
    assert half_open is not None and half_open.state == "half-open"

    second, unchanged = claim_trial("vendor-a", half_open, T0 + timedelta(seconds=62), POLICY)
    assert not second.allowed and unchanged is None
    assert second.reason is not None and "trial call is under way" in second.reason


def test_a_trial_whose_caller_died_is_given_up_after_its_lease() -> None:
    half_open = replace(after(Circuit(), *[failed()] * 5), state="half-open", trial_started_at=T0)
    assert admission("vendor-a", half_open, T0 + POLICY.trial_lease, POLICY) is None


def test_the_trial_closes_on_success_and_reopens_on_failure() -> None:
    half_open = replace(after(Circuit(), *[failed()] * 5), state="half-open", trial_started_at=T0)
    later = T0 + timedelta(minutes=5)

    closed = after(half_open, succeeded(trial=True), at=later)
    reopened = after(half_open, failed(trial=True), at=later)

    assert (closed.state, closed.consecutive_failures, closed.opened_at) == ("closed", 0, None)
    assert (reopened.state, reopened.opened_at) == ("open", later)
    assert reopened.trial_started_at is None


def test_only_the_trial_moves_an_open_circuit() -> None:
    opened = after(Circuit(), *[failed()] * 5)
    assert after(opened, succeeded()).state == "open"


def test_recent_remembers_twenty_searches() -> None:
    circuit = after(Circuit(), *[failed()] * 4, *[succeeded()] * 25)
    assert circuit.recent == "1" * 20 and circuit.success_ratio == 1.0


def test_the_threshold_is_at_most_five() -> None:
    with pytest.raises(ValueError, match=r"1\.\.5"):
        BreakerPolicy(failure_threshold=6)
