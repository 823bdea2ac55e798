"""The simulated vendor's agenda database: practitioners, their places and their slots.

Everything is drawn from `random.Random(seed)` so that `sas simulator dataset` and
`sas simulator serve` with the same options describe the same practitioners and places. Slot
times are anchored to the current hour in Europe/Paris and cover the next four days between 08:00
and 20:00 (digest §12: the platform looks up to 72 h ahead).

Slots hang off *schedules* (one agenda at one place, digest §4.3), not off practitioners, so that
structures owning schedules sit beside the practitioners without changing how slots are stored.

One dataset serves the three search flows:
- INT_R01 (digest §4): practitioners, their places and schedules;
- INT_R04 (digest §5): CPTS (IDNST `1` + FINESS) that practitioners belong to; some of a member's
  slots are visible to one or more of their CPTS;
- SOS Médecins (digest §6): associations (IDNST `3` + SIRET) with 1 to 3 fixed consultation
  sites (PFG/LFC), each with its own schedule.

Structures are drawn from generators of their own, seeded from `seed`, *after* the practitioners:
adding them left the practitioners, places and slot draws of every earlier dataset unchanged
(recorded cassettes and demos rely on that).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sas_core.clock import PARIS
from sas_core.conformance import scenarios
from sas_core.offer.models import StructureKind
from sas_core.slots.models import AppointmentType, Modality, SlotType

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
_AREAS = ("Centre", "Nord", "Sud", "Est", "Ouest", "Gare", "Rive Gauche", "Hôpital")
_CPTS_NAMES = (
    "CPTS Axe Majeur", "CPTS Cœur de Ville", "CPTS des Trois Vallées", "CPTS Val de Seine",
    "CPTS Pays des Étangs", "CPTS Littoral Sud", "CPTS Plaine et Coteaux", "CPTS Haut Bocage",
)  # fmt: skip
_SITE_NAMES = ("Point fixe de garde", "Centre de consultation", "Lieu fixe de consultation")

#: How many practitioners, from the first, never belong to a CPTS (see `build_dataset`).
PURE_PS_PRACTITIONERS = 3
#: FHIR days-of-week codes, Monday first as `date.weekday()` counts (digest §6.4, §16.19).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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
    #: TRE_R314 types other than CPTS; CPTS visibility is `cpts` (see `security_types`).
    slot_types: tuple[SlotType, ...]
    modalities: tuple[Modality, ...]
    appointment_type: AppointmentType
    reasons: tuple[str, ...]
    #: IDNST of the CPTS this slot is visible to (digest §5.3: one serviceType entry each).
    cpts: tuple[str, ...] = ()

    @property
    def security_types(self) -> tuple[SlotType, ...]:
        """Every `meta.security` code: a CPTS-visible slot adds CPTS to its other types (§5.3).

        Kept derived so that "visible to a CPTS" and "carries the CPTS code" cannot disagree.
        """
        return (*self.slot_types, SlotType.CPTS) if self.cpts else self.slot_types


@dataclass(frozen=True, slots=True, kw_only=True)
class SimAgenda:
    """What every simulated agenda has: one FHIR Schedule and its slots, busy ones included."""

    id: str
    slots: tuple[SimSlot, ...]

    @property
    def free_slots(self) -> tuple[SimSlot, ...]:
        return tuple(s for s in self.slots if s.free)


@dataclass(frozen=True, slots=True, kw_only=True)
class SimSchedule(SimAgenda):
    """A practitioner's agenda at one of their places (digest §4.3: one Schedule per place)."""

    place: SimPlace
    practitioner_id: str


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
    #: IDNST of the CPTS the practitioner belongs to (0..n).
    cpts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SimCpts:
    """A CPTS: the Organization (digest §5.5) and the HealthcareService slots point to (§5.4)."""

    #: Id of its Organization resource.
    id: str
    #: `1` + FINESS: the CPTS Organization's FINESS-invariant (digest §5.5).
    idnst: str
    name: str
    phone: str
    #: Id of its one HealthcareService, which `Slot.serviceType` entries reference (§5.3).
    service_id: str


@dataclass(frozen=True, slots=True)
class SimOpening:
    """One `Location.hoursOfOperation` entry; `days` are FHIR's lowercase codes (digest §16.19)."""

    days: tuple[str, ...]
    opening: time
    closing: time


