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

The practitioners, places and structures themselves are drawn by `sas_core.offer.agendas`, which
the offer directory's generator shares (so a demo search finds these practitioners); this module
adds their schedules and slots. Structures are drawn from generators of their own, seeded from
`seed`, *after* the practitioners: adding them left the practitioners, places and slot draws of
every earlier dataset unchanged (recorded cassettes and demos rely on that).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sas_core.clock import PARIS
from sas_core.offer.agendas import (
    PLACE_ID_SYSTEM,
    SPECIALTIES,
    WEEKDAYS,
    SimCpts,
    SimPlace,
    SimPractitioner,
    SimSite,
    SimSos,
    draw_associations,
    draw_practitioners,
)
from sas_core.offer.models import StructureKind
from sas_core.slots.models import AppointmentType, Modality, SlotType

#: What the simulator's modules import from here, the people and places drawn by
#: `sas_core.offer.agendas` included.
__all__ = [
    "PARIS",
    "PLACE_ID_SYSTEM",
    "SPECIALTIES",
    "WEEKDAYS",
    "Dataset",
    "SimAgenda",
    "SimCpts",
    "SimPlace",
    "SimPractitioner",
    "SimSchedule",
    "SimSite",
    "SimSiteSchedule",
    "SimSlot",
    "SimSos",
    "anchor_hour",
    "build_dataset",
]

#: How far ahead the generated slots go, from the anchor hour.
HORIZON = timedelta(days=4)
DAY_START = time(8, 0)
DAY_END = time(20, 0)

REASONS = (
    "Consultation de suivi",
    "Renouvellement d'ordonnance",
    "Certificat médical",
    "Visite urgente",
    "Première consultation",
)


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
    #: False for some walk-in slots: the IG's WALKIN example has no booking URL (digest §16.10).
    bookable_online: bool
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
) -> Dataset:
    """Draw a deterministic dataset.

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
    people, communities = draw_practitioners(seed, practitioners, cpts)
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
    associations = draw_associations(seed, sos)
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
    return Dataset(
        seed=seed,
        anchor=anchor,
        practitioners=tuple(people),
        schedules=schedules,
        cpts=communities,
        sos=associations,
        site_schedules=site_schedules,
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
        # Digest §6.4/§16.10: the site's agenda URL goes on every SOS slot, walk-ins included.
        bookable_online=True,
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
