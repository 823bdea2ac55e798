"""A seeded synthetic offer directory: the demo vendors' agendas plus a realistic France.

Two parts, both from the seed only (same seed and size, same directory):

- **The demo vendors' agendas** (`DEMO_AGENDAS`): the practitioners, CPTS and SOS associations
  that `sas demo`'s simulated vendors serve, drawn by `sas_core.offer.agendas` from the same
  seeds as the simulator, with the same IDNPS/IDNST and place ids and `adapter` set to the
  registry name of the adapter that serves them (`registry/`), so that a demo search finds
  their live slots.
- **`size` synthetic practitioners** placed in real communes of the offline gazetteer, drawn
  in proportion to population × the département's GP density (ANCT 2020, built in below), with
  CPTS covering zones of neighbouring communes, MSP, CDS and SOS Médecins associations. Shares
  (participation, surnuméraire, connected agendas) are set in `SHARES` and documented in
  docs/directory.md; a synthetic agenda said to be held by a demo adapter is one that vendor
  does not know: the search shows it as "no slot", which is what a real empty agenda looks like.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.engine import Engine

from sas_core.geography.distances import haversine_km
from sas_core.geography.gazetteer import Gazetteer, Place
from sas_core.offer.agendas import (
    FAMILY_NAMES,
    GIVEN_NAMES,
    PLACE_ID_SYSTEM,
    STREETS,
    SimCpts,
    SimPlace,
    SimPractitioner,
    SimSos,
    draw_associations,
    draw_practitioners,
)
from sas_core.offer.models import (
    DirectoryPractitioner,
    DirectoryStructure,
    OfferModality,
    OfferPlace,
    ParticipationVia,
    SasParticipation,
    StructureKind,
)
from sas_core.offer.nomenclature import GENERAL_PRACTICE, MEDECIN
from sas_core.storage.offer import write_directory

#: Practitioners written per insert.
WRITE_BATCH = 5_000
#: System of the synthetic places' ids (`system|value`, as a vendor's Location identifier).
SYNTHETIC_PLACE_SYSTEM = "urn:sas-connect:synthetic:lieu"


@dataclass(frozen=True, slots=True)
class DemoAgendas:
    """The agendas one simulated vendor of `sas demo` serves, and the adapter that reaches it.

    Must agree with `sas_simulator.demo.VENDORS` (seed, practitioners; CPTS and associations
    at `build_dataset`'s defaults): a test holds the two together.
    """

    adapter: str
    seed: int
    practitioners: int
    serves: Literal["practitioners", "sos"]
    cpts: int = 3
    sos: int = 2
    #: Whether the adapter also answers for the CPTS of its dataset (the sas-cpts plugin).
    serves_cpts: bool = False


DEMO_AGENDAS: tuple[DemoAgendas, ...] = (
    DemoAgendas("editeur-a", 42, 30, "practitioners", serves_cpts=True),
    DemoAgendas("editeur-b", 7, 20, "practitioners"),
    DemoAgendas("editeur-sos", 11, 1, "sos"),
)


@dataclass(frozen=True, slots=True)
class Shares:
    """The proportions the synthetic part draws with (docs/directory.md gives the reasons)."""

    #: TRE_G15 profession → weight (médecins dominate the SAS offer).
    professions: tuple[tuple[str, float], ...] = (
        ("10", 0.75),
        ("60", 0.10),
        ("70", 0.07),
        ("40", 0.05),
        ("50", 0.03),
    )
    #: Share of médecins who are GPs (SM54); the others get one specialty.
    general_practice: float = 0.55
    #: Participation in the SAS: GPs, other médecins, other professions.
    participation_gp: float = 0.40
    participation_specialist: float = 0.15
    participation_other: float = 0.08
    #: Among participants: via their CPTS when one covers their commune, via an MSP.
    via_cpts: float = 0.35
    via_msp: float = 0.10
    #: Participants (direct or CPTS) who accept patients beyond availability.
    surnumeraire: float = 0.5
    #: Places whose agenda a connected vendor holds: participating, not participating.
    connected_participating: float = 0.35
    connected_other: float = 0.08
    #: Connected surnuméraire places whose vendor publishes a request link.
    marketplace: float = 0.5
    #: Places per practitioner: 1, 2 or 3.
    places: tuple[float, float, float] = (0.80, 0.17, 0.03)


SHARES = Shares()
#: Practitioners per structure of each kind (a CPTS per 150 practitioners, …).
PER_CPTS, PER_MSP, PER_CDS, PER_SOS = 150, 120, 250, 1500
#: Adapters a connected synthetic agenda is held by (the demo registry's), with weights.
SYNTHETIC_ADAPTERS: tuple[tuple[str, float], ...] = (("editeur-a", 1.0), ("editeur-b", 2.0))
_ADAPTER_NAMES = [name for name, _ in SYNTHETIC_ADAPTERS]
_ADAPTER_CUMULATIVE = list(itertools.accumulate(weight for _, weight in SYNTHETIC_ADAPTERS))

#: Self-employed GPs per 100,000 inhabitants by département (ANCT 2020, rounded; Mayotte has no
#: figure and gets French Guiana's, the lowest): the weight of a commune is its population
#: times this density, i.e. its expected number of GPs.
GP_DENSITY: dict[str, int] = {
    "01": 68, "02": 72, "03": 86, "04": 111, "05": 139, "06": 124, "07": 85, "08": 85, "09": 92,
    "10": 69, "11": 92, "12": 83, "13": 126, "14": 92, "15": 97, "16": 74, "17": 103, "18": 68,
    "19": 86, "21": 99, "22": 77, "23": 87, "24": 82, "25": 98, "26": 92, "27": 66, "28": 59,
    "29": 100, "2A": 110, "2B": 88, "30": 93, "31": 107, "32": 101, "33": 120, "34": 120,
    "35": 94, "36": 68, "37": 97, "38": 95, "39": 87, "40": 102, "41": 82, "42": 92, "43": 90,
    "44": 94, "45": 67, "46": 94, "47": 72, "48": 97, "49": 95, "50": 76, "51": 93, "52": 80,
    "53": 65, "54": 99, "55": 78, "56": 96, "57": 79, "58": 73, "59": 97, "60": 64, "61": 67,
    "62": 86, "63": 98, "64": 108, "65": 101, "66": 118, "67": 112, "68": 82, "69": 99, "70": 83,
    "71": 72, "72": 62, "73": 113, "74": 96, "75": 116, "76": 92, "77": 70, "78": 71, "79": 74,
    "80": 98, "81": 90, "82": 89, "83": 108, "84": 92, "85": 70, "86": 96, "87": 118, "88": 87,
    "89": 68, "90": 79, "91": 65, "92": 70, "93": 59, "94": 65, "95": 65, "971": 83, "972": 83,
    "973": 45, "974": 102, "976": 45,
}  # fmt: skip
#: Communes split into municipal arrondissements: their arrondissements are drawn instead.
_WITH_ARRONDISSEMENTS = frozenset({"75056", "69123", "13055"})
_SPECIALISTS = ("SM04", "SM15", "SM40", "SM41", "SM37", "SM42", "SM48", "SM20", "SM32", "SM24")


@dataclass(frozen=True)
class SyntheticDirectory:
    """A generated directory: its structures (few, in memory) and its practitioners (streamed)."""

    structures: tuple[DirectoryStructure, ...]
    practitioners: Iterator[DirectoryPractitioner]


class _Communes:
    """The gazetteer's current communes with cumulative weights, nationally and by département."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.all = [
            c
            for code, c in sorted(gazetteer.communes.items())
            if code not in _WITH_ARRONDISSEMENTS and c.departement in GP_DENSITY
        ]
        self.cumulative = list(itertools.accumulate(_weight(c) for c in self.all))
        self.by_departement: dict[str, list[Place]] = defaultdict(list)
        for commune in self.all:
            self.by_departement[commune.departement].append(commune)
        self.cumulative_by_departement = {
            dep: list(itertools.accumulate(_weight(c) for c in pool))
            for dep, pool in self.by_departement.items()
        }
        self.by_postcode = gazetteer.by_postcode

    def draw(self, rng: random.Random) -> Place:
        point = rng.random() * self.cumulative[-1]
        return self.all[bisect.bisect_right(self.cumulative, point)]

    def near(self, rng: random.Random, commune: Place) -> Place:
        """A commune of the same département, weighted like `draw` (a second place of work)."""
        dep = commune.departement
        return rng.choices(
            self.by_departement[dep], cum_weights=self.cumulative_by_departement[dep]
        )[0]

    def neighbours(self, commune: Place, count: int) -> list[Place]:
        """The `count` communes of the département nearest to `commune` (itself first)."""
        pool = self.by_departement[commune.departement]
        here = (commune.lat, commune.lon)
        return sorted(pool, key=lambda c: haversine_km(here, (c.lat, c.lon)))[:count]

    def of_postcode(self, postcode: str, lat: float, lon: float) -> Place | None:
        """The commune of a postcode nearest to a point (a postcode may cover several)."""
        found = self.by_postcode.get(postcode, [])
        return min(found, key=lambda c: haversine_km((lat, lon), (c.lat, c.lon)), default=None)