@dataclass(frozen=True, slots=True)
class SimSite:
    """An SOS Médecins fixed consultation site (PFG/LFC): a standalone Location (digest §6.4)."""

    id: str
    name: str
    line: str
    city: str
    postal_code: str
    latitude: float
    longitude: float
    phone: str
    hours: tuple[SimOpening, ...]

    def opening_on(self, day: date) -> SimOpening | None:
        code = WEEKDAYS[day.weekday()]
        return next((h for h in self.hours if code in h.days), None)


@dataclass(frozen=True, slots=True)
class SimSos:
    """An SOS Médecins association, known by `3` + SIRET (digest §6.1, §6.4)."""

    #: Id of its Organization resource.
    id: str
    idnst: str
    name: str
    phone: str
    sites: tuple[SimSite, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SimSiteSchedule(SimAgenda):
    """The agenda of one SOS fixed site: digest §6.4 has one Schedule per PFG, actor Location."""

    site: SimSite
    association_id: str


@dataclass(frozen=True)
class Dataset:
    """The whole simulated vendor database, with lookups the HTTP layer needs."""

    seed: int
    anchor: datetime
    practitioners: tuple[SimPractitioner, ...]
    #: The practitioners' schedules only; SOS sites' are in `site_schedules`.
    schedules: tuple[SimSchedule, ...]
    cpts: tuple[SimCpts, ...] = ()
    sos: tuple[SimSos, ...] = ()
    site_schedules: tuple[SimSiteSchedule, ...] = ()
    _by_idnps: dict[str, SimPractitioner] = field(init=False, repr=False, compare=False)
    _by_id: dict[str, SimPractitioner] = field(init=False, repr=False, compare=False)
    _cpts_by_idnst: dict[str, SimCpts] = field(init=False, repr=False, compare=False)
    _sos_by_idnst: dict[str, SimSos] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_idnps", {p.idnps: p for p in self.practitioners})
        object.__setattr__(self, "_by_id", {p.id: p for p in self.practitioners})
        object.__setattr__(self, "_cpts_by_idnst", {c.idnst: c for c in self.cpts})
        object.__setattr__(self, "_sos_by_idnst", {a.idnst: a for a in self.sos})

    def by_idnps(self, idnps: str) -> SimPractitioner | None:
        return self._by_idnps.get(idnps)

    def by_id(self, practitioner_id: str) -> SimPractitioner | None:
        return self._by_id.get(practitioner_id)

    def schedules_of(self, practitioner: SimPractitioner) -> tuple[SimSchedule, ...]:
        """The practitioner's schedules, in the order of their places."""
        own = {s.place.id: s for s in self.schedules if s.practitioner_id == practitioner.id}
        return tuple(own[p.id] for p in practitioner.places)

    def cpts_by_idnst(self, idnst: str) -> SimCpts | None:
        return self._cpts_by_idnst.get(idnst)

    def sos_by_idnst(self, idnst: str) -> SimSos | None:
        return self._sos_by_idnst.get(idnst)

    def members_of(self, cpts: SimCpts) -> tuple[SimPractitioner, ...]:
        return tuple(p for p in self.practitioners if cpts.idnst in p.cpts)

    def site_schedules_of(self, association: SimSos) -> tuple[SimSiteSchedule, ...]:
        """The association's site schedules, in the order of its sites."""
        own = {s.site.id: s for s in self.site_schedules if s.association_id == association.id}
        return tuple(own[site.id] for site in association.sites)

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
                    "cpts": list(p.cpts),
                }
            )
        return {
            "seed": self.seed,
            "anchor": self.anchor.isoformat(),
            "practitioners": practitioners,
            "structures": [*map(self._cpts_json, self.cpts), *map(self._sos_json, self.sos)],
        }

    def _cpts_json(self, cpts: SimCpts) -> dict[str, Any]:
        members = self.members_of(cpts)
        visible = sum(
            1
            for p in members
            for schedule in self.schedules_of(p)
            for slot in schedule.free_slots
            if cpts.idnst in slot.cpts
        )
        return {
            "idnst": cpts.idnst,
            "kind": StructureKind.CPTS.value,
            "id": cpts.id,
            "name": cpts.name,
            "phone": cpts.phone,
            "healthcare_service": cpts.service_id,
            "members": [p.idnps for p in members],
            # Free slots of its members that are visible to this CPTS.
            "free_slots": visible,
        }

    def _sos_json(self, association: SimSos) -> dict[str, Any]:
        schedules = self.site_schedules_of(association)
        return {
            "idnst": association.idnst,
            "kind": StructureKind.SOS.value,
            "id": association.id,
            "name": association.name,
            "phone": association.phone,
            "sites": [
                {
                    "id": s.site.id,
                    "name": s.site.name,
                    "line": s.site.line,
                    "city": s.site.city,
                    "postal_code": s.site.postal_code,
                    "latitude": s.site.latitude,
                    "longitude": s.site.longitude,
                    "phone": s.site.phone,
                    "hours": [
                        {
                            "days": list(h.days),
                            "opening": h.opening.isoformat(),
                            "closing": h.closing.isoformat(),
                        }
                        for h in s.site.hours
                    ],
                    "schedule": s.id,
                    "free_slots": len(s.free_slots),
                }
                for s in schedules
            ],
            "free_slots": sum(len(s.free_slots) for s in schedules),
        }


