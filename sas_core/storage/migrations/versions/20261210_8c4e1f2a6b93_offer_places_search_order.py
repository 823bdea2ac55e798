"""The offer directory's ranked page: each place's latitude band, point on the unit sphere and
shuffle key, and an index that covers the search's ranking.

The new columns are computed for the places already stored (an imported directory is kept):
the computation is written out here, as it was when this revision was made, so that a later
change of the application's code cannot change what this migration writes.

Revision ID: 8c4e1f2a6b93
Revises: 5b8e2c7d4f10
Create Date: 2026-12-10 09:00:00.000000

"""

import hashlib
import math
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "8c4e1f2a6b93"
down_revision: str | Sequence[str] | None = "5b8e2c7d4f10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MODULUS = 2**31 - 1
_BATCH = 5000
_BANDS_PER_DEGREE = 20
_SEARCH_COLUMNS = [
    "band",
    "longitude",
    "latitude",
    "unit_x",
    "unit_y",
    "unit_z",
    "participates",
    "shuffle",
    "kind",
    "surnumeraire",
    "offer_id",
    "place_id",
    "id",
]


def _position(offer_id: str, place_id: str, latitude: float, longitude: float) -> dict[str, object]:
    phi, lam = math.radians(latitude), math.radians(longitude)
    digest = hashlib.blake2b(f"{offer_id}|{place_id}".encode(), digest_size=8).digest()
    return {
        "band": math.floor(latitude * _BANDS_PER_DEGREE),
        "unit_x": math.cos(phi) * math.cos(lam),
        "unit_y": math.cos(phi) * math.sin(lam),
        "unit_z": math.sin(phi),
        "shuffle": int.from_bytes(digest, "big") % (_MODULUS - 1) + 1,
    }


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("offer_places", schema=None) as batch_op:
        batch_op.add_column(sa.Column("band", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("unit_x", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("unit_y", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("unit_z", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("shuffle", sa.BigInteger(), nullable=True))
    places = sa.table(
        "offer_places",
        sa.column("id", sa.BigInteger()),
        sa.column("offer_id", sa.String()),
        sa.column("place_id", sa.String()),
        sa.column("latitude", sa.Float()),
        sa.column("longitude", sa.Float()),
        sa.column("band", sa.Integer()),
        sa.column("unit_x", sa.Float()),
        sa.column("unit_y", sa.Float()),
        sa.column("unit_z", sa.Float()),
        sa.column("shuffle", sa.BigInteger()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            places.c.id, places.c.offer_id, places.c.place_id, places.c.latitude, places.c.longitude
        )
    ).all()
    update = (
        sa.update(places)
        .where(places.c.id == sa.bindparam("row_id"))
        .values(
            band=sa.bindparam("band"),
            unit_x=sa.bindparam("unit_x"),
            unit_y=sa.bindparam("unit_y"),
            unit_z=sa.bindparam("unit_z"),
            shuffle=sa.bindparam("shuffle"),
        )
    )
    for start in range(0, len(rows), _BATCH):
        batch = [
            {"row_id": row_id, **_position(offer_id, place_id, lat, lon)}
            for row_id, offer_id, place_id, lat, lon in rows[start : start + _BATCH]
        ]
        connection.execute(update, batch)
    with op.batch_alter_table("offer_places", schema=None) as batch_op:
        batch_op.alter_column("band", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("unit_x", existing_type=sa.Float(), nullable=False)
        batch_op.alter_column("unit_y", existing_type=sa.Float(), nullable=False)
        batch_op.alter_column("unit_z", existing_type=sa.Float(), nullable=False)
        batch_op.alter_column("shuffle", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_index("ix_offer_places_latitude_longitude_id")
        batch_op.create_index("ix_offer_places_search", _SEARCH_COLUMNS, unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("offer_places", schema=None) as batch_op:
        batch_op.drop_index("ix_offer_places_search")
        batch_op.create_index(
            "ix_offer_places_latitude_longitude_id", ["latitude", "longitude", "id"], unique=False
        )
        batch_op.drop_column("shuffle")
        batch_op.drop_column("unit_z")
        batch_op.drop_column("unit_y")
        batch_op.drop_column("unit_x")
        batch_op.drop_column("band")
