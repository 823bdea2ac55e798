from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from sas_core.slots.models import Slot
from sas_core.storage import fetch_runs, latest_slots, record_fetch
from sas_core.storage.tables import FetchedSlot, FetchOutcome, FetchRun
from tests.storage.samples import DR_A, DR_B, T0, WINDOW, outcome, slot

STARTED = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)


def record(engine: Engine, slots: list[Slot], outcomes: list[str] | None = None) -> int:
    """Record `slots` with an ok outcome for each adapter in `outcomes` (default: theirs)."""
    adapters = outcomes if outcomes is not None else sorted({s.adapter for s in slots})
    return record_fetch(
        engine,
        kind="cli",
        window=WINDOW,
        practitioners=[DR_A, DR_B],
        structures=[],
        outcomes=[outcome(a, slots=sum(s.adapter == a for s in slots)) for a in adapters],
        slots=slots,
        plugins={a: f"sas-plugin-{a}" for a in adapters},
        started_at=STARTED,
        finished_at=STARTED + timedelta(seconds=2),
    )


def counts(engine: Engine) -> list[int | None]:
    """How many runs, outcomes and slots are stored."""
    with engine.connect() as connection:
        return [
            connection.scalar(select(func.count()).select_from(table))
            for table in (FetchRun, FetchOutcome, FetchedSlot)
        ]


def test_slots_come_back_equal_with_aware_utc_datetimes(migrated: Engine) -> None:
    stored = [slot(n) for n in range(6)]
    record(migrated, stored)
    back = latest_slots(migrated)
    assert back == stored
    assert all(s.start.tzinfo is UTC and s.fetched_at.tzinfo is UTC for s in back)
    assert back[1].place is not None and back[1].place.address.city == "Lyon"
    assert back[1].place.latitude == 45.764043
    assert back[0].reasons == ("fièvre", "douleur")


def test_runs_come_back_with_their_outcomes(migrated: Engine) -> None:
    first = record(migrated, [slot(1)])
    second = record(migrated, [slot(2, adapter="beta")], outcomes=["alpha", "beta"])
    runs = fetch_runs(migrated)
    assert [r.id for r in runs] == [second, first]
    latest = runs[0]
    assert latest.kind == "cli"
    assert latest.window == WINDOW
    assert latest.started_at == STARTED and latest.started_at.tzinfo is UTC
    assert latest.practitioners == (DR_A, DR_B)
    assert [o.adapter for o in latest.outcomes] == ["alpha", "beta"]
    assert latest.outcomes[1] == outcome("beta", slots=1)
    assert latest.plugins == {"alpha": "sas-plugin-alpha", "beta": "sas-plugin-beta"}
    assert latest.slot_count == 1
    assert [r.id for r in fetch_runs(migrated, limit=1)] == [second]


def test_a_failing_record_leaves_nothing_behind(migrated: Engine) -> None:
    broken = Slot.model_construct(**{**slot(9).model_dump(), "id": None})
    with pytest.raises(IntegrityError):
        record(migrated, [slot(1), slot(2), broken])
    assert counts(migrated) == [0, 0, 0]
    assert latest_slots(migrated) == []
    assert fetch_runs(migrated) == []


def test_a_slot_needs_an_outcome_for_its_adapter(migrated: Engine) -> None:
    with pytest.raises(ValueError, match="without an outcome"):
        record(migrated, [slot(1, adapter="ghost")], outcomes=["alpha"])
    assert counts(migrated) == [0, 0, 0]


def test_naive_run_times_are_refused(migrated: Engine) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        record_fetch(
            migrated,
            kind="cli",
            window=WINDOW,
            practitioners=[DR_A],
            structures=[],
            outcomes=[],
            slots=[],
            started_at=datetime(2025, 6, 2, 6, 0),
            finished_at=STARTED,
        )


def test_latest_slots_keep_only_each_adapters_most_recent_run(migrated: Engine) -> None:
    record(migrated, [slot(1), slot(2, adapter="beta")])
    record(migrated, [slot(3)], outcomes=["alpha"])
    assert [(s.adapter, s.id) for s in latest_slots(migrated)] == [
        ("beta", "slot-2"),
        ("alpha", "slot-3"),
    ]
    # An adapter that failed last time has no current slots, even if an older run had some.
    record(migrated, [], outcomes=["beta"])
    assert [s.id for s in latest_slots(migrated)] == ["slot-3"]


def test_latest_slots_filters(migrated: Engine) -> None:
    slots = [slot(n, practitioner=DR_A if n < 4 else DR_B) for n in range(8)]
    slots += [slot(n, adapter="beta") for n in range(2)]
    record(migrated, slots)

    assert {s.adapter for s in latest_slots(migrated, adapter="beta")} == {"beta"}
    assert len(latest_slots(migrated, adapter="beta")) == 2
    assert {s.id for s in latest_slots(migrated, practitioner=DR_B)} == {
        "slot-4",
        "slot-5",
        "slot-6",
        "slot-7",
    }
    # Bounds are on the start, inclusive, and compare instants whatever the offset.
    start = (T0 + timedelta(hours=1, minutes=30)).astimezone(UTC)
    end = T0 + timedelta(hours=1, minutes=60)
    window = latest_slots(migrated, adapter="alpha", start=start, end=end)
    assert [s.id for s in window] == ["slot-2", "slot-3", "slot-4"]
    assert latest_slots(migrated, adapter="alpha", practitioner=DR_A, start=start, end=end) == [
        slots[2],
        slots[3],
    ]
    assert latest_slots(migrated, adapter="nobody") == []


def test_slots_are_inserted_in_bulk(migrated: Engine) -> None:
    many = [slot(n, hours=0) for n in range(2000)]
    inserts: list[str] = []

    def spy(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("INSERT INTO fetched_slots"):
            inserts.append(statement)

    event.listen(migrated, "before_cursor_execute", spy)
    record(migrated, many)
    event.remove(migrated, "before_cursor_execute", spy)
    assert len(inserts) <= 2
    assert len(latest_slots(migrated)) == 2000


def test_a_slot_without_place_stores_sql_null(migrated: Engine) -> None:
    record(migrated, [slot(0)])
    with migrated.connect() as connection:
        assert connection.scalar(select(func.count()).where(FetchedSlot.place.is_(None))) == 1
