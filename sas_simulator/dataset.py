"""The simulated vendor's agenda database: practitioners, their places and their slots.

Everything is drawn from `random.Random(seed)` so that `sas simulator dataset` and
`sas simulator serve` with the same options describe the same practitioners and places. Slot
times are anchored to the current hour in Europe/Paris and cover the next four days between 08:00
and 20:00 (digest §12: the platform looks up to 72 h ahead).

Slots hang off *schedules* (one agenda at one place, digest §4.3), not off practitioners, so that
structures owning schedules (SOS Médecins fixed sites, CPTS) can be added later beside the
practitioners without changing how slots are stored or searched.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sas_core.slots import AppointmentType, Modality, SlotType

PARIS = ZoneInfo("Europe/Paris")
#: How far ahead the generated slots go, from the anchor hour.
HORIZON = timedelta(days=4)
DAY_START = time(8, 0)
DAY_END = time(20, 0)
#: Vendor-side system of the places' technical ids (digest §3: a vendor OID or URL).
PLACE_ID_SYSTEM = "https://sas-simulator.example/lieu"

#: TRE_R38 specialty codes (digest §13) with their labels, general practice first and dominant.
SPECIALTIES: dict[str, str] = {
    "SM54": "Médecine générale",
    "SM04": "Cardiologie et maladies vasculaires",
    "SM15": "Dermatologie et vénéréologie",
    "SM40": "Pédiatrie",
    "SM41": "Pneumologie",
    "SM05": "Chirurgie générale",
}

REASONS = (
    "Consultation de suivi",
    "Renouvellement d'ordonnance",
    "Certificat médical",
    "Visite urgente",
    "Première consultation",
)


@dataclass(frozen=True, slots=True)
class City:
    name: str
    postal_code: str
    latitude: float
    longitude: float
    #: The first digit of local phone numbers (01 Île-de-France … 05 south-west).
    phone_zone: str


CITIES: tuple[City, ...] = (
    City("Paris", "75011", 48.8590, 2.3800, "1"),
    City("Lyon", "69003", 45.7600, 4.8500, "4"),
    City("Marseille", "13005", 43.2950, 5.3950, "4"),
    City("Toulouse", "31000", 43.6040, 1.4440, "5"),
    City("Nice", "06000", 43.7030, 7.2660, "4"),
    City("Nantes", "44000", 47.2180, -1.5540, "2"),
    City("Strasbourg", "67000", 48.5730, 7.7520, "3"),
    City("Montpellier", "34000", 43.6110, 3.8770, "4"),
    City("Bordeaux", "33000", 44.8380, -0.5790, "5"),
    City("Lille", "59000", 50.6290, 3.0570, "3"),
    City("Rennes", "35000", 48.1170, -1.6780, "2"),
    City("Reims", "51100", 49.2580, 4.0320, "3"),
    City("Saint-Étienne", "42000", 45.4390, 4.3870, "4"),
    City("Toulon", "83000", 43.1240, 5.9280, "4"),
    City("Grenoble", "38000", 45.1880, 5.7240, "4"),
    City("Dijon", "21000", 47.3220, 5.0410, "3"),
    City("Angers", "49100", 47.4780, -0.5630, "2"),
    City("Nîmes", "30000", 43.8360, 4.3600, "4"),
    City("Clermont-Ferrand", "63000", 45.7780, 3.0870, "4"),
    City("Agen", "47000", 44.2030, 0.6160, "5"),
    City("Limoges", "87000", 45.8330, 1.2610, "5"),
)

_FAMILIES = (
    "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU",
    "LAURENT", "SIMON", "MICHEL", "LEFEBVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL",
    "FOURNIER", "GIRARD", "BONNET", "DUPONT", "LAMBERT", "FONTAINE", "ROUSSEAU", "VINCENT",
)  # fmt: skip
_GIVENS = (
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Claire", "Hélène", "Sophie",
    "Lucas", "Hugo", "Louis", "Jules", "Paul", "Antoine", "Sébastien", "Nicolas", "Julien",
    "Mathieu", "Karim", "Yasmine", "Amadou", "Thi Lan",
)  # fmt: skip
_STREETS = (
    "rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard Gambetta",
    "place de la Mairie", "rue Pasteur", "avenue du Général de Gaulle", "rue des Écoles",
    "rue Émile Zola", "allée des Tilleuls", "rue du Marché", "quai de la Loire",
)  # fmt: skip
_PLACE_NAMES = ("Cabinet médical", "Centre médical", "Cabinet", "Maison médicale")


@dataclass(frozen=True, slots=True)
class SimPlace:
    """A place of consultation with the structure (IDNST) it belongs to."""

    id: str
    name: str
    line: str
    city: str
    postal_code: str
    latitude: float
    longitude: float
    #: Prefixed IDNST: `1` + FINESS, `3` + SIRET or `4` + RPPS-rang (digest §3).
    structure: str
    #: E.164 phone, `+33…` (digest §3).
    phone: str


@dataclass(frozen=True, slots=True)
class SimSlot:
    id: str
    start: datetime
    end: datetime
    free: bool
    slot_types: tuple[SlotType, ...]
    modalities: tuple[Modality, ...]
    appointment_type: AppointmentType
    reasons: tuple[str, ...]
    #: False for some walk-in slots: the IG's WALKIN example has no booking URL (digest §16.10).
    bookable_online: bool


@dataclass(frozen=True, slots=True)
class SimSchedule:
    """One agenda at one place. Today its owner is a practitioner; later also a structure."""

    id: str
    place: SimPlace
    practitioner_id: str
    slots: tuple[SimSlot, ...]

    @property
    def free_slots(self) -> tuple[SimSlot, ...]:
        return tuple(s for s in self.slots if s.free)


@dataclass(frozen=True, slots=True)
class SimPractitioner:
    id: str
    #: Prefixed IDNPS: `8` + 11-digit RPPS.
    idnps: str
    family: str
    given: str
    #: TRE_R38 codes.
    specialties: tuple[str, ...]
    places: tuple[SimPlace, ...]


@dataclass(frozen=True)
class Dataset:
    """The whole simulated vendor database, with lookups the HTTP layer needs."""

    seed: int
    anchor: datetime
    practitioners: tuple[SimPractitioner, ...]
    schedules: tuple[SimSchedule, ...]
    _by_idnps: dict[str, SimPractitioner] = field(init=False, repr=False, compare=False)
    _by_id: dict[str, SimPractitioner] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_idnps", {p.idnps: p for p in self.practitioners})
        object.__setattr__(self, "_by_id", {p.id: p for p in self.practitioners})

    def by_idnps(self, idnps: str) -> SimPractitioner | None:
        return self._by_idnps.get(idnps)

    def by_id(self, practitioner_id: str) -> SimPractitioner | None:
        return self._by_id.get(practitioner_id)

    def schedules_of(self, practitioner: SimPractitioner) -> tuple[SimSchedule, ...]:
        """The practitioner's schedules, in the order of their places."""
        own = {s.place.id: s for s in self.schedules if s.practitioner_id == practitioner.id}
        return tuple(own[p.id] for p in practitioner.places)

    def as_json(self) -> dict[str, Any]:
        """The public description printed by `sas simulator dataset --format json`."""
        practitioners = []
        for p in self.practitioners:
            schedules = self.schedules_of(p)
            practitioners.append(
                {
                    "id": p.id,
                    "idnps": p.idnps,
                    "family": p.family,
                    "given": p.given,
                    "specialties": list(p.specialties),
                    "places": [
                        {
                            "id": s.place.id,
                            "name": s.place.name,
                            "line": s.place.line,
                            "city": s.place.city,
                            "postal_code": s.place.postal_code,
                            "latitude": s.place.latitude,
                            "longitude": s.place.longitude,
                            "structure": s.place.structure,
                            "phone": s.place.phone,
                            "free_slots": len(s.free_slots),
                        }
                        for s in schedules
                    ],
                    "free_slots": sum(len(s.free_slots) for s in schedules),
                }
            )
        return {
            "seed": self.seed,
            "anchor": self.anchor.isoformat(),
            "practitioners": practitioners,
        }


