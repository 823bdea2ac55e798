"""The platform's one backoff rule (`sas_core.backoff`)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sas_core.backoff import Backoff

HOUR = timedelta(hours=1)


def test_doubles_from_the_base_up_to_the_cap() -> None:
    backoff = Backoff(timedelta(seconds=30), HOUR)
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(8) == HOUR
    assert backoff(0) == backoff(-3) == timedelta(seconds=30)


@pytest.mark.parametrize("attempts", [43, 44, 64, 1_000, 10**9])
def test_any_number_of_failures_waits_the_cap(attempts: int) -> None:
    assert Backoff(timedelta(seconds=30), HOUR)(attempts) == HOUR
    assert Backoff(timedelta(seconds=5), HOUR)(attempts) == HOUR


def test_a_servers_retry_after_is_a_floor() -> None:
    backoff = Backoff(timedelta(seconds=30), HOUR)
    assert backoff(1, retry_after_s=300) == timedelta(seconds=300)
    assert backoff(3, retry_after_s=10) == timedelta(seconds=120)
    assert backoff(50, retry_after_s=7200) == timedelta(hours=2)


def test_a_cap_reached_exactly_is_the_cap() -> None:
    assert Backoff(timedelta(minutes=15), HOUR)(3) == HOUR


def test_account_retries_wait_the_hour_after_any_number_of_failures() -> None:
    """An unreachable vendor is retried hourly for as long as it takes: the 43rd failure (about
    40 hours in) used to raise OverflowError instead of scheduling the next attempt."""
    from sas_core.accounts.sync import backoff

    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert backoff(43) == backoff(10_000) == HOUR


def test_outbox_deliveries_back_off_from_five_seconds_to_the_hour() -> None:
    from sas_core.appointments.outbox import backoff

    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff(21) == backoff(10_000) == HOUR
