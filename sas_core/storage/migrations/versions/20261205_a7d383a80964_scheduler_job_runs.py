"""Background jobs: one row per run, unique per (job, tick) so a tick runs once per cluster.

Revision ID: a7d383a80964
Revises: 385a44d01e35
Create Date: 2026-12-05 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "a7d383a80964"
down_revision: str | Sequence[str] | None = "385a44d01e35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduler_job_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("job", sa.String(length=50), nullable=False),
        sa.Column("tick_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("instance", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=11), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'ok', 'failed', 'interrupted')",
            name=op.f("ck_scheduler_job_runs_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduler_job_runs")),
        sa.UniqueConstraint("job", "tick_at", name=op.f("uq_scheduler_job_runs_job_tick_at")),
    )
    op.create_index(
        "ix_scheduler_job_runs_job_started_at",
        "scheduler_job_runs",
        ["job", "started_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_scheduler_job_runs_job_started_at", table_name="scheduler_job_runs")
    op.drop_table("scheduler_job_runs")
