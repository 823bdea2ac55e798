"""The migration that gave the offer directory its ranked page: places already stored (an
imported directory) get their point on the unit sphere and their shuffle key, the same as the
directory writes for a new place."""

from __future__ import annotations

from alembic import command
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from sas_core.storage import upgrade
from sas_core.storage.offer import OfferPlaceRow, place_position
from sas_core.storage.schema import alembic_config

BEFORE = "5b8e2c7d4f10"
PLACES = [
    ("810000000001", "urn:test:lieu|1", 48.8566, 2.3522),
    ("810000000001", "urn:test:lieu|2", 43.2965, 5.3698),
    ("1350269443", "urn:test:lieu|cpts", -21.1151, 55.5364),
]


def test_places_stored_before_get_their_search_columns(migrated: Engine) -> None:
    config = alembic_config()
    with migrated.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, BEFORE)
    with migrated.begin() as connection:
        connection.execute(
            insert(OfferPlaceRow.__table__),
            [
                {"kind": "practitioner", "offer_id": offer, "place_id": place, "name": "N",
                 "specialties": " SM54 ", "latitude": lat, "longitude": lon,
                 "participates": True, "surnumeraire": False, "modalities": "AMB"}
                for offer, place, lat, lon in PLACES
            ],
        )  # fmt: skip

    upgrade(migrated)

    places = OfferPlaceRow.__table__
    columns = ("latitude", "longitude", "band", "unit_x", "unit_y", "unit_z", "shuffle")
    with migrated.connect() as connection:
        rows = connection.execute(
            select(places.c.offer_id, places.c.place_id, *(places.c[c] for c in columns))
        ).all()
    assert len(rows) == len(PLACES), "nothing lost"
    for offer, place, *stored in rows:
        expected = place_position(offer, place, stored[0], stored[1])
        assert dict(zip(columns, stored, strict=True)) == expected
