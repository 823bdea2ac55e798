"""The LRM's case references: one booking intent per slot shown for an LRM case, linked to the
appointment booked on it.

Revision ID: 5b8e2c7d4f10
Revises: df60a769a1fc
Create Date: 2026-12-09 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5b8e2c7d4f10"
down_revision: str | Sequence[str] | None = "df60a769a1fc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "lrm_booking_intents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("regulator_id", sa.String(length=36), nullable=False),
        sa.Column("adapter", sa.String(length=100), nullable=False),
        sa.Column("practitioner", sa.String(length=40), nullable=True),
        sa.Column("slot_id", sa.String(length=200), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lrm", sa.String(length=100), nullable=False),
        sa.Column("case_reference", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("appointment_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lrm_booking_intents")),
    )
    with op.batch_alter_table("lrm_booking_intents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lrm_booking_intents_slot", ["regulator_id", "adapter", "slot_start"], unique=False
        )
        batch_op.create_index(
            "ix_lrm_booking_intents_appointment", ["appointment_id"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("lrm_booking_intents", schema=None) as batch_op:
        batch_op.drop_index("ix_lrm_booking_intents_appointment")
        batch_op.drop_index("ix_lrm_booking_intents_slot")

    op.drop_table("lrm_booking_intents")