#: Opening-hour patterns of SOS fixed sites. Every pattern opens every day (SOS Médecins answer
#: seven days a week), which is what guarantees free site slots in any 48 h window.
_SITE_HOURS: tuple[tuple[SimOpening, ...], ...] = (
    (
        SimOpening(WEEKDAYS[:5], time(8), time(20)),
        SimOpening(WEEKDAYS[5:], time(9), time(18)),
    ),
    (SimOpening(WEEKDAYS, time(8), time(20)),),
    (
        SimOpening(WEEKDAYS[:6], time(9), time(20)),
        SimOpening(WEEKDAYS[6:], time(10), time(18)),
    ),
)


def anchor_hour(now: datetime | None = None) -> datetime:
    """`now` (default: the current time) in Europe/Paris, floored to the hour."""
    current = datetime.now(PARIS) if now is None else now.astimezone(PARIS)
    return current.replace(minute=0, second=0, microsecond=0)


def build_dataset(
    seed: int = 42,
    practitioners: int = 10,
    *,
    now: datetime | None = None,
    cpts: int = 3,
    sos: int = 2,
    acceptance: bool = True,
) -> Dataset:
    """Draw a deterministic dataset, plus (with `acceptance`) the acceptance scenarios.

    The first practitioner always has exactly one place and the second exactly two, so demos and
    tests have both shapes of digest §4.3 (1 vs N PractitionerRoles/Schedules) to search for.
    Practitioners and places depend only on `seed` and `practitioners`; each schedule's slots
    come from their own generator, so the anchor time never changes who is in the dataset.

    `cpts` CPTS and `sos` SOS Médecins associations come from generators of their own, so their
    number never changes the practitioners. Guarantees (for the default 10 practitioners, 3 CPTS,
    2 associations): the fourth practitioner belongs to the first two CPTS and has, every day, a
    free slot visible to both (digest §5.2's two-CPTS case); the first association has two sites;
    every site schedule has a free slot in every session. The first three practitioners belong
    to no CPTS: they stay the pure INT_R01 answers that existing demos, tests and recorded
    cassettes query (PUBLIC/PRO/SNP only).
    """
    if practitioners < 1:
        raise ValueError("a dataset needs at least one practitioner")
    if cpts < 0 or sos < 0:
        raise ValueError("the numbers of CPTS and SOS associations cannot be negative")
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
    communities = _communities(seed, cpts)
    people = [
        replace(person, cpts=membership)
        for person, membership in zip(
            people, _memberships(seed, len(people), communities), strict=True
        )
    ]
    schedules = tuple(
        SimSchedule(
            id=f"{person.id}-{place.id}",
            place=place,
            practitioner_id=person.id,
            slots=tuple(_slots(seed, f"{person.id}-{place.id}", anchor, person.cpts)),
        )
        for person in people
        for place in person.places
    )
    associations = _associations(seed, sos)
    site_schedules = tuple(
        SimSiteSchedule(
            id=f"{association.id}-{site.id}",
            site=site,
            association_id=association.id,
            slots=tuple(_site_slots(seed, f"{association.id}-{site.id}", anchor, site)),
        )
        for association in associations
        for site in association.sites
    )
    seeded = Dataset(
        seed=seed,
        anchor=anchor,
        practitioners=tuple(people),
        schedules=schedules,
        cpts=communities,
        sos=associations,
        site_schedules=site_schedules,
    )
    return with_acceptance_scenarios(seeded) if acceptance else seeded