def _weight(commune: Place) -> float:
    return max(commune.population, 1) * GP_DENSITY[commune.departement]


def generate_directory(seed: int, size: int, gazetteer: Gazetteer) -> SyntheticDirectory:
    """The demo vendors' agendas plus `size` synthetic practitioners and their structures."""
    if size < 0:
        raise ValueError("the size of a directory cannot be negative")
    communes = _Communes(gazetteer)
    rng = random.Random(f"{seed}:directory")
    demo_people, demo_structures = _demo(communes)
    taken_ids = {p.idnps for p in demo_people} | {s.idnst for s in demo_structures}
    structures = _structures(rng, communes, size, taken_ids)
    cpts_of = {insee: s.idnst for s in structures for insee in s.zone_insee}
    people = _practitioners(random.Random(f"{seed}:people"), communes, size, taken_ids, cpts_of)
    return SyntheticDirectory(
        structures=(*demo_structures, *structures),
        practitioners=itertools.chain(demo_people, people),
    )


# --- The demo vendors' agendas


def _demo(
    communes: _Communes,
) -> tuple[list[DirectoryPractitioner], list[DirectoryStructure]]:
    people: dict[str, DirectoryPractitioner] = {}
    structures: dict[str, DirectoryStructure] = {}
    for vendor in DEMO_AGENDAS:
        rng = random.Random(f"demo:{vendor.adapter}")
        if vendor.serves == "sos":
            for association in draw_associations(vendor.seed, vendor.sos):
                structures.setdefault(
                    association.idnst, _demo_sos(association, vendor.adapter, communes)
                )
            continue
        drawn, communities = draw_practitioners(vendor.seed, vendor.practitioners, vendor.cpts)
        for person in drawn:
            people.setdefault(person.idnps, _demo_practitioner(rng, person, vendor, communes))
        for cpts in communities:
            adapter = vendor.adapter if vendor.serves_cpts else None
            members = [p for p in drawn if cpts.idnst in p.cpts]
            structures.setdefault(cpts.idnst, _demo_cpts(cpts, adapter, members, communes))
    return list(people.values()), list(structures.values())


