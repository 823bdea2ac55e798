"""Reading a vendor's slot search answer (digest §4.3, §15.2) into domain slots.

The rule throughout: a defect in one resource costs at most the slots that depend on it, never the
whole answer; every defect is reported as a BundleIssue. Only an answer that is not a searchset
Bundle at all raises BundleError.

Decisions where the IG is silent (each also stated next to its code):

- A slot is dropped only when it cannot be shown or booked correctly: not free, no usable
  start/end, start ≥ end, start outside the window or in the past, no id, a duplicate id, no
  schedule in the bundle, no practitioner (structure, for a structures query) in the query.
- Everything else is kept and reported: wrong slot-type/modality codes (ignored), `total`
  mismatch, entries without fullUrl, a non-contained location, a malformed structure id, a
  missing or blank comment (booking URL None).
- Each Schedule, Practitioner and PractitionerRole is mapped once, however many slots use it, and
  its problems are reported once, against that resource.
- Every Slot entry left out gets exactly one issue with `dropped=True` against `Slot/<id>`, and
  no other issue is both dropped and about a Slot: `dropped_slot_count` counts them, and the
  exchange reports it as `dropped_slots` (slots outside the window included: a plain
  `_revinclude` returns every slot of an SOS Schedule, §6.2).
- A practitioner's slot has no `structure`; the PractitionerRole's organization is the place's
  (`place.structure`); without a role, a Location actor is only its place.
- Structures are a flow's, read by the `StructureReader` its plugin passes
  (`sas_core.fhir.structures`): in a structures query, where a schedule's Location actor is a
  structure's site (SOS Médecins, `sas_core.fhir.sos`); and which structures a slot is offered
  through besides its practitioner — a slot visible to N of them becomes N slots (CPTS,
  `sas_core.fhir.cpts`). Without a reader, slots are INT_R01 practitioners' slots: CPTS entries
  are ignored, and a schedule whose only actor is a site has no practitioner, so its slots are
  dropped, each with its reason.
- An empty answer (`total` 0, no entry) is a success with no slot and no issue, whatever the
  reader, although the CPTS and SOS bundle profiles require ≥ 4 entries (§16.4): the FAQ asks
  vendors for exactly that bundle when nothing matches, so reporting it would blame conformant
  vendors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from sas_core.fhir.codes import BUNDLE_TYPE_SEARCHSET, PS_SLOT_TYPES, SLOT_STATUS_FREE
from sas_core.fhir.instants import parse_instant
from sas_core.fhir.references import Resource, ResourceIndex, label
from sas_core.fhir.resources import (
    RoleDetails,
    place_from_location,
    practitioner_from_resource,
    practitioner_role_details,
)
from sas_core.fhir.slot_elements import CodedElementsReader, booking_url_of
from sas_core.fhir.structures import BundleStructures, StructureReader
from sas_core.offer.models import Place, StructureKind
from sas_core.slots.models import BundleIssue, Slot, SlotQuery

_SLOT_FIELDS = frozenset(Slot.model_fields)
_new_object = object.__new__
_set = object.__setattr__


def _assemble_slot(values: dict[str, Any]) -> Slot:
    """A Slot from already-checked values, without validation.

    What `Slot.model_construct` does, minus its per-field default and alias handling, which costs
    as much as full validation (measured in bench/ingest.py: ~6 µs vs ~1.5 µs per slot). `values`
    must name every field. Only the attributes pydantic's own model_construct sets are set.
    """
    slot = _new_object(Slot)
    _set(slot, "__dict__", values)
    _set(slot, "__pydantic_fields_set__", set(_SLOT_FIELDS))
    _set(slot, "__pydantic_extra__", None)
    _set(slot, "__pydantic_private__", None)
    return slot


def dropped_slot_count(issues: Iterable[BundleIssue]) -> int:
    """How many Slot entries `parse_slot_bundle` left out: one dropped `Slot/…` issue each."""
    return sum(1 for issue in issues if issue.dropped and issue.resource.startswith("Slot/"))


class BundleError(ValueError):
    """The whole answer is unusable: not JSON, not an object, not a searchset Bundle."""


@dataclass(frozen=True, slots=True)
class _ScheduleContext:
    """What every slot of one Schedule shares."""

    schedule_id: str | None
    practitioner: str | None
    structure: str | None  # the structure whose site it is; None for a practitioner's schedule
    structure_kind: StructureKind | None
    place: Place | None


#: A slot that passed every check: its id, start, end and schedule context.
_CheckedSlot = tuple[str, datetime, datetime, _ScheduleContext]


def _load(data: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        bundle: Any = data
    else:
        try:
            bundle = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise BundleError(f"the answer is not JSON: {exc}") from None
    if not isinstance(bundle, Mapping):
        raise BundleError(f"the answer is a JSON {type(bundle).__name__}, not a Bundle object")
    rtype = bundle.get("resourceType")
    if rtype != "Bundle":
        detail = ""
        if rtype == "OperationOutcome":
            texts = [
                str(i.get("diagnostics") or i.get("details", {}).get("text") or i.get("code"))
                for i in bundle.get("issue") or ()
                if isinstance(i, Mapping)
            ]
            detail = f" ({'; '.join(texts)})" if texts else ""
        raise BundleError(f"the answer is a {rtype!r} resource, not a Bundle{detail}")
    if bundle.get("type") != BUNDLE_TYPE_SEARCHSET:
        raise BundleError(f"the Bundle's type is {bundle.get('type')!r}, not 'searchset'")
    if not isinstance(bundle.get("entry", []), list):
        raise BundleError("the Bundle's entry is not a list")
    return bundle


class _BundleReader:
    """One parse: the bundle's index, the per-resource caches and the issues found so far.

    Each slot is first tried on the usual path (`_check_usual`: a few lookups in caches of values
    already accepted in this bundle); anything else goes the careful way (`_check_carefully`),
    which alone decides drops and reasons. The usual path only accepts what the careful one would,
    with the same values, so the result never depends on which path a slot took.
    """

    def __init__(
        self,
        query: SlotQuery,
        adapter: str,
        fetched_at: datetime,
        now: datetime | None,
        structures: StructureReader | None,
    ) -> None:
        self.index = ResourceIndex()
        self.issues: list[BundleIssue] = []
        self.by_practitioner = bool(query.practitioners)
        self.wanted = frozenset(query.practitioners or query.structures)
        self.window_start, self.window_end = query.window.start, query.window.end
        self.now = now
        self.adapter = adapter
        self.fetched_at = fetched_at
        self.elements = CodedElementsReader(
            structures.slot_types if structures is not None else PS_SLOT_TYPES
        )
        self.structure_kind = structures.kind if structures is not None else None
        self.structures: BundleStructures | None = (
            structures.read(self.index, self.report) if structures is not None else None
        )
        self.seen_ids: set[str] = set()
        self._contexts: dict[int, _ScheduleContext | str] = {}
        self._practitioners: dict[int, str] = {}
        self._roles: dict[int, RoleDetails] = {}
        self._places: dict[int, Place | None] = {}
        # Per-string caches of the slot checks: slots share their boundaries and schedules.
        self._instants: dict[str, datetime] = {}
        self._usable_starts: dict[str, datetime] = {}  # parsed, in the window, not past
        self._schedules: dict[str, _ScheduleContext | str] = {}  # reference → context or reason
        self._wanted_schedules: dict[str, _ScheduleContext] = {}  # …of one asked for
        self._problems: list[str] = []

    def report(self, resource: str, problems: list[str], dropped: bool = False) -> None:
        self.issues.extend(
            BundleIssue(resource=resource, reason=p, dropped=dropped) for p in problems
        )

    # -- the entries and their slots --------------------------------------------------------------

    def index_entries(self, entries: list[Any]) -> list[Resource]:
        """Index every entry's resource (reporting unusable entries); the Slots, in order."""
        index = self.index
        slot_resources: list[Resource] = []
        for position, entry in enumerate(entries):
            resource = entry.get("resource") if type(entry) is dict else None
            if type(resource) is not dict:
                self.issues.append(
                    BundleIssue(
                        resource="Bundle", reason=f"entry {position} has no resource", dropped=False
                    )
                )
                continue
            full_url = entry.get("fullUrl")
            if not isinstance(full_url, str) or not full_url:
                full_url = None
                self.issues.append(
                    BundleIssue(
                        resource=label(resource), reason="entry has no fullUrl", dropped=False
                    )
                )
            index.add(resource, full_url)
            if resource.get("resourceType") == "Slot":
                slot_resources.append(resource)
        return slot_resources

    def slot(self, resource: Resource) -> Slot | None:
        """The Slot of a Slot resource, or None when it is dropped (and reported)."""
        checked = self._check_usual(resource) or self._check_carefully(resource)
        if checked is None:
            return None
        slot_id, start, end, context = checked
        self.seen_ids.add(slot_id)
        problems = self._problems
        slot_types, modalities, reasons, appointment_type, specialties = self.elements.read(
            resource, problems
        )
        booking_url = booking_url_of(resource, appointment_type, problems)
        if problems:
            self.report(f"Slot/{slot_id}", problems)
            problems.clear()
        return _assemble_slot(
            {
                "id": slot_id,
                "start": start,
                "end": end,
                "practitioner": context.practitioner,
                "structure": context.structure,
                "structure_kind": context.structure_kind,
                "place": context.place,
                "schedule_id": context.schedule_id,
                "slot_types": slot_types,
                "modalities": modalities,
                "appointment_type": appointment_type,
                "specialties": specialties,
                "reasons": reasons,
                "booking_url": booking_url,
                "adapter": self.adapter,
                "fetched_at": self.fetched_at,
            }
        )

    def offered_slots(
        self, resource: Resource, structures: BundleStructures, kind: StructureKind
    ) -> list[Slot]:
        """The Slot of a Slot resource once per structure it is offered through (a CPTS it is
        visible to, digest §5.2), or once as the practitioner's own when there is none that can
        be followed; [] when dropped."""
        slot = self.slot(resource)
        if slot is None:
            return []
        problems = self._problems
        idnsts = structures.of_slot(resource, problems)
        if problems:
            self.report(f"Slot/{slot.id}", problems)
            problems.clear()
        if not idnsts:
            return [slot]
        values = slot.__dict__
        return [
            _assemble_slot({**values, "structure": idnst, "structure_kind": kind})
            for idnst in idnsts
        ]

    def _check_usual(self, resource: Resource) -> _CheckedSlot | None:
        """The usual slot, checked in a few lookups: its start, end and schedule are strings an
        earlier slot of this bundle already had accepted. None on anything else (a first
        occurrence, a missing or odd value, a drop): `_check_carefully` then judges and reports.
        """
        try:
            slot_id = resource["id"]
            status = resource["status"]
            start = self._usable_starts[resource["start"]]
            end = self._instants[resource["end"]]
            context = self._wanted_schedules[resource["schedule"]["reference"]]
        except (KeyError, TypeError):  # absent, not an object, unhashable, or not seen yet
            return None
        if (
            type(slot_id) is not str
            or not slot_id
            or slot_id in self.seen_ids
            or status != SLOT_STATUS_FREE
            or not start < end
        ):
            return None
        return slot_id, start, end, context

    def _check_carefully(self, resource: Resource) -> _CheckedSlot | None:
        """Digest §15.2's slot rules one by one; the first one broken drops the slot (reported).
        Fills the caches `_check_usual` reads."""
        slot_id = resource.get("id")
        reason: str | None = None
        start = end = None
        context: _ScheduleContext | str | None = None
        if not isinstance(slot_id, str) or not slot_id:
            reason = "the Slot has no id"
        elif slot_id in self.seen_ids:
            reason = "a Slot with this id came earlier in the bundle"
        elif resource.get("status") != SLOT_STATUS_FREE:
            reason = f"status is {resource.get('status')!r}, not 'free'"
        else:
            raw_start: Any = resource.get("start")
            raw_end: Any = resource.get("end")
            try:
                start, end = self._instant(raw_start), self._instant(raw_end)
            except ValueError as exc:
                reason = f"unusable start/end: {exc}"
            if reason is None and start is not None and end is not None:
                if start >= end:
                    reason = f"start {raw_start} is not before end {raw_end}"
                else:
                    reason = self._start_problem(raw_start, start)
        if reason is None:
            schedule = resource.get("schedule")
            reference = schedule.get("reference") if type(schedule) is dict else None
            if not isinstance(reference, str):
                reason = "no schedule reference"
            else:
                context = self._schedule(reference)
                if isinstance(context, str):
                    reason = context
        if reason is not None or not isinstance(context, _ScheduleContext):
            self.report(f"Slot/{slot_id}", [reason or "unusable"], dropped=True)
            return None
        assert isinstance(slot_id, str) and start is not None and end is not None
        return slot_id, start, end, context

    def _instant(self, raw: Any) -> datetime:
        """parse_instant, once per distinct string: slots share their boundaries."""
        if not isinstance(raw, str):
            raise ValueError(f"missing or not a string: {raw!r}")
        found = self._instants.get(raw)
        if found is None:
            found = self._instants[raw] = parse_instant(raw)
        return found

    def _start_problem(self, raw: str, start: datetime) -> str | None:
        """Why a slot starting at `start` cannot be shown (window, past), or None."""
        if not self.window_start <= start <= self.window_end:
            return f"start {raw} is outside the requested window"
        if self.now is not None and start < self.now:
            return f"start {raw} is in the past"
        self._usable_starts[raw] = start
        return None

    def _schedule(self, reference: str) -> _ScheduleContext | str:
        """The context of the Schedule `reference` names, or why its slots are dropped (not in
        the bundle, unusable, or of a practitioner/structure not asked for)."""
        context = self._schedules.get(reference)
        if context is None:
            target = self.index.resolve(reference, "Schedule")
            context = (
                f"schedule {reference} is not in the bundle"
                if target is None
                else self.context(target)
            )
            if isinstance(context, _ScheduleContext):
                if self.by_practitioner and context.practitioner not in self.wanted:
                    context = f"practitioner {context.practitioner} was not asked for"
                elif not self.by_practitioner and context.structure not in self.wanted:
                    context = f"structure {context.structure} was not asked for"
                else:
                    self._wanted_schedules[reference] = context
            self._schedules[reference] = context
        return context

    # -- per-resource mapping, cached by identity -----------------------------------------------

    def practitioner(self, resource: Resource) -> str:
        """The IDNPS of a Practitioner; ValueError (cached as well) when it has none."""
        key = id(resource)
        cached = self._practitioners.get(key)
        if cached is None:
            try:
                cached = practitioner_from_resource(resource).idnps
            except ValueError as exc:
                cached = "!" + str(exc)
            self._practitioners[key] = cached
        if cached.startswith("!"):
            raise ValueError(cached[1:])
        return cached

    def role(self, resource: Resource) -> RoleDetails:
        key = id(resource)
        if key not in self._roles:
            problems: list[str] = []
            self._roles[key] = practitioner_role_details(resource, self.index.resolve, problems)
            self.report(label(resource), problems)
        return self._roles[key]

    def context(self, schedule: Resource) -> _ScheduleContext | str:
        """The context of a Schedule, or the reason its slots must be dropped."""
        key = id(schedule)
        if key not in self._contexts:
            problems: list[str] = []
            self._contexts[key] = self._build_context(schedule, problems)
            self.report(label(schedule), problems)
        return self._contexts[key]

    def _build_context(self, schedule: Resource, problems: list[str]) -> _ScheduleContext | str:
        """Digest §4.3: Schedule → Practitioner + PractitionerRole (→ contained Location); else a
        Location actor, a structure's site as the reader says (§6.4 for SOS). Unresolvable actors
        are problems, not drops, as long as the practitioner (for a structures query, the
        structure) is found some other way; several roles or locations: the first one is used."""
        practitioners: list[Resource] = []
        roles: list[Resource] = []
        locations: list[Resource] = []
        actors = schedule.get("actor")
        for actor in actors if isinstance(actors, list) else ():
            reference = actor.get("reference") if isinstance(actor, Mapping) else None
            if not isinstance(reference, str):
                continue
            found = self.index.resolve(reference)
            if found is None:
                problems.append(f"actor {reference} is not in the bundle")
                continue
            rtype = found.get("resourceType")
            if rtype == "Practitioner":
                practitioners.append(found)
            elif rtype == "PractitionerRole":
                roles.append(found)
            elif rtype == "Location":
                locations.append(found)
        structure: str | None = None
        place: Place | None = None
        no_structure = "no structure with a valid IDNST"
        if roles:
            if len(roles) > 1:
                problems.append(f"{len(roles)} PractitionerRoles; the first is used")
            details = self.role(roles[0])
            place = details.place
            if not practitioners and details.practitioner_reference:
                found = self.index.resolve(details.practitioner_reference, "Practitioner")
                if found is not None:
                    practitioners.append(found)
        elif locations:
            site = (
                self.structures.of_site(locations[0])
                if self.structures is not None and not self.by_practitioner
                else None
            )
            if site is None:
                # A practitioner's slot is offered in its own name (§4.3): a Location actor is
                # where, never a structure the slot would be attributed to.
                place = self._place(locations[0])
            else:
                structure, place = site.structure, site.place
                no_structure = site.unknown_because or no_structure
        else:
            problems.append("no PractitionerRole nor Location actor: place and structure unknown")

        idnps: set[str] = set()
        failures: list[str] = []
        for resource in practitioners:
            try:
                idnps.add(self.practitioner(resource))
            except ValueError as exc:
                failures.append(str(exc))
        if len(idnps) > 1:
            return f"schedule {label(schedule)} names several practitioners: {sorted(idnps)}"
        practitioner = next(iter(idnps), None)
        if self.by_practitioner and practitioner is None:
            detail = f" ({'; '.join(failures)})" if failures else ""
            return f"schedule {label(schedule)}: no Practitioner with a valid IDNPS{detail}"
        if not self.by_practitioner and structure is None:
            return f"schedule {label(schedule)}: {no_structure}"
        schedule_id = schedule.get("id")
        return _ScheduleContext(
            schedule_id=schedule_id if isinstance(schedule_id, str) else None,
            practitioner=practitioner,
            structure=structure,
            structure_kind=self.structure_kind if structure is not None else None,
            place=place,
        )

    def _place(self, location: Resource) -> Place | None:
        """The place a Location actor describes, without a structure; its problems reported once."""
        key = id(location)
        if key not in self._places:
            problems: list[str] = []
            try:
                self._places[key] = place_from_location(location, problems=problems)
            except ValueError as exc:
                self._places[key] = None
                problems.append(f"{exc}: the place is unknown")
            self.report(label(location), problems)
        return self._places[key]


