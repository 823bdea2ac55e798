"""The registry's per-territory search radii, over ANS's table (issue #10 item 3).

Revision ID: 9d2b6e4f1a35
Revises: 3f1c8a2e9b47
Create Date: 2026-12-07 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "9d2b6e4f1a35"
down_revision: str | Sequence[str] | None = "3f1c8a2e9b47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "registry_search_radii",
        sa.Column("territory", sa.String(length=8), nullable=False),
        sa.Column("city_radius_km", sa.Float(), nullable=True),
        sa.Column("county_radius_km", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(city_radius_km IS NULL OR city_radius_km > 0)"
            " AND (county_radius_km IS NULL OR county_radius_km > 0)",
            name=op.f("ck_registry_search_radii_radii_positive"),
        ),
        sa.PrimaryKeyConstraint("territory", name=op.f("pk_registry_search_radii")),
    )


def downgrade() -> None:
    op.drop_table("registry_search_radii")