def anchor_hour(now: datetime | None = None) -> datetime:
    """`now` (default: the current time) in Europe/Paris, floored to the hour."""
    current = datetime.now(PARIS) if now is None else now.astimezone(PARIS)
    return current.replace(minute=0, second=0, microsecond=0)


def build_dataset(
    seed: int = 42, practitioners: int = 10, *, now: datetime | None = None
) -> Dataset:
    """Draw a deterministic dataset.

    The first practitioner always has exactly one place and the second exactly two, so demos and
    tests have both shapes of digest §4.3 (1 vs N PractitionerRoles/Schedules) to search for.
    Practitioners and places depend only on `seed` and `practitioners`; each schedule's slots
    come from their own generator, so the anchor time never changes who is in the dataset.
    """
    if practitioners < 1:
        raise ValueError("a dataset needs at least one practitioner")
    anchor = anchor_hour(now)
    rng = random.Random(seed)
    pool: list[SimPlace] = []
    people: list[SimPractitioner] = []
    rpps_seen: set[str] = set()
    for index in range(practitioners):
        rpps = _unique_rpps(rng, rpps_seen)
        place_count = {0: 1, 1: 2}.get(index, rng.choice((1, 1, 2, 2, 3)))
        places: list[SimPlace] = []
        while len(places) < place_count:
            # A place already in the pool is reused now and then: group practices exist, and
            # the platform must keep apart two practitioners' schedules at one address.
            shared = [p for p in pool if p not in places]
            if index > 1 and shared and rng.random() < 0.2:
                places.append(rng.choice(shared))
            else:
                # Most practitioners work in one town; some also consult further away.
                near = places[0].city if places and rng.random() < 0.7 else None
                place = _new_place(rng, len(pool) + 1, near)
                pool.append(place)
                places.append(place)
        main = "SM54" if rng.random() < 0.6 else rng.choice(list(SPECIALTIES)[1:])
        # A few specialists also practise general medicine: slots then carry two specialties.
        extra = ("SM54",) if main != "SM54" and rng.random() < 0.3 else ()
        specialties = (main, *extra)
        people.append(
            SimPractitioner(
                id=f"ps-{index + 1:03d}",
                idnps="8" + rpps,
                family=rng.choice(_FAMILIES),
                given=rng.choice(_GIVENS),
                specialties=specialties,
                places=tuple(places),
            )
        )
    schedules = tuple(
        SimSchedule(
            id=f"{person.id}-{place.id}",
            place=place,
            practitioner_id=person.id,
            slots=tuple(_slots(seed, f"{person.id}-{place.id}", anchor)),
        )
        for person in people
        for place in person.places
    )
    return Dataset(seed=seed, anchor=anchor, practitioners=tuple(people), schedules=schedules)


