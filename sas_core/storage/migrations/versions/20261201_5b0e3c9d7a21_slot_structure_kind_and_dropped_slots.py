"""Slots offered through a CPTS or an SOS association; outcomes count the slots left out.

`fetched_slots.structure_idnst` now holds the structure a slot is offered *through* (CPTS or SOS
association) and the new `structure_kind` says which; the place of practice's structure moves
into the `place` document (`place.structure`). Rows written before: an SOS slot (no
practitioner) keeps its association with kind 'sos'; a practitioner's slot had its
PractitionerRole organization there, which moves into its place (lost when it had no place, as
the parser now does). `fetch_outcomes.dropped_slots` is 0 for earlier runs: they did not count.

Hand-written (autogenerate cannot move data). SQLite rebuilds `fetched_slots` in batch mode for
the CHECK constraint; PostgreSQL alters in place.

Revision ID: 5b0e3c9d7a21
Revises: c149e6b9d0e1
Create Date: 2026-12-01 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "5b0e3c9d7a21"
down_revision: str | Sequence[str] | None = "c149e6b9d0e1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECK = (
    "(structure_idnst IS NULL AND structure_kind IS NULL)"
    " OR (structure_idnst IS NOT NULL AND structure_kind IS NOT NULL"
    " AND structure_kind IN ('cpts', 'sos'))"
)
_SLOTS = sa.table(
    "fetched_slots",
    sa.column("id", sa.Integer()),
    sa.column("practitioner_idnps", sa.String()),
    sa.column("structure_idnst", sa.String()),
    sa.column("structure_kind", sa.String()),
    sa.column("place", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
)

#: Rewrites one slot's place (executemany: one statement for all rows).
_BY_ID = (
    _SLOTS.update()
    .where(_SLOTS.c.id == sa.bindparam("slot_id"))
    .values(place=sa.bindparam("place"))
)


def upgrade() -> None:
    with op.batch_alter_table("fetch_outcomes") as batch_op:
        batch_op.add_column(
            sa.Column("dropped_slots", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("fetched_slots") as batch_op:
        batch_op.add_column(sa.Column("structure_kind", sa.String(length=8), nullable=True))

    connection = op.get_bind()
    connection.execute(
        _SLOTS.update()
        .where(_SLOTS.c.structure_idnst.is_not(None), _SLOTS.c.practitioner_idnps.is_(None))
        .values(structure_kind="sos")
    )
    practitioner_slots = connection.execute(
        sa.select(_SLOTS.c.id, _SLOTS.c.structure_idnst, _SLOTS.c.place).where(
            _SLOTS.c.structure_idnst.is_not(None), _SLOTS.c.practitioner_idnps.is_not(None)
        )
    ).all()
    if practitioner_slots:
        connection.execute(
            _BY_ID.values(structure_idnst=None),
            [
                {"slot_id": slot_id, "place": {**place, "structure": structure} if place else None}
                for slot_id, structure, place in practitioner_slots
            ],
        )

    with op.batch_alter_table("fetched_slots") as batch_op:
        batch_op.create_check_constraint(op.f("ck_fetched_slots_structure_kind"), _CHECK)


def downgrade() -> None:
    with op.batch_alter_table("fetched_slots") as batch_op:
        batch_op.drop_constraint(op.f("ck_fetched_slots_structure_kind"), type_="check")

    # Before, a practitioner's slot held its place's structure; a CPTS slot becomes one again.
    connection = op.get_bind()
    practitioner_slots = connection.execute(
        sa.select(_SLOTS.c.id, _SLOTS.c.place).where(_SLOTS.c.practitioner_idnps.is_not(None))
    ).all()
    if practitioner_slots:
        connection.execute(
            _BY_ID.values(structure_idnst=sa.bindparam("structure")),
            [
                {
                    "slot_id": slot_id,
                    "structure": place.get("structure") if place else None,
                    "place": {k: v for k, v in place.items() if k != "structure"}
                    if place
                    else None,
                }
                for slot_id, place in practitioner_slots
            ],
        )

    with op.batch_alter_table("fetched_slots") as batch_op:
        batch_op.drop_column("structure_kind")
    with op.batch_alter_table("fetch_outcomes") as batch_op:
        batch_op.drop_column("dropped_slots")
