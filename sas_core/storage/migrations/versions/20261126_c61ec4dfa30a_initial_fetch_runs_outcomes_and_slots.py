"""Initial schema: fetch runs, one outcome per adapter per run, fetched slots with provenance.

Revision ID: c61ec4dfa30a
Revises: (none)
Create Date: 2026-11-26 07:45:05.588964

"""

from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "c61ec4dfa30a"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fetch_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "practitioners",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "structures",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.CheckConstraint("finished_at >= started_at", name=op.f("ck_fetch_runs_run_ordered")),
        sa.CheckConstraint("window_end > window_start", name=op.f("ck_fetch_runs_window_ordered")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fetch_runs")),
    )
    op.create_table(
        "fetch_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("adapter", sa.String(length=100), nullable=False),
        sa.Column("plugin", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=5), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("slot_count", sa.Integer(), nullable=False),
        sa.Column(
            "issues",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.CheckConstraint("status IN ('ok', 'error')", name=op.f("ck_fetch_outcomes_status")),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["fetch_runs.id"],
            name=op.f("fk_fetch_outcomes_run_id_fetch_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fetch_outcomes")),
        sa.UniqueConstraint("run_id", "adapter", name=op.f("uq_fetch_outcomes_run_id_adapter")),
    )
    op.create_index(
        "ix_fetch_outcomes_adapter_run", "fetch_outcomes", ["adapter", "run_id"], unique=False
    )
    op.create_table(
        "fetched_slots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("adapter", sa.String(length=100), nullable=False),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("practitioner_idnps", sa.String(), nullable=True),
        sa.Column("structure_idnst", sa.String(), nullable=True),
        sa.Column("place_id", sa.String(), nullable=True),
        sa.Column(
            "place",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("schedule_id", sa.String(), nullable=True),
        sa.Column(
            "slot_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "modalities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("appointment_type", sa.String(length=16), nullable=True),
        sa.Column(
            "specialties",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("booking_url", sa.Text(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_fetched_slots_slot_ordered")),
        sa.ForeignKeyConstraint(
            ["run_id", "adapter"],
            ["fetch_outcomes.run_id", "fetch_outcomes.adapter"],
            name=op.f("fk_fetched_slots_run_id_adapter_fetch_outcomes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fetched_slots")),
    )
    op.create_index(
        "ix_fetched_slots_adapter_start", "fetched_slots", ["adapter", "start_at"], unique=False
    )
    op.create_index(
        "ix_fetched_slots_practitioner_start",
        "fetched_slots",
        ["practitioner_idnps", "start_at"],
        unique=False,
    )
    op.create_index(
        "ix_fetched_slots_run_adapter", "fetched_slots", ["run_id", "adapter"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_fetched_slots_run_adapter", table_name="fetched_slots")
    op.drop_index("ix_fetched_slots_practitioner_start", table_name="fetched_slots")
    op.drop_index("ix_fetched_slots_adapter_start", table_name="fetched_slots")
    op.drop_table("fetched_slots")
    op.drop_index("ix_fetch_outcomes_adapter_run", table_name="fetch_outcomes")
    op.drop_table("fetch_outcomes")
    op.drop_table("fetch_runs")
