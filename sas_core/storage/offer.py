"""The offer directory's tables and every statement on them.

One row of `offer_places` per (offer, place) — exactly one search `Candidate` — with what the
search filters and shows copied in (participation, specialties, adapter…): the candidate query
reads one table. Its geographic prefilter is a latitude/longitude box on one composite index
(led by the place's latitude band, so the box is read as a few longitude ranges); the circle is
then exact, with arithmetic only: each place also stores its point on the unit
sphere (`unit_x`, `unit_y`, `unit_z`), whose squared chord to the centre grows with the
great-circle distance (`sas_core.geography.distances.squared_chord`), and its `shuffle` key,
from which the search's seeded order is computed (`sas_core.offer.models.seeded_position`). The
same statements run on SQLite and on PostgreSQL, without PostGIS or SQL trigonometry; the index
covers every column the search's ranked page reads, so a dense city's thousands of places are
ranked inside the index and only one page of rows is read. Specialties are stored
space-delimited (" SM54 SM04 ") so that one `LIKE '% SM54 %'` filters them on both databases.

Writes come in batches through `DirectoryWriter`, inside one transaction: an import that fails
half-way leaves the previous directory untouched.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    case,
    delete,
    distinct,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.orm import Mapped, Session, mapped_column

from sas_core.geography.distances import (
    EARTH_RADIUS_KM,
    squared_chord_of,
    unit_vector,
)
from sas_core.offer.models import (
    SHUFFLE_MODULUS,
    Candidate,
    CandidateQuery,
    DirectoryPractitioner,
    DirectoryStats,
    DirectoryStructure,
    OfferKind,
    OfferModality,
    OfferPlace,
    ParticipationVia,
    SasParticipation,
    StructureKind,
    seed_permutation,
    shuffle_key,
)
from sas_core.storage.engine import write_session
from sas_core.storage.tables import Base, BigId


class OfferPractitionerRow(Base):
    """A practitioner's identity and SAS settings (their places are in `offer_places`)."""

    __tablename__ = "offer_practitioners"

    idnps: Mapped[str] = mapped_column(String(12), primary_key=True)
    family: Mapped[str] = mapped_column(String(200))
    given: Mapped[str] = mapped_column(String(200))
    profession: Mapped[str] = mapped_column(String(8))
    specialties: Mapped[str] = mapped_column(String(300))
    participates: Mapped[bool] = mapped_column(Boolean)
    participation_via: Mapped[str | None] = mapped_column(String(6))
    surnumeraire: Mapped[bool] = mapped_column(Boolean)
    cpts: Mapped[str | None] = mapped_column(String(16))


class OfferStructureRow(Base):
    """A structure: CPTS, SOS association, MSP or CDS."""

    __tablename__ = "offer_structures"

    idnst: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(32))
    participates: Mapped[bool] = mapped_column(Boolean)
    participation_via: Mapped[str | None] = mapped_column(String(6))
    surnumeraire: Mapped[bool] = mapped_column(Boolean)


class OfferPlaceRow(Base):
    """One (offer, place): a search candidate, denormalised so the query reads one table."""

    __tablename__ = "offer_places"
    __table_args__ = (
        UniqueConstraint("offer_id", "place_id"),
        Index(
            "ix_offer_places_search",
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
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    offer_id: Mapped[str] = mapped_column(String(16))
    place_id: Mapped[str] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(String(300))
    profession: Mapped[str | None] = mapped_column(String(8))
    specialties: Mapped[str] = mapped_column(String(300))
    structure_kind: Mapped[str | None] = mapped_column(String(8))
    line: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(200))
    insee: Mapped[str | None] = mapped_column(String(5))
    departement: Mapped[str | None] = mapped_column(String(3))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    band: Mapped[int] = mapped_column(Integer)
    unit_x: Mapped[float] = mapped_column(Float)
    unit_y: Mapped[float] = mapped_column(Float)
    unit_z: Mapped[float] = mapped_column(Float)
    shuffle: Mapped[int] = mapped_column(BigInteger)
    participates: Mapped[bool] = mapped_column(Boolean)
    participation_via: Mapped[str | None] = mapped_column(String(6))
    surnumeraire: Mapped[bool] = mapped_column(Boolean)
    modalities: Mapped[str] = mapped_column(String(20))
    adapter: Mapped[str | None] = mapped_column(String(100))
    cpts: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(32))
    marketplace_url: Mapped[str | None] = mapped_column(Text)


