"""Domain models: the invariants the rest of the platform relies on."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from sas_core import AdapterOutcome, SearchWindow, Slot, SlotQuery, SourceOutcome, with_origin

PARIS = ZoneInfo("Europe/Paris")
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=PARIS)


def test_slot_needs_aware_ordered_instants() -> None:
    slot = Slot(id="s", start=T0, end=T0 + timedelta(minutes=15), adapter="a", fetched_at=T0)
    assert slot.start.utcoffset() == timedelta(hours=1)
    with pytest.raises(ValidationError, match="before it starts"):
        Slot(id="s", start=T0, end=T0, adapter="a", fetched_at=T0)
    with pytest.raises(ValidationError, match="timezone"):
        Slot(
            id="s",
            start=T0.replace(tzinfo=None),
            end=T0 + timedelta(hours=1),
            adapter="a",
            fetched_at=T0,
        )


def test_window_is_at_most_72_hours() -> None:
    SearchWindow(start=T0, end=T0 + timedelta(hours=72))
    with pytest.raises(ValidationError, match="exceeds"):
        SearchWindow(start=T0, end=T0 + timedelta(hours=72, seconds=1))
    with pytest.raises(ValidationError, match="not after"):
        SearchWindow(start=T0, end=T0)


def test_query_limits() -> None:
    window = SearchWindow(start=T0, end=T0 + timedelta(hours=1))
    query = SlotQuery(window=window, practitioners=["10101288385"])
    assert query.practitioners == ("810101288385",)
    with pytest.raises(ValidationError, match="at most 25"):
        SlotQuery(window=window, practitioners=[f"8{i:011d}" for i in range(26)])
    with pytest.raises(ValidationError, match="not both or neither"):
        SlotQuery(window=window)
    with pytest.raises(ValidationError, match="at most 10"):
        SlotQuery(window=window, structures=[f"3{i:014d}" for i in range(11)])


def test_adapter_outcome_merge_names_every_cause_once() -> None:
    outcomes = [
        SourceOutcome(status="ok", slot_count=3),
        SourceOutcome(status="error", error="HTTP 500"),
        SourceOutcome(status="error", error="HTTP 500"),
        SourceOutcome(status="error", error="timeout"),
    ]
    merged = AdapterOutcome.merge("v", outcomes, 12.34)
    assert merged.status == "error"
    assert merged.error == "HTTP 500; timeout"
    assert (merged.requests, merged.slot_count, merged.duration_ms) == (4, 3, 12.3)


def test_origin_is_appended_and_replaced() -> None:
    assert with_origin("https://v.fr/rdv/42", "sas") == "https://v.fr/rdv/42?origin=sas"
    assert (
        with_origin("https://v.fr/rdv?p=1&origin=old", "sas-preprod")
        == "https://v.fr/rdv?p=1&origin=sas-preprod"
    )
