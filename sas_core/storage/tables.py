"""The ORM mapping of what the platform stores: fetch runs, their outcomes and their slots.

Slots are kept with their provenance (which run, which adapter) so that every slot shown can be
traced to the request that brought it; later tables (territories, regulators, appointments…)
join the same `Base.metadata` and get migrations of their own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from sas_core.storage.columns import JsonDocument, UtcDateTime

#: Explicit constraint names, so later migrations (and SQLite batch mode) can address them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: A 64-bit key on PostgreSQL (slots pile up fast), SQLite's rowid alias on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime}


class FetchRun(Base):
    """One fan-out to the adapters: who asked (`kind`), for which window and which ids."""

    __tablename__ = "fetch_runs"
    __table_args__ = (
        CheckConstraint("window_end > window_start", name="window_ordered"),
        CheckConstraint("finished_at >= started_at", name="run_ordered"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    practitioners: Mapped[list[str]] = mapped_column(JsonDocument)
    structures: Mapped[list[str]] = mapped_column(JsonDocument)

    outcomes: Mapped[list[FetchOutcome]] = relationship(
        back_populates="run", order_by="FetchOutcome.adapter", passive_deletes=True
    )


class FetchOutcome(Base):
    """How one adapter did in one run; a run's slots hang off the outcome of their adapter."""

    __tablename__ = "fetch_outcomes"
    __table_args__ = (
        UniqueConstraint("run_id", "adapter"),
        CheckConstraint("status IN ('ok', 'error', 'skipped')", name="status"),
        Index("ix_fetch_outcomes_adapter_run", "adapter", "run_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("fetch_runs.id", ondelete="CASCADE"))
    adapter: Mapped[str] = mapped_column(String(100))
    plugin: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(7))
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float] = mapped_column(Float)
    requests: Mapped[int] = mapped_column(Integer)
    slot_count: Mapped[int] = mapped_column(Integer)
    dropped_slots: Mapped[int] = mapped_column(Integer, server_default="0")
    issues: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument)

    run: Mapped[FetchRun] = relationship(back_populates="outcomes")


class FetchedSlot(Base):
    """A free slot as an adapter returned it, keyed to the run and adapter that fetched it."""

    __tablename__ = "fetched_slots"
    __table_args__ = (
        # A slot belongs to its adapter's outcome in its run: no orphan provenance.
        ForeignKeyConstraint(
            ["run_id", "adapter"],
            ["fetch_outcomes.run_id", "fetch_outcomes.adapter"],
            ondelete="CASCADE",
        ),
        CheckConstraint("end_at > start_at", name="slot_ordered"),
        # A slot offered through a structure says which kind (sas_core.slots.models.Slot).
        CheckConstraint(
            "(structure_idnst IS NULL AND structure_kind IS NULL)"
            " OR (structure_idnst IS NOT NULL AND structure_kind IS NOT NULL"
            " AND structure_kind IN ('cpts', 'sos'))",
            name="structure_kind",
        ),
        Index("ix_fetched_slots_run_adapter", "run_id", "adapter"),
        Index("ix_fetched_slots_adapter_start", "adapter", "start_at"),
        Index("ix_fetched_slots_practitioner_start", "practitioner_idnps", "start_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer)
    adapter: Mapped[str] = mapped_column(String(100))
    source_id: Mapped[str] = mapped_column(String)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    practitioner_idnps: Mapped[str | None] = mapped_column(String)
    structure_idnst: Mapped[str | None] = mapped_column(String)  # the CPTS or SOS association
    structure_kind: Mapped[str | None] = mapped_column(String(8))
    place_id: Mapped[str | None] = mapped_column(String)
    place: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    schedule_id: Mapped[str | None] = mapped_column(String)
    slot_types: Mapped[list[str]] = mapped_column(JsonDocument)
    modalities: Mapped[list[str]] = mapped_column(JsonDocument)
    appointment_type: Mapped[str | None] = mapped_column(String(16))
    specialties: Mapped[list[str]] = mapped_column(JsonDocument)
    reasons: Mapped[list[str]] = mapped_column(JsonDocument)
    booking_url: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime]