class OfferCptsZoneRow(Base):
    """One commune (INSEE code) of a CPTS's intervention zone (`sm_sas_intervention_zone_insee`)."""

    __tablename__ = "offer_cpts_zones"
    __table_args__ = (Index("ix_offer_cpts_zones_insee", "insee"),)

    cpts: Mapped[str] = mapped_column(
        String(16), ForeignKey("offer_structures.idnst", ondelete="CASCADE"), primary_key=True
    )
    insee: Mapped[str] = mapped_column(String(5), primary_key=True)


_PLACES = OfferPlaceRow.__table__
#: The columns a candidate is built from, in `candidate_from_row`'s order.
_CANDIDATE_COLUMNS = (
    _PLACES.c.kind,
    _PLACES.c.offer_id,
    _PLACES.c.name,
    _PLACES.c.profession,
    _PLACES.c.specialties,
    _PLACES.c.structure_kind,
    _PLACES.c.place_id,
    _PLACES.c.line,
    _PLACES.c.postal_code,
    _PLACES.c.city,
    _PLACES.c.insee,
    _PLACES.c.latitude,
    _PLACES.c.longitude,
    _PLACES.c.participates,
    _PLACES.c.participation_via,
    _PLACES.c.surnumeraire,
    _PLACES.c.modalities,
    _PLACES.c.adapter,
    _PLACES.c.cpts,
    _PLACES.c.phone,
    _PLACES.c.marketplace_url,
)
#: A row of the candidate queries, in `_CANDIDATE_COLUMNS`' order (latitude 11, longitude 12).
CandidateRow = Row[*tuple[Any, ...]]
LATITUDE, LONGITUDE = 11, 12
_KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180
#: Latitude bands per degree (0.05°, about 5.6 km): a city's 5 km circle crosses three.
BANDS_PER_DEGREE = 20
_MODALITIES = {m.value: m for m in OfferModality}
_VIAS = {v.value: v for v in ParticipationVia}
_STRUCTURE_KINDS = {k.value: k for k in StructureKind}


def departement_of(insee: str | None) -> str | None:
    """The département of an INSEE commune code: 3 characters overseas (97x), else 2."""
    if not insee:
        return None
    return insee[:3] if insee.startswith("97") else insee[:2]


def candidate_from_row(row: CandidateRow, distance_km: float) -> Candidate:
    """A candidate from a row of the candidate queries (`_CANDIDATE_COLUMNS`)."""
    (
        kind,
        offer_id,
        name,
        profession,
        specialties,
        structure_kind,
        place_id,
        line,
        postal_code,
        city,
        insee,
        latitude,
        longitude,
        participates,
        via,
        surnumeraire,
        modalities,
        adapter,
        cpts,
        phone,
        marketplace_url,
    ) = row
    return Candidate(
        kind=OfferKind.PRACTITIONER if kind == "practitioner" else OfferKind.STRUCTURE,
        id=offer_id,
        name=name,
        profession=profession,
        specialties=tuple(specialties.split()),
        structure_kind=_STRUCTURE_KINDS[structure_kind] if structure_kind else None,
        place_id=place_id,
        line=line,
        postal_code=postal_code,
        city=city,
        insee=insee,
        latitude=latitude,
        longitude=longitude,
        distance_km=distance_km,
        participates=bool(participates),
        participation_via=_VIAS[via] if via else None,
        surnumeraire=bool(surnumeraire),
        modalities=tuple(_MODALITIES[m] for m in modalities.split()),
        adapter=adapter,
        cpts=cpts,
        phone=phone,
        marketplace_url=marketplace_url,
    )


