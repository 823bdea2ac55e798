"""The INT_R01 answer: a searchset Bundle built from the dataset, shaped as the IG's example.

Digest §4.3/§4.4: Slots are `match` entries; each Slot's Schedule, its Practitioner and its
PractitionerRole (with the Location contained) follow as `include` entries the first time they are
referenced, as in `Bundle-ExampleBundlePSIndiv.json`. Every resource carries `meta.profile` with
the exact canonical of digest §14, and optional data is omitted rather than sent empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sas_core.identifiers import IDNPS_SYSTEM, IDNST_SYSTEM
from sas_simulator.dataset import (
    PARIS,
    PLACE_ID_SYSTEM,
    Dataset,
    SimPlace,
    SimPractitioner,
    SimSchedule,
    SimSlot,
)

PROFILE_BUNDLE = "http://sas.fr/fhir/StructureDefinition/BundleAgregateur"
PROFILE_SLOT = "http://sas.fr/fhir/StructureDefinition/FrSlotAgregateur"
PROFILE_SCHEDULE = "http://sas.fr/fhir/StructureDefinition/FrScheduleAgregateur"
PROFILE_PRACTITIONER = "http://sas.fr/fhir/StructureDefinition/FrPractitionerAgregateur"
PROFILE_ROLE = "http://sas.fr/fhir/StructureDefinition/FrPractitionerRoleExerciceAgregateur"
PROFILE_LOCATION = "http://sas.fr/fhir/StructureDefinition/FrLocationAgregateur"

SLOT_TYPE_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R314-TypeCreneau/FHIR/TRE-R314-TypeCreneau"
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
APPOINTMENT_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0276"
SPECIALTY_SYSTEM = (
    "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"
)
V2_0203_SYSTEM = "http://interopsante.org/fhir/CodeSystem/fr-v2-0203"
LOCATION_ID_TYPE_SYSTEM = "http://interopsante.org/fhir/CodeSystem/fr-location-identifier-type"


def fhir_instant(moment: datetime) -> str:
    """`YYYY-MM-DDThh:mm:ss.sss+hh:mm` in Paris time: the test kit rejects `Z` (digest §4.4)."""
    return moment.astimezone(PARIS).isoformat(timespec="milliseconds")


def agenda_url(agenda_base: str, practitioner: SimPractitioner, place: SimPlace) -> str:
    """The practitioner's agenda page at the simulator: the booking URL of digest §4.4."""
    return f"{agenda_base}/agenda/{practitioner.id}?place={place.id}"


def slot_search_bundle(
    dataset: Dataset,
    practitioners: Sequence[str],
    start: datetime,
    end: datetime,
    *,
    base_url: str,
    self_url: str,
    agenda_base: str | None = None,
    not_before: datetime | None = None,
) -> dict[str, Any]:
    """The searchset Bundle answering INT_R01 for prefixed IDNPS `practitioners`.

    Only free slots whose start lies in `[start, end]` (and, if given, not before `not_before`:
    a slot in the past is not offered) are matched. Unknown practitioners simply match nothing
    (digest §15.1). `agenda_base` is where booking URLs point; it defaults to `base_url` without
    its trailing `/fhir`.
    """
    base = base_url.rstrip("/")
    agendas = (agenda_base or base.removesuffix("/fhir")).rstrip("/")
    lower = start if not_before is None else max(start, not_before)
    entries: list[dict[str, Any]] = []
    seen: set[str] = set()
    slot_count = 0

    def include(resource: dict[str, Any]) -> None:
        key = f"{resource['resourceType']}/{resource['id']}"
        if key not in seen:
            seen.add(key)
            entries.append(_entry(base, resource, "include"))

    for idnps in dict.fromkeys(practitioners):
        practitioner = dataset.by_idnps(idnps)
        if practitioner is None:
            continue
        schedules = dataset.schedules_of(practitioner)
        matched = sorted(
            (
                (slot, schedule)
                for schedule in schedules
                for slot in schedule.slots
                if slot.free and lower <= slot.start <= end
            ),
            key=lambda pair: (pair[0].start, pair[1].id),
        )
        for slot, schedule in matched:
            booking = agenda_url(agendas, practitioner, schedule.place)
            entries.append(_entry(base, _slot(slot, schedule, practitioner, booking), "match"))
            slot_count += 1
            include(_schedule(schedule))
            include(_practitioner(practitioner))
            include(_role(schedule, practitioner))

    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "meta": {"profile": [PROFILE_BUNDLE]},
        "type": "searchset",
        "total": slot_count,
        "link": [{"relation": "self", "url": self_url}],
    }
    if entries:
        bundle["entry"] = entries
    return bundle