def _demo_place(place: SimPlace, adapter: str | None, communes: _Communes) -> OfferPlace:
    commune = communes.of_postcode(place.postal_code, place.latitude, place.longitude)
    return OfferPlace(
        id=f"{PLACE_ID_SYSTEM}|{place.id}",
        line=place.line,
        postal_code=place.postal_code,
        city=place.city,
        insee=commune.code if commune else None,
        latitude=place.latitude,
        longitude=place.longitude,
        phone=place.phone,
        adapter=adapter,
        modalities=(OfferModality.AMB, OfferModality.VR),
    )


def _demo_practitioner(
    rng: random.Random, person: SimPractitioner, vendor: DemoAgendas, communes: _Communes
) -> DirectoryPractitioner:
    via = ParticipationVia.CPTS if person.cpts else ParticipationVia.DIRECT
    return DirectoryPractitioner(
        idnps=person.idnps,
        family=person.family,
        given=person.given,
        profession=MEDECIN,
        specialties=person.specialties,
        places=tuple(_demo_place(p, vendor.adapter, communes) for p in person.places),
        participation=SasParticipation(
            participates=True,
            via=via,
            surnumeraire=rng.random() < SHARES.surnumeraire,
            cpts=person.cpts[0] if person.cpts else None,
        ),
    )


def _demo_cpts(
    cpts: SimCpts, adapter: str | None, members: Sequence[SimPractitioner], communes: _Communes
) -> DirectoryStructure:
    """A demo CPTS: its zone is the communes where its members consult, its seat the first."""
    places = [_demo_place(p, adapter, communes) for m in members for p in m.places]
    zone = sorted({p.insee for p in places if p.insee})
    seat = places[0] if places else None
    return DirectoryStructure(
        idnst=cpts.idnst,
        kind=StructureKind.CPTS,
        name=cpts.name,
        places=(
            (
                OfferPlace(
                    id=f"{PLACE_ID_SYSTEM}|{cpts.id}",
                    line=None,
                    postal_code=seat.postal_code,
                    city=seat.city,
                    insee=seat.insee,
                    latitude=seat.latitude,
                    longitude=seat.longitude,
                    phone=cpts.phone,
                    adapter=adapter,
                ),
            )
            if seat
            else ()
        ),
        phone=cpts.phone,
        participation=SasParticipation(participates=True, via=ParticipationVia.CPTS),
        zone_insee=tuple(zone),
    )


