"""LRM forwarding (INT_L02): the registered LRMs, one delivery row per (appointment, version),
the acknowledgements and errors received.

Revision ID: df60a769a1fc
Revises: 9d2b6e4f1a35
Create Date: 2026-12-06 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "df60a769a1fc"
down_revision: str | Sequence[str] | None = "9d2b6e4f1a35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "lrm_deliveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("appointment_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("distribution_id", sa.String(length=200), nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column(
            "payload",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_code", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'published', 'delivered', 'failed', 'parked')",
            name=op.f("ck_lrm_deliveries_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lrm_deliveries")),
        sa.UniqueConstraint("distribution_id", name=op.f("uq_lrm_deliveries_distribution_id")),
    )
    with op.batch_alter_table("lrm_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lrm_deliveries_appointment", ["appointment_id", "version"], unique=True
        )
        batch_op.create_index(
            "ix_lrm_deliveries_state_due", ["state", "next_attempt_at"], unique=False
        )

    op.create_table(
        "lrm_receipts",
        sa.Column("distribution_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("referenced", sa.String(length=200), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("distribution_id", name=op.f("pk_lrm_receipts")),
    )
    op.create_table(
        "lrm_registrations",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("hub_client_id", sa.String(length=100), nullable=False),
        sa.Column("territory", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_lrm_registrations")),
        sa.UniqueConstraint("origin", name=op.f("uq_lrm_registrations_origin")),
    )
    with op.batch_alter_table("lrm_registrations", schema=None) as batch_op:
        batch_op.create_index("ix_lrm_registrations_territory", ["territory"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("lrm_registrations", schema=None) as batch_op:
        batch_op.drop_index("ix_lrm_registrations_territory")

    op.drop_table("lrm_registrations")
    op.drop_table("lrm_receipts")
    with op.batch_alter_table("lrm_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_lrm_deliveries_state_due")
        batch_op.drop_index("ix_lrm_deliveries_appointment")

    op.drop_table("lrm_deliveries")