@dataclass(frozen=True, slots=True)
class Box:
    """A latitude/longitude box, degrees: the prefilter around a search circle."""

    south: float
    north: float
    west: float
    east: float


def band_of(latitude: float) -> int:
    """The latitude band of a place: the index's first column, so that a circle's box is read
    as a few longitude ranges (one per band it crosses) instead of one latitude range across
    the whole country."""
    return math.floor(latitude * BANDS_PER_DEGREE)


def bounding_box(center: tuple[float, float], radius_km: float) -> Box:
    """The latitude/longitude box around a circle (sphere; never crossing the antimeridian,
    which no French territory of the SAS straddles)."""
    lat, lon = center
    dlat = radius_km / _KM_PER_DEGREE
    cos_lat = math.cos(math.radians(min(89.0, abs(lat) + dlat)))
    dlon = min(180.0, radius_km / (_KM_PER_DEGREE * cos_lat))
    return Box(south=lat - dlat, north=lat + dlat, west=lon - dlon, east=lon + dlon)


def inscribed_box(center: tuple[float, float], radius_km: float) -> Box:
    """A latitude/longitude box inside the circle, with room to spare (its corners at 95 % of
    the radius on a flat projection, the longitude scale taken at its widest): a place in it
    needs no exact test."""
    lat, lon = center
    half = 0.95 * radius_km / math.sqrt(2)
    dlat = half / _KM_PER_DEGREE
    cos_lat = math.cos(math.radians(max(0.0, abs(lat) - dlat)))
    dlon = half / (_KM_PER_DEGREE * cos_lat)
    return Box(south=lat - dlat, north=lat + dlat, west=lon - dlon, east=lon + dlon)


def _squared_chord_to_centre() -> ColumnElement[float]:
    """`squared_chord(place, centre)` as SQL, term for term (the same double in both)."""
    dx = _PLACES.c.unit_x - bindparam("x", type_=Float)
    dy = _PLACES.c.unit_y - bindparam("y", type_=Float)
    dz = _PLACES.c.unit_z - bindparam("z", type_=Float)
    return dx * dx + dy * dy + dz * dz


_chord_to_centre = _squared_chord_to_centre()


@dataclass(frozen=True, slots=True)
class _Shape:
    """Which conditions a candidate statement has. Each shape's statement is built once, with
    bound parameters: building and keying a statement costs more than running it on a small
    circle."""

    specialty: bool = False
    kinds: bool = False
    surnumeraire_only: bool = False
    exclude: bool = False
    by_distance: bool = False


def _conditions(shape: _Shape) -> list[ColumnElement[bool]]:
    """The circle — the indexed box (its latitude bands, then longitude and latitude), then the
    exact chord for the places outside the inscribed box — and the shape's filters."""
    chord_limit = bindparam("chord", type_=Float)
    found: list[ColumnElement[bool]] = [
        _PLACES.c.band.in_(bindparam("bands", expanding=True)),
        _PLACES.c.longitude.between(bindparam("west"), bindparam("east")),
        _PLACES.c.latitude.between(bindparam("south"), bindparam("north")),
        or_(
            and_(
                _PLACES.c.latitude.between(bindparam("inner_south"), bindparam("inner_north")),
                _PLACES.c.longitude.between(bindparam("inner_west"), bindparam("inner_east")),
            ),
            _chord_to_centre <= chord_limit,
        ),
    ]
    if shape.specialty:
        found.append(_PLACES.c.specialties.like(bindparam("specialty"), escape="/"))
    if shape.kinds:
        found.append(_PLACES.c.kind.in_(bindparam("kinds", expanding=True)))
    if shape.surnumeraire_only:
        found.append(_PLACES.c.surnumeraire.is_(True))
    if shape.exclude:
        found.append(_PLACES.c.offer_id.not_in(bindparam("exclude", expanding=True)))
    return found