def _demo_sos(association: SimSos, adapter: str, communes: _Communes) -> DirectoryStructure:
    sites = []
    for site in association.sites:
        commune = communes.of_postcode(site.postal_code, site.latitude, site.longitude)
        sites.append(
            OfferPlace(
                id=f"{PLACE_ID_SYSTEM}|{site.id}",
                line=site.line,
                postal_code=site.postal_code,
                city=site.city,
                insee=commune.code if commune else None,
                latitude=site.latitude,
                longitude=site.longitude,
                phone=site.phone,
                adapter=adapter,
                modalities=(OfferModality.AMB, OfferModality.HH),
            )
        )
    return DirectoryStructure(
        idnst=association.idnst,
        kind=StructureKind.SOS,
        name=association.name,
        places=tuple(sites),
        phone=association.phone,
        participation=SasParticipation(participates=True, via=ParticipationVia.SOS),
    )


# --- The synthetic part


def _structures(
    rng: random.Random, communes: _Communes, size: int, taken: set[str]
) -> list[DirectoryStructure]:
    found: list[DirectoryStructure] = []
    covered: set[str] = set()
    for number in range(1, size // PER_CPTS + 1):
        seat = communes.draw(rng)
        zone = [c for c in communes.neighbours(seat, rng.randint(5, 30)) if c.code not in covered]
        if not zone:
            continue
        covered.update(c.code for c in zone)
        idnst = _new_id(rng, "1", 9, taken)
        found.append(
            DirectoryStructure(
                idnst=idnst,
                kind=StructureKind.CPTS,
                name=f"CPTS {seat.name}",
                places=(_place(rng, seat, f"cpts-{number}"),),
                phone=_phone(rng),
                participation=SasParticipation(participates=True, via=ParticipationVia.CPTS),
                zone_insee=tuple(sorted(c.code for c in zone)),
            )
        )
    for kind, per, label in (
        (StructureKind.MSP, PER_MSP, "Maison de santé"),
        (StructureKind.CDS, PER_CDS, "Centre de santé"),
    ):
        for number in range(1, size // per + 1):
            commune = communes.draw(rng)
            participates = kind is StructureKind.MSP or rng.random() < 0.3
            found.append(
                DirectoryStructure(
                    idnst=_new_id(rng, "1", 9, taken),
                    kind=kind,
                    name=f"{label} {commune.name}",
                    places=(_place(rng, commune, f"{kind.value}-{number}", connected=False),),
                    phone=_phone(rng),
                    participation=SasParticipation(
                        participates=participates,
                        via=ParticipationVia.MSP if kind is StructureKind.MSP else None,
                        surnumeraire=kind is StructureKind.MSP and participates,
                    ),
                )
            )
    towns = sorted(communes.all, key=lambda c: -c.population)[: max(1, size // PER_SOS)]
    for number, town in enumerate(towns[: size // PER_SOS], start=1):
        adapter = "editeur-sos" if rng.random() < 0.25 else None
        sites = tuple(
            _place(rng, town, f"sos-{number}-{site}", adapter=adapter)
            for site in range(1, rng.randint(1, 3) + 1)
        )
        found.append(
            DirectoryStructure(
                idnst=_new_id(rng, "3", 14, taken),
                kind=StructureKind.SOS,
                name=f"SOS Médecins {town.name}",
                places=sites,
                phone=_phone(rng),
                participation=SasParticipation(participates=True, via=ParticipationVia.SOS),
            )
        )
    return found


def _practitioners(
    rng: random.Random,
    communes: _Communes,
    size: int,
    taken: set[str],
    cpts_of: dict[str, str],
) -> Iterator[DirectoryPractitioner]:
    professions = [code for code, _ in SHARES.professions]
    professions_cumulative = list(itertools.accumulate(w for _, w in SHARES.professions))
    places_cumulative = list(itertools.accumulate(SHARES.places))
    place_number = itertools.count(1)
    for _ in range(size):
        profession = rng.choices(professions, cum_weights=professions_cumulative)[0]
        specialties: tuple[str, ...] = ()
        share = SHARES.participation_other
        if profession == MEDECIN:
            if rng.random() < SHARES.general_practice:
                specialties, share = (GENERAL_PRACTICE,), SHARES.participation_gp
            else:
                specialties = (rng.choice(_SPECIALISTS),)
                share = SHARES.participation_specialist
        first = communes.draw(rng)
        count = rng.choices((1, 2, 3), cum_weights=places_cumulative)[0]
        where = [first, *(communes.near(rng, first) for _ in range(count - 1))]
        participation = _participation(rng, rng.random() < share, first, cpts_of)
        connected = (
            SHARES.connected_participating if participation.participates else SHARES.connected_other
        )
        places = tuple(
            _place(
                rng,
                commune,
                str(next(place_number)),
                connected=rng.random() < connected,
                surnumeraire=participation.surnumeraire,
                modalities=_modalities(rng, profession),
            )
            for commune in where
        )
        yield DirectoryPractitioner(
            idnps=_new_id(rng, "81", 10, taken),
            family=rng.choice(FAMILY_NAMES),
            given=rng.choice(GIVEN_NAMES),
            profession=profession,
            specialties=specialties,
            places=places,
            participation=participation,
        )


def _participation(
    rng: random.Random, participates: bool, commune: Place, cpts_of: dict[str, str]
) -> SasParticipation:
    if not participates:
        return SasParticipation()
    draw = rng.random()
    cpts = cpts_of.get(commune.code)
    if cpts is not None and draw < SHARES.via_cpts:
        via = ParticipationVia.CPTS
    elif draw > 1 - SHARES.via_msp:
        via = ParticipationVia.MSP
    else:
        via = ParticipationVia.DIRECT
    surnumeraire = via is not ParticipationVia.MSP and rng.random() < SHARES.surnumeraire
    return SasParticipation(
        participates=True,
        via=via,
        surnumeraire=surnumeraire,
        cpts=cpts if via is ParticipationVia.CPTS else None,
    )


def _modalities(rng: random.Random, profession: str) -> tuple[OfferModality, ...]:
    found = [OfferModality.AMB]
    if profession == MEDECIN and rng.random() < 0.2:
        found.append(OfferModality.VR)
    if rng.random() < (0.5 if profession in ("60", "70") else 0.1):
        found.append(OfferModality.HH)
    return tuple(found)


def _place(
    rng: random.Random,
    commune: Place,
    number: str,
    *,
    connected: bool = False,
    adapter: str | None = None,
    surnumeraire: bool = False,
    modalities: tuple[OfferModality, ...] = (OfferModality.AMB,),
) -> OfferPlace:
    if connected and adapter is None:
        adapter = rng.choices(_ADAPTER_NAMES, cum_weights=_ADAPTER_CUMULATIVE)[0]
    marketplace = (
        f"https://{adapter}.example/demande-sas?lieu={number}"
        if adapter and surnumeraire and rng.random() < SHARES.marketplace
        else None
    )
    return OfferPlace(
        id=f"{SYNTHETIC_PLACE_SYSTEM}|{number}",
        line=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
        postal_code=commune.postcodes[0] if commune.postcodes else None,
        city=commune.name,
        insee=commune.code,
        latitude=round(commune.lat + rng.uniform(-0.01, 0.01), 5),
        longitude=round(commune.lon + rng.uniform(-0.01, 0.01), 5),
        phone=_phone(rng),
        adapter=adapter,
        modalities=modalities,
        marketplace_url=marketplace,
    )


def _new_id(rng: random.Random, prefix: str, digits: int, taken: set[str]) -> str:
    while True:
        value = f"{prefix}{rng.randrange(10**digits):0{digits}d}"
        if value not in taken:
            taken.add(value)
            return value


def _phone(rng: random.Random) -> str:
    return f"+33{rng.choice('12345')}{rng.randrange(10**8):08d}"


def store_directory(
    engine: Engine,
    directory: SyntheticDirectory,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Replace the stored directory with `directory`, in one transaction; returns how many
    practitioners were written (`on_progress` gets the running count)."""
    written = 0
    with write_directory(engine) as writer:
        writer.clear()
        writer.add_structures(directory.structures)
        while batch := list(itertools.islice(directory.practitioners, WRITE_BATCH)):
            writer.add_practitioners(batch)
            written += len(batch)
            if on_progress:
                on_progress(written)
    return written