def _unique_rpps(rng: random.Random, seen: set[str]) -> str:
    while True:
        rpps = "10" + "".join(rng.choice("0123456789") for _ in range(9))
        if rpps not in seen:
            seen.add(rpps)
            return rpps


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _new_place(rng: random.Random, number: int, city_name: str | None) -> SimPlace:
    city = rng.choice(CITIES)
    if city_name is not None:
        city = next(c for c in CITIES if c.name == city_name)
    kind = rng.choices(("finess", "siret", "rpps-rang"), weights=(2, 3, 5))[0]
    structure = {
        "finess": "1" + _digits(rng, 9),
        "siret": "3" + _digits(rng, 14),
        "rpps-rang": "4" + _digits(rng, 14),
    }[kind]
    street = rng.choice(_STREETS)
    return SimPlace(
        id=f"pl-{number:03d}",
        name=f"{rng.choice(_PLACE_NAMES)} {street.split(' ', 1)[1]}",
        line=f"{rng.randint(1, 120)} {street}",
        city=city.name,
        postal_code=city.postal_code,
        latitude=round(city.latitude + rng.uniform(-0.02, 0.02), 5),
        longitude=round(city.longitude + rng.uniform(-0.02, 0.02), 5),
        structure=structure,
        phone=f"+33{city.phone_zone}{_digits(rng, 8)}",
    )


def _days(anchor: datetime) -> Iterator[date]:
    first = anchor.date()
    for offset in range(HORIZON.days + 1):
        yield first + timedelta(days=offset)


def _slots(seed: int, schedule_id: str, anchor: datetime) -> Iterator[SimSlot]:
    """The schedule's slots between the anchor and anchor + HORIZON, 08:00–20:00 Paris.

    Drawn per calendar day from a generator seeded by (seed, schedule, date), so a given day
    looks the same whatever the anchor hour. Every working session keeps at least one free slot,
    which guarantees free slots in any 48 h window.
    """
    step = timedelta(minutes=random.Random(f"{seed}:{schedule_id}").choice((15, 20, 30)))
    for day in _days(anchor):
        rng = random.Random(f"{seed}:{schedule_id}:{day.isoformat()}")
        sessions = rng.choice(((8, 12), (14, 20), (8, 12, 14, 20), (9, 13, 15, 19)))
        for begin, finish in zip(sessions[::2], sessions[1::2], strict=True):
            start = datetime.combine(day, time(begin), PARIS)
            stop = datetime.combine(day, time(finish), PARIS)
            times: list[datetime] = []
            while start + step <= stop:
                times.append(start)
                start += step
            always_free = rng.randrange(len(times))
            for position, slot_start in enumerate(times):
                slot = _slot(rng, schedule_id, slot_start, step, position == always_free)
                if anchor <= slot.start < anchor + HORIZON:
                    yield slot


def _slot(
    rng: random.Random, schedule_id: str, start: datetime, step: timedelta, force_free: bool
) -> SimSlot:
    free = force_free or rng.random() < 0.6
    slot_types = tuple(
        t for t in (SlotType.PUBLIC, SlotType.PRO, SlotType.SNP) if rng.random() < 0.45
    ) or (SlotType.SNP,)
    modalities = rng.choices(
        ((Modality.AMB,), (Modality.AMB, Modality.VR), (Modality.VR,), (Modality.HH,)),
        weights=(6, 2, 1, 1),
    )[0]
    walk_in = rng.random() < 0.1
    reasons = (rng.choice(REASONS),) if rng.random() < 0.3 else ()
    return SimSlot(
        id=f"{schedule_id}-{start:%Y%m%d%H%M}",
        start=start,
        end=start + step,
        free=free,
        slot_types=slot_types,
        modalities=modalities,
        appointment_type=AppointmentType.WALKIN if walk_in else AppointmentType.ROUTINE,
        reasons=reasons,
        bookable_online=not walk_in or rng.random() < 0.5,
    )
