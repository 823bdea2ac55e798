"""Adapter health: a circuit per (territory, adapter), the calls it counted, and `skipped`
outcomes (an adapter whose circuit is open is not called).

Revision ID: 385a44d01e35
Revises: 1cf301b4ab39
Create Date: 2026-12-04 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "385a44d01e35"
down_revision: str | Sequence[str] | None = "1cf301b4ab39"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "adapter_circuits",
        sa.Column("territory", sa.String(length=16), nullable=False),
        sa.Column("adapter", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=9), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trial_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recent", sa.String(length=20), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_call_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('closed', 'open', 'half-open')",
            name=op.f("ck_adapter_circuits_state_known"),
        ),
        sa.PrimaryKeyConstraint("territory", "adapter", name=op.f("pk_adapter_circuits")),
    )
    op.create_table(
        "adapter_calls",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("territory", sa.String(length=16), nullable=False),
        sa.Column("adapter", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("trial", sa.Boolean(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adapter_calls")),
    )
    op.create_index(
        "ix_adapter_calls_territory_adapter_at",
        "adapter_calls",
        ["territory", "adapter", "at"],
        unique=False,
    )
    with op.batch_alter_table("fetch_outcomes") as batch_op:
        batch_op.drop_constraint(op.f("ck_fetch_outcomes_status"), type_="check")
        batch_op.alter_column(
            "status", existing_type=sa.String(length=5), type_=sa.String(length=7)
        )
        batch_op.create_check_constraint(
            op.f("ck_fetch_outcomes_status"), "status IN ('ok', 'error', 'skipped')"
        )


def downgrade() -> None:
    # Before, an adapter not called did not exist as an outcome: a skipped one was not answered.
    outcomes = sa.table("fetch_outcomes", sa.column("status", sa.String()))
    op.get_bind().execute(
        outcomes.update().where(outcomes.c.status == "skipped").values(status="error")
    )
    with op.batch_alter_table("fetch_outcomes") as batch_op:
        batch_op.drop_constraint(op.f("ck_fetch_outcomes_status"), type_="check")
        batch_op.alter_column(
            "status", existing_type=sa.String(length=7), type_=sa.String(length=5)
        )
        batch_op.create_check_constraint(
            op.f("ck_fetch_outcomes_status"), "status IN ('ok', 'error')"
        )
    op.drop_index("ix_adapter_calls_territory_adapter_at", table_name="adapter_calls")
    op.drop_table("adapter_calls")
    op.drop_table("adapter_circuits")
