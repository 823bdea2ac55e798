"""The offer directory: practitioners, structures, one row per (offer, place), CPTS zones.

Revision ID: 3f1c8a2e9b47
Revises: a7d383a80964
Create Date: 2026-12-06 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "3f1c8a2e9b47"
down_revision: str | Sequence[str] | None = "a7d383a80964"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "offer_places",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("offer_id", sa.String(length=16), nullable=False),
        sa.Column("place_id", sa.String(length=300), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("profession", sa.String(length=8), nullable=True),
        sa.Column("specialties", sa.String(length=300), nullable=False),
        sa.Column("structure_kind", sa.String(length=8), nullable=True),
        sa.Column("line", sa.String(length=300), nullable=True),
        sa.Column("postal_code", sa.String(length=10), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("insee", sa.String(length=5), nullable=True),
        sa.Column("departement", sa.String(length=3), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("participates", sa.Boolean(), nullable=False),
        sa.Column("participation_via", sa.String(length=6), nullable=True),
        sa.Column("surnumeraire", sa.Boolean(), nullable=False),
        sa.Column("modalities", sa.String(length=20), nullable=False),
        sa.Column("adapter", sa.String(length=100), nullable=True),
        sa.Column("cpts", sa.String(length=16), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("marketplace_url", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_places")),
        sa.UniqueConstraint("offer_id", "place_id", name=op.f("uq_offer_places_offer_id_place_id")),
    )
    op.create_index(
        "ix_offer_places_latitude_longitude_id", "offer_places", ["latitude", "longitude", "id"]
    )
    op.create_table(
        "offer_practitioners",
        sa.Column("idnps", sa.String(length=12), nullable=False),
        sa.Column("family", sa.String(length=200), nullable=False),
        sa.Column("given", sa.String(length=200), nullable=False),
        sa.Column("profession", sa.String(length=8), nullable=False),
        sa.Column("specialties", sa.String(length=300), nullable=False),
        sa.Column("participates", sa.Boolean(), nullable=False),
        sa.Column("participation_via", sa.String(length=6), nullable=True),
        sa.Column("surnumeraire", sa.Boolean(), nullable=False),
        sa.Column("cpts", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("idnps", name=op.f("pk_offer_practitioners")),
    )
    op.create_table(
        "offer_structures",
        sa.Column("idnst", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("participates", sa.Boolean(), nullable=False),
        sa.Column("participation_via", sa.String(length=6), nullable=True),
        sa.Column("surnumeraire", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("idnst", name=op.f("pk_offer_structures")),
    )
    op.create_table(
        "offer_cpts_zones",
        sa.Column("cpts", sa.String(length=16), nullable=False),
        sa.Column("insee", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["cpts"],
            ["offer_structures.idnst"],
            name=op.f("fk_offer_cpts_zones_cpts_offer_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cpts", "insee", name=op.f("pk_offer_cpts_zones")),
    )
    op.create_index("ix_offer_cpts_zones_insee", "offer_cpts_zones", ["insee"])


def downgrade() -> None:
    op.drop_index("ix_offer_cpts_zones_insee", table_name="offer_cpts_zones")

    op.drop_table("offer_cpts_zones")
    op.drop_table("offer_structures")
    op.drop_table("offer_practitioners")
    op.drop_index("ix_offer_places_latitude_longitude_id", table_name="offer_places")

    op.drop_table("offer_places")
