"""Regulators, their account sync state per adapter (the retry queue), and the call audit trail.

Revision ID: 5e0a9c3d7b21
Revises: c61ec4dfa30a
Create Date: 2026-11-26 08:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5e0a9c3d7b21"
down_revision: str | Sequence[str] | None = "c61ec4dfa30a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "regulators",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("national_id", sa.String(length=64), nullable=True),
        sa.Column("family", sa.String(length=200), nullable=False),
        sa.Column("given", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("territory", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regulators")),
        sa.UniqueConstraint("email", name=op.f("uq_regulators_email")),
        sa.UniqueConstraint("national_id", name=op.f("uq_regulators_national_id")),
    )
    op.create_table(
        "regulator_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regulator_id", sa.Uuid(), nullable=False),
        sa.Column("adapter", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("vendor_key", sa.String(length=300), nullable=True),
        sa.Column("vendor_location", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_http_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_regulator_accounts_attempts_counted")),
        sa.CheckConstraint(
            "state IN ('pending', 'synced', 'retrying', 'rejected')",
            name=op.f("ck_regulator_accounts_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["regulator_id"],
            ["regulators.id"],
            name=op.f("fk_regulator_accounts_regulator_id_regulators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regulator_accounts")),
        sa.UniqueConstraint(
            "regulator_id", "adapter", name=op.f("uq_regulator_accounts_regulator_id_adapter")
        ),
    )
    op.create_index(
        "ix_regulator_accounts_state_next_attempt_at",
        "regulator_accounts",
        ["state", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "regulator_account_calls",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("regulator_id", sa.Uuid(), nullable=False),
        sa.Column("adapter", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("http_method", sa.String(length=10), nullable=True),
        sa.Column("matched_on", sa.String(length=300), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('created', 'updated', 'rejected', 'retry')",
            name=op.f("ck_regulator_account_calls_outcome_known"),
        ),
        sa.ForeignKeyConstraint(
            ["regulator_id"],
            ["regulators.id"],
            name=op.f("fk_regulator_account_calls_regulator_id_regulators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regulator_account_calls")),
    )
    op.create_index(
        "ix_regulator_account_calls_regulator_id_at",
        "regulator_account_calls",
        ["regulator_id", "at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_regulator_account_calls_regulator_id_at", table_name="regulator_account_calls"
    )
    op.drop_table("regulator_account_calls")
    op.drop_index("ix_regulator_accounts_state_next_attempt_at", table_name="regulator_accounts")
    op.drop_table("regulator_accounts")
    op.drop_table("regulators")