def _communities(seed: int, count: int) -> tuple[SimCpts, ...]:
    """`count` CPTS with unique FINESS-based IDNST and unique names.

    CPTS are named after territories, not towns (as the IG's "CPTS AXE MAJEUR"): members are
    drawn without regard to geography, so a town name would tell something false.
    """
    rng = random.Random(f"{seed}:cpts")
    names = list(_CPTS_NAMES)
    rng.shuffle(names)
    found: list[SimCpts] = []
    idnst_seen: set[str] = set()
    for index in range(count):
        idnst = "1" + _digits(rng, 9)
        while idnst in idnst_seen:
            idnst = "1" + _digits(rng, 9)
        idnst_seen.add(idnst)
        round_ = index // len(names)
        name = names[index % len(names)] + (f" {round_ + 1}" if round_ else "")
        found.append(
            SimCpts(
                id=f"cpts-{index + 1:03d}",
                idnst=idnst,
                name=name,
                phone=f"+33{rng.choice(CITIES).phone_zone}{_digits(rng, 8)}",
                service_id=f"hs-cpts-{index + 1:03d}",
            )
        )
    return tuple(found)


def _memberships(seed: int, count: int, communities: tuple[SimCpts, ...]) -> list[tuple[str, ...]]:
    """Each practitioner's CPTS (IDNST), in the order of `communities`.

    Practitioners 1 to 3 belong to none (see `build_dataset`); the fourth belongs to the first
    two CPTS; the others to 0, 1 or 2 CPTS at random.
    """
    rng = random.Random(f"{seed}:cpts-members")
    result: list[tuple[str, ...]] = []
    for index in range(count):
        if index < PURE_PS_PRACTITIONERS or not communities:
            result.append(())
            continue
        if index == PURE_PS_PRACTITIONERS and len(communities) >= 2:
            result.append((communities[0].idnst, communities[1].idnst))
            continue
        wanted = min(rng.choices((0, 1, 2), weights=(3, 5, 2))[0], len(communities))
        chosen = sorted(rng.sample(range(len(communities)), wanted))
        result.append(tuple(communities[i].idnst for i in chosen))
    return result


def _associations(seed: int, count: int) -> tuple[SimSos, ...]:
    """`count` SOS Médecins associations, in distinct towns while there are towns left.

    The first has two sites (digest §6.3's multi-site shape); the others 1 to 3 (§6.4).
    """
    rng = random.Random(f"{seed}:sos")
    towns = rng.sample(CITIES, min(count, len(CITIES)))
    found: list[SimSos] = []
    siret_seen: set[str] = set()
    site_number = 0
    for index in range(count):
        city = towns[index % len(towns)]
        idnst = "3" + _digits(rng, 14)
        while idnst in siret_seen:
            idnst = "3" + _digits(rng, 14)
        siret_seen.add(idnst)
        site_count = 2 if index == 0 else rng.choice((1, 2, 3))
        sites: list[SimSite] = []
        for area in rng.sample(_AREAS, site_count):
            site_number += 1
            street = rng.choice(_STREETS)
            sites.append(
                SimSite(
                    id=f"pfg-{site_number:03d}",
                    name=f"{rng.choice(_SITE_NAMES)} {city.name} {area}",
                    line=f"{rng.randint(1, 120)} {street}",
                    city=city.name,
                    postal_code=city.postal_code,
                    latitude=round(city.latitude + rng.uniform(-0.03, 0.03), 5),
                    longitude=round(city.longitude + rng.uniform(-0.03, 0.03), 5),
                    phone=f"+33{city.phone_zone}{_digits(rng, 8)}",
                    hours=rng.choice(_SITE_HOURS),
                )
            )
        suffix = "" if index < len(towns) else f" {index // len(towns) + 1}"
        found.append(
            SimSos(
                id=f"sos-{index + 1:03d}",
                idnst=idnst,
                name=f"SOS Médecins {city.name}{suffix}",
                phone=f"+33{city.phone_zone}{_digits(rng, 8)}",
                sites=tuple(sites),
            )
        )
    return tuple(found)


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


def _session(day: date, begin: time, finish: time, step: timedelta) -> list[datetime]:
    """Start times of the `step`-long slots fitting between `begin` and `finish` on `day`."""
    start = datetime.combine(day, begin, PARIS)
    stop = datetime.combine(day, finish, PARIS)
    times: list[datetime] = []
    while start + step <= stop:
        times.append(start)
        start += step
    return times


