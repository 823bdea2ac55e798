"""The territory registry (declared adapters, their state per territory, the audit trail), and
Corsica's territories under their official codes SAS-20A/SAS-20B.

Revision ID: 1cf301b4ab39
Revises: 7d41c2a9e5f3
Create Date: 2026-12-04 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "1cf301b4ab39"
down_revision: str | Sequence[str] | None = "7d41c2a9e5f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Written before the registry accepted SAS-2A/SAS-2B only as input aliases.
CORSICA = {"SAS-2A": "SAS-20A", "SAS-2B": "SAS-20B"}


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "registry_adapters",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("plugin", sa.String(length=200), nullable=False),
        sa.Column("timeout_s", sa.Float(), nullable=False),
        sa.Column("settings", _json(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_registry_adapters")),
    )
    op.create_table(
        "registry_assignments",
        sa.Column("territory", sa.String(length=8), nullable=False),
        sa.Column("adapter", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("suspended_from", sa.String(length=16), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(state = 'suspended' AND suspended_from IN "
            "('onboarding', 'connected-test', 'production'))"
            " OR (state <> 'suspended' AND suspended_from IS NULL)",
            name=op.f("ck_registry_assignments_suspended_from_set_when_suspended"),
        ),
        sa.CheckConstraint(
            "state IN ('onboarding', 'connected-test', 'production', 'suspended')",
            name=op.f("ck_registry_assignments_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["adapter"],
            ["registry_adapters.name"],
            name=op.f("fk_registry_assignments_adapter_registry_adapters"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("territory", "adapter", name=op.f("pk_registry_assignments")),
    )
    op.create_index(
        "ix_registry_assignments_adapter", "registry_assignments", ["adapter"], unique=False
    )
    op.create_table(
        "registry_audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("territory", sa.String(length=8), nullable=True),
        sa.Column("adapter", sa.String(length=100), nullable=True),
        sa.Column("before", _json(), nullable=True),
        sa.Column("after", _json(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "action IN ('declare', 'update', 'enable', 'disable', 'state', 'change')",
            name=op.f("ck_registry_audit_action_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_audit")),
    )
    op.create_index("ix_registry_audit_at", "registry_audit", ["at"], unique=False)
    op.create_index(
        "ix_registry_audit_territory_adapter",
        "registry_audit",
        ["territory", "adapter"],
        unique=False,
    )
    regulators = sa.table("regulators", sa.column("territory", sa.String))
    for alias, official in CORSICA.items():
        op.execute(
            regulators.update().where(regulators.c.territory == alias).values(territory=official)
        )


def downgrade() -> None:
    regulators = sa.table("regulators", sa.column("territory", sa.String))
    for alias, official in CORSICA.items():
        op.execute(
            regulators.update().where(regulators.c.territory == official).values(territory=alias)
        )
    op.drop_index("ix_registry_audit_territory_adapter", table_name="registry_audit")
    op.drop_index("ix_registry_audit_at", table_name="registry_audit")
    op.drop_table("registry_audit")
    op.drop_index("ix_registry_assignments_adapter", table_name="registry_assignments")
    op.drop_table("registry_assignments")
    op.drop_table("registry_adapters")