def _parameters(
    center: tuple[float, float],
    radius_km: float,
    specialty: str | None,
    kinds: Collection[OfferKind] | None,
    exclude: Collection[str] = (),
) -> tuple[_Shape, dict[str, Any]]:
    box = bounding_box(center, radius_km)
    inner = inscribed_box(center, radius_km)
    x, y, z = unit_vector(*center)
    values: dict[str, Any] = {
        "inner_south": inner.south,
        "inner_north": inner.north,
        "inner_west": inner.west,
        "inner_east": inner.east,
        "bands": list(range(band_of(box.south), band_of(box.north) + 1)),
        "south": box.south,
        "north": box.north,
        "west": box.west,
        "east": box.east,
        "x": x,
        "y": y,
        "z": z,
        "chord": squared_chord_of(radius_km),
    }
    if specialty is not None:
        escaped = specialty.replace("/", "//").replace("%", "/%").replace("_", "/_")
        values["specialty"] = f"% {escaped} %"
    if kinds is not None:
        values["kinds"] = sorted(str(k) for k in kinds)
    if exclude:
        values["exclude"] = sorted(exclude)
    shape = _Shape(specialty=specialty is not None, kinds=kinds is not None, exclude=bool(exclude))
    return shape, values


def _query_parameters(query: CandidateQuery) -> tuple[_Shape, dict[str, Any]]:
    shape, values = _parameters(
        query.center, query.radius_km, query.specialty, query.kinds, query.exclude
    )
    if not query.by_distance:
        values["multiplier"], values["offset"] = seed_permutation(query.seed)
    shape = replace(shape, surnumeraire_only=query.surnumeraire_only, by_distance=query.by_distance)
    return shape, values


def _by_code_point(column: ColumnElement[str], dialect: str) -> ColumnElement[str]:
    """`column` compared by code point, as Python compares strings: SQLite's default (BINARY)
    does; PostgreSQL's follows the database's collation unless told "C"."""
    return column.collate("C") if dialect == "postgresql" else column


@functools.cache
def _ranked_page(shape: _Shape, dialect: str) -> Select[Any]:
    """The rows of one page in the directory's order (`CandidateQuery`): what
    `sas_core.search.ranking.directory_rank` computes in Python, as SQL.

    The page is ranked inside the covering index (a dense city's circle holds thousands of
    places, and reading their rows is what a query costs); only its rows are then read, in one
    statement, sorted again on the page's keys.
    """
    if shape.by_distance:
        position: ColumnElement[Any] = _chord_to_centre
    else:
        multiplier = bindparam("multiplier", type_=BigInteger)
        offset = bindparam("offset", type_=BigInteger)
        position = (_PLACES.c.shuffle * multiplier + offset) % SHUFFLE_MODULUS
    offer_id = _by_code_point(_PLACES.c.offer_id, dialect)
    place_id = _by_code_point(_PLACES.c.place_id, dialect)
    keys = (_PLACES.c.participates, position.label("position"), _PLACES.c.offer_id)
    page = (
        select(_PLACES.c.id.label("row_id"), *keys, _PLACES.c.place_id)
        .where(*_conditions(shape))
        .order_by(_PLACES.c.participates.desc(), position, offer_id, place_id)
        .offset(bindparam("page_offset", type_=Integer))
        .limit(bindparam("page_limit", type_=Integer))
        .subquery("page")
    )
    return (
        select(*_CANDIDATE_COLUMNS)
        .join_from(_PLACES, page, _PLACES.c.id == page.c.row_id)
        .order_by(
            page.c.participates.desc(),
            page.c.position,
            _by_code_point(page.c.offer_id, dialect),
            _by_code_point(page.c.place_id, dialect),
        )
    )


@functools.cache
def _places_of_offers(shape: _Shape) -> Select[str, str]:
    return select(_PLACES.c.offer_id, _PLACES.c.place_id).where(
        _PLACES.c.offer_id.in_(bindparam("offers", expanding=True)), *_conditions(shape)
    )


@functools.cache
def _count(shape: _Shape) -> Select[int]:
    return select(func.count()).where(*_conditions(shape))