def _slots(
    seed: int, schedule_id: str, anchor: datetime, cpts: tuple[str, ...] = ()
) -> Iterator[SimSlot]:
    """The schedule's slots between the anchor and anchor + HORIZON, 08:00–20:00 Paris.

    Drawn per calendar day from a generator seeded by (seed, schedule, date), so a given day
    looks the same whatever the anchor hour. Every working session keeps at least one free slot,
    which guarantees free slots in any 48 h window. For a CPTS member (`cpts` not empty), that
    always-free slot is visible to all of their CPTS, so every window holds a free slot visible
    to each; CPTS visibility is drawn from a separate generator and leaves the rest of the slot
    as it was before CPTS existed.
    """
    step = timedelta(minutes=random.Random(f"{seed}:{schedule_id}").choice((15, 20, 30)))
    for day in _days(anchor):
        rng = random.Random(f"{seed}:{schedule_id}:{day.isoformat()}")
        sessions = rng.choice(((8, 12), (14, 20), (8, 12, 14, 20), (9, 13, 15, 19)))
        for begin, finish in zip(sessions[::2], sessions[1::2], strict=True):
            times = _session(day, time(begin), time(finish), step)
            always_free = rng.randrange(len(times))
            for position, slot_start in enumerate(times):
                slot = _slot(rng, schedule_id, slot_start, step, position == always_free)
                if cpts:
                    slot = _cpts_visibility(seed, slot, cpts, position == always_free)
                if anchor <= slot.start < anchor + HORIZON:
                    yield slot


def _cpts_visibility(seed: int, slot: SimSlot, cpts: tuple[str, ...], guaranteed: bool) -> SimSlot:
    """Make a member's slot visible to all (`guaranteed`) or, at random, some of their CPTS."""
    if guaranteed:
        return replace(slot, cpts=cpts)
    rng = random.Random(f"{seed}:{slot.id}:cpts")
    if rng.random() >= 0.4:
        return slot
    chosen = tuple(c for c in cpts if rng.random() < 0.6) or (rng.choice(cpts),)
    return replace(slot, cpts=chosen)


def _site_slots(seed: int, schedule_id: str, anchor: datetime, site: SimSite) -> Iterator[SimSlot]:
    """An SOS site's slots inside its opening hours, with one free slot a day at least.

    Same per-day seeding as `_slots`. Digest §6.1/§6.4: only PUBLIC and SNP slots, no motives.
    """
    step = timedelta(minutes=random.Random(f"{seed}:{schedule_id}").choice((15, 20, 30)))
    for day in _days(anchor):
        opening = site.opening_on(day)
        if opening is None:
            continue
        rng = random.Random(f"{seed}:{schedule_id}:{day.isoformat()}")
        times = _session(day, opening.opening, opening.closing, step)
        always_free = rng.randrange(len(times))
        for position, slot_start in enumerate(times):
            slot = _site_slot(rng, schedule_id, slot_start, step, position == always_free)
            if anchor <= slot.start < anchor + HORIZON:
                yield slot


def _site_slot(
    rng: random.Random, schedule_id: str, start: datetime, step: timedelta, force_free: bool
) -> SimSlot:
    free = force_free or rng.random() < 0.5
    slot_types = tuple(t for t in (SlotType.PUBLIC, SlotType.SNP) if rng.random() < 0.6) or (
        SlotType.SNP,
    )
    modalities = rng.choices(
        ((Modality.AMB,), (Modality.AMB, Modality.VR), (Modality.VR,), (Modality.HH,)),
        weights=(7, 1, 1, 1),
    )[0]
    walk_in = rng.random() < 0.25
    return SimSlot(
        id=f"{schedule_id}-{start:%Y%m%d%H%M}",
        start=start,
        end=start + step,
        free=free,
        slot_types=slot_types,
        modalities=modalities,
        appointment_type=AppointmentType.WALKIN if walk_in else AppointmentType.ROUTINE,
        reasons=(),
    )


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
    if walk_in:
        # This draw once decided whether a walk-in slot had a booking URL; every slot has one now
        # (the test kit requires it, digest §16.10), and the draw stays so that the slots drawn
        # after it, which recorded cassettes hold, do not change.
        rng.random()
    return SimSlot(
        id=f"{schedule_id}-{start:%Y%m%d%H%M}",
        start=start,
        end=start + step,
        free=free,
        slot_types=slot_types,
        modalities=modalities,
        appointment_type=AppointmentType.WALKIN if walk_in else AppointmentType.ROUTINE,
        reasons=reasons,
    )