def parse_slot_bundle(
    data: bytes | str | Mapping[str, Any],
    *,
    adapter: str,
    query: SlotQuery,
    fetched_at: datetime,
    now: datetime | None = None,
    structures: StructureReader | None = None,
) -> tuple[list[Slot], list[BundleIssue]]:
    """The valid slots of a vendor's search answer, and every IG violation found in it.

    `data` is the raw body (bytes/str, decoded with orjson) or already-decoded JSON. Raises
    BundleError when the answer as a whole is unusable; otherwise returns the slots in bundle
    order and the issues (digest §15.2), each saying whether slots were dropped for it.
    `now` (aware) drops slots that start before it ([TK]); None skips that check. `structures`
    is the flow's reader of its structures (`CPTS_READER`: each slot once per CPTS it is
    visible to, §5; `SOS_READER`: the associations behind the sites of a Schedule search, §6);
    None reads practitioners' slots only. `dropped_slot_count(issues)` is how many Slot entries
    were left out.

    Slots are assembled without validation (see `_assemble_slot`), so the parser guarantees
    what Slot's validators would: `start`/`end` are aware (parse_instant) and ordered,
    `practitioner`/`structure` come from parse_idnps/parse_idnst, `place` is a validated Place,
    the enums are members, the tuples hold non-empty strings, `id`, `adapter` are strings and
    `fetched_at` is checked aware below. A test asserts that every slot equals
    `Slot.model_validate(slot.model_dump())`. Nested JSON objects must be exact dicts, as
    json/orjson produce.
    """
    if not isinstance(adapter, str):
        raise TypeError("adapter must be a string")
    if fetched_at.tzinfo is None or fetched_at.utcoffset() is None:
        raise ValueError("fetched_at must be timezone-aware")
    if now is not None and (now.tzinfo is None or now.utcoffset() is None):
        raise ValueError("now must be timezone-aware")
    bundle = _load(data)
    reader = _BundleReader(query, adapter, fetched_at, now, structures)
    slot_resources = reader.index_entries(bundle.get("entry") or [])
    total = bundle.get("total")
    if total is not None and total != len(slot_resources):
        reader.issues.append(
            BundleIssue(
                resource="Bundle",
                reason=f"total is {total!r} but the bundle holds {len(slot_resources)} Slots",
                dropped=False,
            )
        )
    if structures is None:
        slots = [s for resource in slot_resources if (s := reader.slot(resource)) is not None]
    else:
        found, kind = reader.structures, structures.kind
        assert found is not None
        slots = [s for r in slot_resources for s in reader.offered_slots(r, found, kind)]
    return slots, reader.issues
