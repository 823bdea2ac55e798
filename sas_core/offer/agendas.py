"""The people, places and structures the simulated vendors hold agendas for, drawn from a seed.

Moved here from the simulator so that the offer directory's generator (`synthetic.py`) and the
simulator's dataset (`sas_simulator.dataset`, which adds the slots) draw the *same* practitioners,
places, CPTS and SOS associations from the same seed: a demo search then finds, in the directory,
the practitioners whose live slots the simulated vendors serve. The draws are unchanged from the
simulator's (same generators, same order), so recorded cassettes and demos keep their data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, time

from sas_core.offer.nomenclature import SPECIALTIES as NOMENCLATURE

#: Vendor-side system of the places' technical ids (digest §3: a vendor OID or URL).
PLACE_ID_SYSTEM = "https://sas-simulator.example/lieu"


#: The TRE_R38 specialties the simulated vendors draw (digest §13), general practice first and
#: dominant; their labels are the nomenclature's. The order is part of the draws.
SPECIALTIES: dict[str, str] = {
    code: NOMENCLATURE[code] for code in ("SM54", "SM04", "SM15", "SM40", "SM41", "SM05")
}


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

FAMILY_NAMES = (
    "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU",
    "LAURENT", "SIMON", "MICHEL", "LEFEBVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL",
    "FOURNIER", "GIRARD", "BONNET", "DUPONT", "LAMBERT", "FONTAINE", "ROUSSEAU", "VINCENT",
)  # fmt: skip
GIVEN_NAMES = (
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Claire", "Hélène", "Sophie",
    "Lucas", "Hugo", "Louis", "Jules", "Paul", "Antoine", "Sébastien", "Nicolas", "Julien",
    "Mathieu", "Karim", "Yasmine", "Amadou", "Thi Lan",
)  # fmt: skip
STREETS = (
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

#: How many practitioners, from the first, never belong to a CPTS (see `draw_practitioners`).
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

    Practitioners 1 to 3 belong to none (see `draw_practitioners`); the fourth belongs to the first
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
            street = rng.choice(STREETS)
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
    street = rng.choice(STREETS)
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


def draw_practitioners(
    seed: int, count: int, cpts: int = 3
) -> tuple[tuple[SimPractitioner, ...], tuple[SimCpts, ...]]:
    """`count` practitioners with their places, and `cpts` CPTS they belong to.

    The first practitioner always has exactly one place and the second exactly two (both shapes
    of digest §4.3); practitioners 1 to 3 belong to no CPTS, the fourth to the first two (see
    `_memberships`). CPTS come from a generator of their own, so their number never changes the
    practitioners.
    """
    rng = random.Random(seed)
    pool: list[SimPlace] = []
    people: list[SimPractitioner] = []
    rpps_seen: set[str] = set()
    for index in range(count):
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
                family=rng.choice(FAMILY_NAMES),
                given=rng.choice(GIVEN_NAMES),
                specialties=specialties,
                places=tuple(places),
            )
        )
    communities = _communities(seed, cpts)
    members = _memberships(seed, len(people), communities)
    return (
        tuple(replace(person, cpts=m) for person, m in zip(people, members, strict=True)),
        communities,
    )


def draw_associations(seed: int, count: int) -> tuple[SimSos, ...]:
    """`count` SOS Médecins associations with their fixed sites (see `_associations`)."""
    return _associations(seed, count)