def with_acceptance_scenarios(dataset: Dataset) -> Dataset:
    """`dataset` plus the entities of ANS's acceptance scenarios, under the fixed identifiers
    `sas conformance` searches by default (`sas_core.conformance.scenarios`).

    Kept apart from the seeded generation (and after it): the seeded practitioners, structures
    and slots stay exactly as they were. What it adds, digest §4.3, §5.2, §6.3:
    - a practitioner consulting in two places (two roles, two schedules, one Practitioner);
    - a second practitioner, so one search answers for two;
    - a practitioner whose slots are all CPTS-only (meta.security CPTS alone), each visible to
      the same two CPTS: one slot offered through two CPTS;
    - an SOS Médecins association with two sites.
    Slots come from the same generators as the seeded ones, so every session keeps a free slot.
    """
    seed, anchor = dataset.seed, dataset.anchor
    communities = tuple(
        SimCpts(
            id=f"cpts-acc-{n}",
            idnst=finess,
            name=f"CPTS Recette {n}",
            phone=f"+3314500000{n}",
            service_id=f"hs-cpts-acc-{n}",
        )
        for n, finess in enumerate(scenarios.CPTS_FINESS, start=1)
    )
    paris = CITIES[0]

    def place(n: int, structure: str) -> SimPlace:
        return SimPlace(
            id=f"pl-acc-{n}",
            name=f"Cabinet de recette {n}",
            line=f"{n} rue de la Recette",
            city=paris.name,
            postal_code=paris.postal_code,
            latitude=round(paris.latitude + n / 1000, 5),
            longitude=round(paris.longitude + n / 1000, 5),
            structure=structure,
            phone=f"+3314500001{n}",
        )

    both = tuple(c.idnst for c in communities)
    people = (
        SimPractitioner(
            id="ps-acc-1",
            idnps=scenarios.RPPS_TWO_PLACES,
            family="RECETTE",
            given="Camille",
            specialties=("SM54",),
            places=(place(1, "1999000011"), place(2, "399900000200010")),
        ),
        SimPractitioner(
            id="ps-acc-2",
            idnps=scenarios.RPPS_SECOND,
            family="RECETTE",
            given="Hugo",
            specialties=("SM04", "SM54"),
            places=(place(3, "499900000300010"),),
        ),
        SimPractitioner(
            id="ps-acc-3",
            idnps=scenarios.RPPS_TWO_CPTS,
            family="RECETTE",
            given="Inès",
            specialties=("SM54",),
            places=(place(4, "1999000044"),),
            cpts=both,
        ),
    )

    def agenda(person: SimPractitioner, where: SimPlace) -> SimSchedule:
        schedule_id = f"{person.id}-{where.id}"
        slots = tuple(_slots(seed, schedule_id, anchor))
        if person.cpts:
            # CPTS-only: no other type, visible to every CPTS of the practitioner.
            slots = tuple(replace(s, slot_types=(), cpts=person.cpts) for s in slots)
        return SimSchedule(id=schedule_id, place=where, practitioner_id=person.id, slots=slots)

    schedules = tuple(agenda(p, where) for p in people for where in p.places)
    sites = tuple(
        SimSite(
            id=f"pfg-acc-{n}",
            name=f"Point fixe de garde Recette {n}",
            line=f"{n} place de la Recette",
            city=paris.name,
            postal_code=paris.postal_code,
            latitude=round(paris.latitude - n / 1000, 5),
            longitude=round(paris.longitude - n / 1000, 5),
            phone=f"+3314500002{n}",
            hours=_SITE_HOURS[1],
        )
        for n in (1, 2)
    )
    association = SimSos(
        id="sos-acc-1",
        idnst=scenarios.SOS_SIRET,
        name="SOS Médecins Recette",
        phone="+33145000030",
        sites=sites,
    )
    site_schedules = tuple(
        SimSiteSchedule(
            id=f"{association.id}-{site.id}",
            site=site,
            association_id=association.id,
            slots=tuple(_site_slots(seed, f"{association.id}-{site.id}", anchor, site)),
        )
        for site in sites
    )
    return replace(
        dataset,
        practitioners=(*dataset.practitioners, *people),
        schedules=(*dataset.schedules, *schedules),
        cpts=(*dataset.cpts, *communities),
        sos=(*dataset.sos, association),
        site_schedules=(*dataset.site_schedules, *site_schedules),
    )