@contextmanager
def _reading(engine: Engine) -> Iterator[Connection]:
    """A connection for the search's reads. On PostgreSQL it reads outside a transaction:
    BEGIN and ROLLBACK are two round trips more than the query itself."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


def count_candidates(engine: Engine, query: CandidateQuery) -> int:
    """How many places answer `query` (read from the index alone)."""
    shape, values = _query_parameters(query)
    with _reading(engine) as connection:
        return int(connection.execute(_count(shape), values).scalar_one())


def select_ranked_candidates(
    engine: Engine, query: CandidateQuery, *, offset: int, limit: int
) -> Sequence[CandidateRow]:
    """The places `offset` … `offset + limit` of `query`'s order."""
    shape, values = _query_parameters(query)
    values.update(page_offset=offset, page_limit=limit)
    with _reading(engine) as connection:
        return connection.execute(_ranked_page(shape, engine.dialect.name), values).all()


def select_places_of_offers(
    engine: Engine, query: CandidateQuery, offer_ids: Collection[str]
) -> dict[str, set[str]]:
    """The place ids of each offer of `offer_ids` that answer `query` (whichever page they
    are on): which of a vendor's places the search lists."""
    if not offer_ids:
        return {}
    shape, values = _query_parameters(query)
    values["offers"] = sorted(offer_ids)
    found: dict[str, set[str]] = {}
    with _reading(engine) as connection:
        for offer_id, place_id in connection.execute(_places_of_offers(shape), values):
            found.setdefault(offer_id, set()).add(place_id)
    return found


def select_candidates_near(
    engine: Engine,
    center: tuple[float, float],
    radius_km: float,
    *,
    specialty: str | None = None,
    kinds: Collection[OfferKind] | None = None,
) -> Sequence[CandidateRow]:
    """Every (offer, place) row within `radius_km` of `center`, optionally of one specialty and
    of some kinds."""
    shape, values = _parameters(center, radius_km, specialty, kinds)
    with _reading(engine) as connection:
        return connection.execute(_near(shape), values).all()


@functools.cache
def _near(shape: _Shape) -> Select[Any]:
    return select(*_CANDIDATE_COLUMNS).where(*_conditions(shape))


def select_offer_places(
    engine: Engine, keys: Collection[tuple[str, str]]
) -> Sequence[CandidateRow]:
    """The rows of these (offer id, place id): the places a page of results shows."""
    if not keys:
        return []
    wanted = sorted(set(keys))
    statement = select(*_CANDIDATE_COLUMNS).where(
        tuple_(_PLACES.c.offer_id, _PLACES.c.place_id).in_(wanted)
    )
    with _reading(engine) as connection:
        return connection.execute(statement).all()


def select_cpts_covering(engine: Engine, insee: str) -> Sequence[CandidateRow]:
    """The places (seats) of the CPTS whose intervention zone holds the commune `insee`."""
    zones = OfferCptsZoneRow.__table__
    query = (
        select(*_CANDIDATE_COLUMNS)
        .join(zones, zones.c.cpts == _PLACES.c.offer_id)
        .where(zones.c.insee == insee, _PLACES.c.structure_kind == StructureKind.CPTS.value)
        .order_by(_PLACES.c.offer_id, _PLACES.c.place_id)
    )
    with engine.connect() as connection:
        return connection.execute(query).all()


def select_places_of(engine: Engine, offer_id: str) -> Sequence[CandidateRow]:
    """Every place of one offer (a practitioner's IDNPS or a structure's IDNST)."""
    query = select(*_CANDIDATE_COLUMNS).where(_PLACES.c.offer_id == offer_id)
    with engine.connect() as connection:
        return connection.execute(query.order_by(_PLACES.c.place_id)).all()


def directory_is_empty(engine: Engine) -> bool:
    with engine.connect() as connection:
        return connection.execute(select(_PLACES.c.id).limit(1)).first() is None


def directory_specialties(engine: Engine) -> set[str]:
    """The specialty codes the practitioners of the directory carry."""
    practitioners = OfferPractitionerRow.__table__
    with engine.connect() as connection:
        rows = connection.execute(select(practitioners.c.specialties).distinct()).scalars()
        return {code for joined in rows for code in joined.split()}