def _entry(base: str, resource: dict[str, Any], mode: str) -> dict[str, Any]:
    return {
        "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": mode},
    }


def role_id(schedule: SimSchedule) -> str:
    return f"role-{schedule.id}"


def _slot(
    slot: SimSlot, schedule: SimSchedule, practitioner: SimPractitioner, booking: str
) -> dict[str, Any]:
    service_types: list[dict[str, Any]] = [
        {"coding": [{"system": ACT_CODE_SYSTEM, "code": m.value}]} for m in slot.modalities
    ]
    service_types.extend({"text": reason} for reason in slot.reasons)
    resource: dict[str, Any] = {
        "resourceType": "Slot",
        "id": slot.id,
        "meta": {
            "profile": [PROFILE_SLOT],
            "security": [{"system": SLOT_TYPE_SYSTEM, "code": t.value} for t in slot.slot_types],
        },
        "serviceType": service_types,
        "appointmentType": {
            "coding": [{"system": APPOINTMENT_TYPE_SYSTEM, "code": slot.appointment_type.value}]
        },
        "schedule": {"reference": f"Schedule/{schedule.id}"},
        "status": "free",
        "start": fhir_instant(slot.start),
        "end": fhir_instant(slot.end),
    }
    if practitioner.specialties:
        resource["specialty"] = [
            {"coding": [{"system": SPECIALTY_SYSTEM, "code": code}]}
            for code in practitioner.specialties
        ]
    if slot.bookable_online:
        resource["comment"] = booking
    return resource


def _schedule(schedule: SimSchedule) -> dict[str, Any]:
    return {
        "resourceType": "Schedule",
        "id": schedule.id,
        "meta": {"profile": [PROFILE_SCHEDULE]},
        "actor": [
            {"reference": f"Practitioner/{schedule.practitioner_id}"},
            {"reference": f"PractitionerRole/{role_id(schedule)}"},
        ],
    }


def _practitioner(practitioner: SimPractitioner) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": practitioner.id,
        "meta": {"profile": [PROFILE_PRACTITIONER]},
        "identifier": [
            {
                "type": {"coding": [{"system": V2_0203_SYSTEM, "code": "IDNPS"}]},
                "system": IDNPS_SYSTEM,
                "value": practitioner.idnps,
            }
        ],
        "name": [{"family": practitioner.family, "given": [practitioner.given]}],
    }


def _role(schedule: SimSchedule, practitioner: SimPractitioner) -> dict[str, Any]:
    place = schedule.place
    location = {
        "resourceType": "Location",
        "id": place.id,
        "meta": {"profile": [PROFILE_LOCATION]},
        "identifier": [
            {
                "type": {"coding": [{"system": LOCATION_ID_TYPE_SYSTEM, "code": "INTRN"}]},
                "system": PLACE_ID_SYSTEM,
                "value": place.id,
            }
        ],
        "name": place.name,
        "address": {"line": [place.line], "city": place.city, "postalCode": place.postal_code},
        "position": {"latitude": place.latitude, "longitude": place.longitude},
    }
    return {
        "resourceType": "PractitionerRole",
        "id": role_id(schedule),
        "meta": {"profile": [PROFILE_ROLE]},
        "contained": [location],
        "practitioner": {"reference": f"Practitioner/{practitioner.id}"},
        "organization": {
            "identifier": {
                "type": {"coding": [{"system": V2_0203_SYSTEM, "code": "IDNST"}]},
                "system": IDNST_SYSTEM,
                "value": place.structure,
            }
        },
        "location": [{"reference": f"#{place.id}"}],
        "telecom": [{"system": "phone", "value": place.phone}],
    }
