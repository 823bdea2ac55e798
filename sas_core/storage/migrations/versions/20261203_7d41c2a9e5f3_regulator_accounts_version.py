"""A version per regulator account row, so a claim or a result write is a compare-and-set.

Revision ID: 7d41c2a9e5f3
Revises: 0030078be837
Create Date: 2026-12-03 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "7d41c2a9e5f3"
down_revision: str | Sequence[str] | None = "0030078be837"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("regulator_accounts") as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("regulator_accounts") as batch_op:
        batch_op.drop_column("version")