def _count_true(column: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows have `column` true (a boolean sums on neither database as such)."""
    return func.count(case((column, 1)))


def directory_stats(engine: Engine) -> DirectoryStats:
    """Counts for `sas directory stats`: one pass per table, grouped in the database."""
    practitioners = OfferPractitionerRow.__table__
    structures = OfferStructureRow.__table__
    zones = OfferCptsZoneRow.__table__
    with engine.connect() as connection:
        people, participating, surnumeraire = connection.execute(
            select(
                func.count(),
                _count_true(practitioners.c.participates),
                _count_true(practitioners.c.surnumeraire),
            )
        ).one()
        kinds: dict[str, int] = dict(
            connection.execute(
                select(structures.c.kind, func.count()).group_by(structures.c.kind)
            ).all()
        )
        per_departement = connection.execute(
            select(
                _PLACES.c.departement,
                func.count(),
                _count_true(_PLACES.c.participates),
                func.count(_PLACES.c.adapter),
            )
            .group_by(_PLACES.c.departement)
            .order_by(_PLACES.c.departement)
        ).all()
        communes = connection.execute(select(func.count(distinct(zones.c.insee)))).scalar_one()
    by_departement = {
        (dep or "?"): (int(count), int(part or 0), int(connected))
        for dep, count, part, connected in per_departement
    }
    return DirectoryStats(
        practitioners=int(people),
        structures={str(k): int(v) for k, v in sorted(kinds.items())},
        places=sum(v[0] for v in by_departement.values()),
        participating_practitioners=int(participating),
        surnumeraire_practitioners=int(surnumeraire),
        connected_places=sum(v[2] for v in by_departement.values()),
        cpts_zone_communes=int(communes),
        by_departement=by_departement,
    )


class DirectoryWriter:
    """Batched inserts into the directory, inside the transaction `write_directory` opened."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def clear(self) -> None:
        """Remove the whole directory (a generate or an import replaces it)."""
        for table in (OfferCptsZoneRow, OfferPlaceRow, OfferPractitionerRow, OfferStructureRow):
            self._session.execute(delete(table))

    def add_practitioners(self, batch: Sequence[DirectoryPractitioner]) -> None:
        if not batch:
            return
        self._session.execute(
            insert(OfferPractitionerRow),
            [
                {
                    "idnps": p.idnps,
                    "family": p.family,
                    "given": p.given,
                    "profession": p.profession,
                    "specialties": _joined(p.specialties),
                    **_participation(p.participation),
                    "cpts": p.participation.cpts,
                }
                for p in batch
            ],
        )
        rows = [
            _place_row(
                OfferKind.PRACTITIONER,
                p.idnps,
                p.name,
                p.profession,
                p.specialties,
                None,
                place,
                p.participation,
            )
            for p in batch
            for place in p.places
        ]
        if rows:
            self._session.execute(insert(OfferPlaceRow), rows)

    def add_structures(self, batch: Sequence[DirectoryStructure]) -> None:
        if not batch:
            return
        self._session.execute(
            insert(OfferStructureRow),
            [
                {
                    "idnst": s.idnst,
                    "kind": s.kind.value,
                    "name": s.name,
                    "phone": s.phone,
                    **_participation(s.participation),
                }
                for s in batch
            ],
        )
        places = [
            _place_row(
                OfferKind.STRUCTURE, s.idnst, s.name, None, (), s.kind, place, s.participation
            )
            for s in batch
            for place in s.places
        ]
        if places:
            self._session.execute(insert(OfferPlaceRow), places)
        zones = [{"cpts": s.idnst, "insee": insee} for s in batch for insee in s.zone_insee]
        if zones:
            self._session.execute(insert(OfferCptsZoneRow), zones)

    def merge_practitioner(
        self, idnps: str, specialties: Sequence[str], places: Sequence[OfferPlace]
    ) -> int:
        """Merge more of a written practitioner (a file listing them apart): specialties
        joined, places not yet known added. Returns how many places were added."""
        row = self._session.get(OfferPractitionerRow, idnps)
        if row is None:
            raise KeyError(idnps)
        merged = list(row.specialties.split())
        merged += [code for code in specialties if code not in merged]
        row.specialties = _joined(merged)
        self._session.execute(
            update(OfferPlaceRow)
            .where(OfferPlaceRow.offer_id == idnps)
            .values(specialties=_joined(merged))
        )
        known = set(
            self._session.scalars(
                select(OfferPlaceRow.place_id).where(OfferPlaceRow.offer_id == idnps)
            )
        )
        participation = SasParticipation(
            participates=row.participates,
            via=_VIAS[row.participation_via] if row.participation_via else None,
            surnumeraire=row.surnumeraire,
            cpts=row.cpts,
        )
        name = f"{row.given} {row.family}".strip()
        rows = [
            _place_row(
                OfferKind.PRACTITIONER,
                idnps,
                name,
                row.profession,
                merged,
                None,
                place,
                participation,
            )
            for place in places
            if place.id not in known
        ]
        if rows:
            self._session.execute(insert(OfferPlaceRow), rows)
        return len(rows)


@contextmanager
def write_directory(engine: Engine) -> Iterator[DirectoryWriter]:
    """A writer in one transaction: committed when the block ends, rolled back if it raises.

    The tables' statistics are refreshed after the commit (`ANALYZE`): a whole directory was
    just replaced, and the planners choose the candidate query's index from them. PostgreSQL
    also vacuums them: its index-only scans read the heap for every page the visibility map
    does not mark, which a fresh bulk load leaves unmarked until autovacuum comes (a search's
    count was 3.5 times slower before).
    """
    with write_session(engine) as session:
        yield DirectoryWriter(session)
    tables = [
        table.__tablename__
        for table in (OfferPlaceRow, OfferPractitionerRow, OfferStructureRow, OfferCptsZoneRow)
    ]
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for name in tables:
                connection.execute(text(f"VACUUM ANALYZE {name}"))
        return
    with write_session(engine) as session:
        for name in tables:
            session.execute(text(f"ANALYZE {name}"))


def _joined(codes: Sequence[str]) -> str:
    return f" {' '.join(codes)} " if codes else ""


def _participation(participation: SasParticipation) -> dict[str, Any]:
    return {
        "participates": participation.participates,
        "participation_via": participation.via.value if participation.via else None,
        "surnumeraire": participation.surnumeraire,
    }


def _place_row(
    kind: OfferKind,
    offer_id: str,
    name: str,
    profession: str | None,
    specialties: Sequence[str],
    structure_kind: StructureKind | None,
    place: OfferPlace,
    participation: SasParticipation,
) -> dict[str, Any]:
    return {
        "kind": kind.value,
        "offer_id": offer_id,
        "place_id": place.id,
        "name": name,
        "profession": profession,
        "specialties": _joined(specialties),
        "structure_kind": structure_kind.value if structure_kind else None,
        "line": place.line,
        "postal_code": place.postal_code,
        "city": place.city,
        "insee": place.insee,
        "departement": departement_of(place.insee),
        **place_position(offer_id, place.id, place.latitude, place.longitude),
        **_participation(participation),
        "modalities": " ".join(m.value for m in place.modalities),
        "adapter": place.adapter,
        "cpts": participation.cpts,
        "phone": place.phone,
        "marketplace_url": place.marketplace_url,
    }


def place_position(
    offer_id: str, place_id: str, latitude: float, longitude: float
) -> dict[str, Any]:
    """The columns that place one (offer, place) in the search: its coordinates, its point on
    the unit sphere and its shuffle key (also what the migration that added them computes)."""
    x, y, z = unit_vector(latitude, longitude)
    return {
        "latitude": latitude,
        "longitude": longitude,
        "band": band_of(latitude),
        "unit_x": x,
        "unit_y": y,
        "unit_z": z,
        "shuffle": shuffle_key(offer_id, place_id),
    }
