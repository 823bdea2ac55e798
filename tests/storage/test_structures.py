"""CPTS and SOS slots in storage, and the migration that gave slots their structure kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from sas_core import Place, Slot, StructureKind
from sas_core.storage import fetch_runs, latest_slots, record_fetch
from sas_core.storage.schema import alembic_config, upgrade
from sas_core.storage.tables import FetchedSlot
from tests.storage.samples import DR_A, WINDOW, outcome, slot

STARTED = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)
CPTS_A, CPTS_B = "1950047225", "1950046227"
ASSOCIATION = "334173748400020"
PREVIOUS, THIS = "c149e6b9d0e1", "5b0e3c9d7a21"


def cpts_copies(base: Slot) -> list[Slot]:
    """One slot visible to two CPTS: stored twice, once per CPTS (digest §5.2)."""
    return [
        base.model_copy(update={"structure": idnst, "structure_kind": StructureKind.CPTS})
        for idnst in (CPTS_A, CPTS_B)
    ]


def sos_slot() -> Slot:
    site = Place(id="https://editeur.com|1111111111", name="Rennes Nord", structure=ASSOCIATION)
    return slot(7, practitioner=None).model_copy(
        update={"structure": ASSOCIATION, "structure_kind": StructureKind.SOS, "place": site}
    )


def record(engine: Engine, slots: list[Slot]) -> None:
    record_fetch(
        engine,
        kind="cli",
        window=WINDOW,
        practitioners=[DR_A],
        structures=[ASSOCIATION],
        outcomes=[outcome(slots=len(slots))],
        slots=slots,
        started_at=STARTED,
        finished_at=STARTED + timedelta(seconds=1),
    )


def test_cpts_and_sos_slots_come_back_equal(migrated: Engine) -> None:
    stored = [*cpts_copies(slot(1)), sos_slot(), slot(2)]
    record(migrated, stored)
    back = latest_slots(migrated)
    assert sorted(back, key=repr) == sorted(stored, key=repr)
    cpts = [s for s in back if s.structure_kind is StructureKind.CPTS]
    assert {s.structure for s in cpts} == {CPTS_A, CPTS_B}
    assert all(s.place is not None and s.place.structure == "1750000000" for s in cpts)
    sos = next(s for s in back if s.structure_kind is StructureKind.SOS)
    assert sos.place is not None and sos.place.structure == ASSOCIATION
    assert fetch_runs(migrated)[0].outcomes[0].dropped_slots == 1


def test_a_structure_without_its_kind_is_refused_by_the_database(migrated: Engine) -> None:
    record(migrated, [])
    row: dict[str, Any] = {
        "run_id": 1,
        "adapter": "alpha",
        "source_id": "x",
        "start_at": STARTED,
        "end_at": STARTED + timedelta(minutes=15),
        "slot_types": [],
        "modalities": [],
        "specialties": [],
        "reasons": [],
        "fetched_at": STARTED,
    }
    for bad in (
        {"structure_idnst": CPTS_A},
        {"structure_kind": "cpts"},
        {"structure_idnst": CPTS_A, "structure_kind": "msp"},
    ):
        with pytest.raises(IntegrityError), migrated.begin() as connection:
            connection.execute(insert(FetchedSlot), [{**row, **bad}])
    with migrated.begin() as connection:  # the row itself is fine
        connection.execute(insert(FetchedSlot), [row])


def _old_row(source_id: str, practitioner: str | None, structure: str | None, place: Any) -> Any:
    return {
        "run_id": 1,
        "adapter": "alpha",
        "source_id": source_id,
        "start_at": STARTED,
        "end_at": STARTED + timedelta(minutes=15),
        "practitioner_idnps": practitioner,
        "structure_idnst": structure,
        "place": place,
        "slot_types": [],
        "modalities": [],
        "specialties": [],
        "reasons": [],
        "fetched_at": STARTED,
    }


def _migrate(engine: Engine, how: str, revision: str) -> None:
    if how == "upgrade":
        upgrade(engine, revision)
        return
    # As upgrade() does: SQLite batch mode rebuilds fetch_outcomes, whose drop would otherwise
    # cascade to the slots.
    config = alembic_config()
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        with connection.begin():
            config.attributes["connection"] = connection
            command.downgrade(config, revision)


def test_migration_moves_old_rows_to_the_new_meaning_and_back(engine: Engine) -> None:
    """Before, a practitioner's slot held its place's structure and an SOS slot its association."""
    upgrade(engine, PREVIOUS)
    place = {"id": "urn:x|P1", "name": "Cabinet"}
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO fetch_runs (id, kind, started_at, finished_at, window_start,"
                " window_end, practitioners, structures) VALUES (1, 'cli', :t, :t, :t, :e,"
                " '[]', '[]')"
            ),
            {"t": STARTED, "e": STARTED + timedelta(hours=1)},
        )
        connection.execute(
            text(
                "INSERT INTO fetch_outcomes (run_id, adapter, status, duration_ms, requests,"
                " slot_count, issues) VALUES (1, 'alpha', 'ok', 1, 1, 3, '[]')"
            )
        )
        old = [
            _old_row("ps", DR_A, "1750000000", place),
            _old_row("ps-no-place", DR_A, "1750000000", None),
            _old_row("sos", None, ASSOCIATION, place),
            _old_row("plain", DR_A, None, place),
        ]
        connection.execute(insert(FetchedSlot), old)  # only the columns named: the old ones

    _migrate(engine, "upgrade", THIS)
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                FetchedSlot.source_id,
                FetchedSlot.structure_idnst,
                FetchedSlot.structure_kind,
                FetchedSlot.place,
            ).order_by(FetchedSlot.source_id)
        ).all()
        dropped = connection.scalar(text("SELECT dropped_slots FROM fetch_outcomes"))
    assert [tuple(r) for r in rows] == [
        ("plain", None, None, place),
        ("ps", None, None, {**place, "structure": "1750000000"}),
        ("ps-no-place", None, None, None),
        ("sos", ASSOCIATION, "sos", place),
    ]
    assert dropped == 0

    _migrate(engine, "downgrade", PREVIOUS)
    columns = {c["name"] for c in inspect(engine).get_columns("fetched_slots")}
    assert "structure_kind" not in columns
    with engine.connect() as connection:
        back = connection.execute(
            text("SELECT source_id, structure_idnst FROM fetched_slots ORDER BY source_id")
        ).all()
    assert [tuple(r) for r in back] == [
        ("plain", None),
        ("ps", "1750000000"),
        ("ps-no-place", None),
        ("sos", ASSOCIATION),
    ]


def test_the_rebuilt_slot_table_keeps_its_constraints(migrated: Engine) -> None:
    """SQLite rebuilds fetched_slots for the new CHECK: the older ones and the cascade stay."""
    checks = {c["name"] for c in inspect(migrated).get_check_constraints("fetched_slots")}
    assert {"ck_fetched_slots_slot_ordered", "ck_fetched_slots_structure_kind"} <= checks
    (foreign_key,) = inspect(migrated).get_foreign_keys("fetched_slots")
    assert foreign_key["options"].get("ondelete") == "CASCADE"
    indexes = {i["name"] for i in inspect(migrated).get_indexes("fetched_slots")}
    assert {"ix_fetched_slots_run_adapter", "ix_fetched_slots_practitioner_start"} <= indexes
