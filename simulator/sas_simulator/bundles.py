"""The search answers: searchset Bundles built from the dataset, shaped as the IG's examples.

Digest §4.3/§4.4 (INT_R01): Slots are `match` entries; each Slot's Schedule, its Practitioner and
its PractitionerRole (with the Location contained) follow as `include` entries the first time they
are referenced, as in `Bundle-ExampleBundlePSIndiv.json`. INT_R04 (§5.2) adds, when asked for, the
HealthcareService and Organization of each CPTS a slot is visible to. SOS (§6.3) answers a
Schedule search: Schedules `match`, their Locations, Organizations and Slots `include`. Every
resource carries `meta.profile` with the exact canonical of digest §14, and optional data is
omitted rather than sent empty.

Empty answers (decision, digest §16.4): the FAQ wants `total: 0` and no entry, while the CPTS and
SOS bundle profiles require at least four entries. The FAQ wins: the platform must be able to read
"nothing free" as a success; the bundle keeps its profile so consumers still recognise the flow.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sas_core.clock import PARIS
from sas_core.fhir.codes import (
    CPTS_CATEGORY_CODE,
    FR_CORE_CS_V2_0203,
    FR_LOCATION_IDENTIFIER_TYPE,
    FR_V2_0203,
    IDNPS_SYSTEM,
    IDNPS_TYPE_CODE,
    IDNST_SYSTEM,
    IDNST_TYPE_CODE,
    INTRN_TYPE_CODE,
    PROFILE_BUNDLE_PS,
    PROFILE_CPTS_BUNDLE,
    PROFILE_CPTS_HEALTHCARE_SERVICE,
    PROFILE_CPTS_ORGANIZATION,
    PROFILE_CPTS_SLOT,
    PROFILE_LOCATION,
    PROFILE_PRACTITIONER,
    PROFILE_PRACTITIONER_ROLE,
    PROFILE_SCHEDULE,
    PROFILE_SLOT,
    PROFILE_SOS_BUNDLE,
    PROFILE_SOS_LOCATION,
    PROFILE_SOS_ORGANIZATION,
    PROFILE_SOS_SCHEDULE,
    PROFILE_SOS_SLOT,
    SLOT_SERVICE_TYPE_EXTENSION,
    TRE_R38_SPECIALITE_ORDINALE,
    TRE_R66_CATEGORIE_ETABLISSEMENT,
    TRE_R314_TYPE_CRENEAU,
    V2_0276,
    V3_ACT_CODE,
)
from sas_simulator.dataset import (
    PLACE_ID_SYSTEM,
    Dataset,
    SimCpts,
    SimPlace,
    SimPractitioner,
    SimSchedule,
    SimSite,
    SimSiteSchedule,
    SimSlot,
    SimSos,
)


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
    cpts: bool = False,
) -> dict[str, Any]:
    """The searchset Bundle answering INT_R01, or INT_R04 with `cpts`, for prefixed IDNPS.

    Only free slots whose start lies in `[start, end]` (and, if given, not before `not_before`:
    a slot in the past is not offered) are matched. Unknown practitioners simply match nothing
    (digest §15.1). `agenda_base` is where booking URLs point; it defaults to `base_url` without
    its trailing `/fhir`.

    CPTS-visible slots are always returned with their CPTS code and `604` serviceType entries:
    §4.1 lists them among the slots to expose, and §5 makes INT_R04 the same search. With `cpts`
    (the §5.1 includes were sent) the bundle follows sas-cpts-bundle-aggregator and each
    referenced HealthcareService and its Organization follow once. Without it they are left out:
    a vendor returns no resource that was not asked for, and the INT_R01 profile has no slice for
    them (the references then point at resources the platform did not request).
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
            communities = [c for c in map(dataset.cpts_by_idnst, slot.cpts) if c is not None]
            resource = _slot(slot, schedule, practitioner, booking, communities, cpts)
            entries.append(_entry(base, resource, "match"))
            slot_count += 1
            include(_schedule(schedule))
            include(_practitioner(practitioner))
            include(_role(schedule, practitioner))
            if cpts:
                for community in communities:
                    include(_healthcare_service(community))
                    include(_cpts_organization(community))

    return _searchset(
        PROFILE_CPTS_BUNDLE if cpts else PROFILE_BUNDLE_PS, slot_count, self_url, entries
    )


def site_agenda_url(agenda_base: str, site: SimSite, slot: SimSlot) -> str:
    """The SOS site's agenda page opened on the slot: digest §6.4 FAQ (agenda and, if possible,
    the slot)."""
    return f"{agenda_base}/site/{site.id}?slot={slot.id}"


def schedule_search_bundle(
    dataset: Dataset,
    associations: Sequence[str],
    start: datetime,
    end: datetime,
    *,
    base_url: str,
    self_url: str,
    agenda_base: str | None = None,
    not_before: datetime | None = None,
) -> dict[str, Any]:
    """The searchset Bundle answering the SOS Schedule search for prefixed IDNST `associations`.

    Digest §6.2/§6.3: a site Schedule matches when it has a free slot starting in `[start, end]`
    (and not before `not_before`); only those slots are returned, although a plain FHIR
    `_revinclude` would bring every slot of the Schedule. Schedules are `match`; their Location,
    the association's Organization and the slots are `include`. `total` counts the Slots, as the
    IG's example does (§16.5). Unknown associations match nothing (§15.1).
    """
    base = base_url.rstrip("/")
    agendas = (agenda_base or base.removesuffix("/fhir")).rstrip("/")
    lower = start if not_before is None else max(start, not_before)
    entries: list[dict[str, Any]] = []
    slot_count = 0
    for idnst in dict.fromkeys(associations):
        association = dataset.sos_by_idnst(idnst)
        if association is None:
            continue
        organization_listed = False
        for schedule in dataset.site_schedules_of(association):
            slots = sorted(
                (s for s in schedule.slots if s.free and lower <= s.start <= end),
                key=lambda s: s.start,
            )
            if not slots:
                continue
            entries.append(_entry(base, _site_schedule(schedule), "match"))
            entries.append(_entry(base, _site_location(schedule.site, association), "include"))
            if not organization_listed:
                entries.append(_entry(base, _sos_organization(association), "include"))
                organization_listed = True
            for slot in slots:
                booking = site_agenda_url(agendas, schedule.site, slot)
                entries.append(_entry(base, _site_slot(slot, schedule, booking), "include"))
            slot_count += len(slots)
    return _searchset(PROFILE_SOS_BUNDLE, slot_count, self_url, entries)


def _searchset(
    profile: str, total: int, self_url: str, entries: list[dict[str, Any]]
) -> dict[str, Any]:
    """`total` and exactly one self link: both 1..1 in the CPTS and SOS profiles (§5.2, §6.3)."""
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "meta": {"profile": [profile]},
        "type": "searchset",
        "total": total,
        "link": [{"relation": "self", "url": self_url}],
    }
    if entries:
        bundle["entry"] = entries
    return bundle


def _typed_identifier(
    type_system: str, type_code: str, system: str, value: str | None
) -> dict[str, Any]:
    """An Identifier with its `type` coding: the IG types every identifier it carries (§3), and
    which type code system applies differs per resource and IG version (§16.3)."""
    return {
        "type": {"coding": [{"system": type_system, "code": type_code}]},
        "system": system,
        "value": value,
    }


def _entry(base: str, resource: dict[str, Any], mode: str) -> dict[str, Any]:
    return {
        "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": mode},
    }


def role_id(schedule: SimSchedule) -> str:
    return f"role-{schedule.id}"


def _security(slot: SimSlot) -> list[dict[str, str]]:
    return [{"system": TRE_R314_TYPE_CRENEAU, "code": t.value} for t in slot.security_types]


def _slot(
    slot: SimSlot,
    schedule: SimSchedule,
    practitioner: SimPractitioner,
    booking: str,
    communities: Sequence[SimCpts] = (),
    cpts_bundle: bool = False,
) -> dict[str, Any]:
    """A practitioner's Slot; `communities` are the CPTS it is visible to (digest §5.3).

    Profile: in a CPTS bundle every Slot is sas-cpts-slot-aggregator (its Slot slice, §5.2; the
    profile accepts slots without CPTS entries). In an INT_R01 bundle a CPTS-visible slot is one
    too, since FrSlotAgregateur's meta.security binding (JDV_J165) has no CPTS code; the others
    stay FrSlotAgregateur, as before CPTS existed.
    """
    service_types: list[dict[str, Any]] = [
        {"coding": [{"system": V3_ACT_CODE, "code": m.value}]} for m in slot.modalities
    ]
    # One `604` entry per CPTS, each with the R5-style extension; TypeConsultation entries above
    # never carry it (§5.3).
    service_types.extend(
        {
            "extension": [
                {
                    "url": SLOT_SERVICE_TYPE_EXTENSION,
                    "valueReference": {"reference": f"HealthcareService/{c.service_id}"},
                }
            ],
            "coding": [{"system": TRE_R66_CATEGORIE_ETABLISSEMENT, "code": CPTS_CATEGORY_CODE}],
        }
        for c in communities
    )
    service_types.extend({"text": reason} for reason in slot.reasons)
    profile = PROFILE_CPTS_SLOT if cpts_bundle or communities else PROFILE_SLOT
    resource: dict[str, Any] = {
        "resourceType": "Slot",
        "id": slot.id,
        "meta": {"profile": [profile], "security": _security(slot)},
        "serviceType": service_types,
        "appointmentType": {"coding": [{"system": V2_0276, "code": slot.appointment_type.value}]},
        "schedule": {"reference": f"Schedule/{schedule.id}"},
        "status": "free",
        "start": fhir_instant(slot.start),
        "end": fhir_instant(slot.end),
    }
    if practitioner.specialties:
        resource["specialty"] = [
            {"coding": [{"system": TRE_R38_SPECIALITE_ORDINALE, "code": code}]}
            for code in practitioner.specialties
        ]
    # Every slot, walk-ins included: the test kit requires a booking URL on each (§16.10).
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
            _typed_identifier(FR_V2_0203, IDNPS_TYPE_CODE, IDNPS_SYSTEM, practitioner.idnps)
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
            _typed_identifier(
                FR_LOCATION_IDENTIFIER_TYPE, INTRN_TYPE_CODE, PLACE_ID_SYSTEM, place.id
            )
        ],
        "name": place.name,
        "address": {"line": [place.line], "city": place.city, "postalCode": place.postal_code},
        "position": {"latitude": place.latitude, "longitude": place.longitude},
    }
    return {
        "resourceType": "PractitionerRole",
        "id": role_id(schedule),
        "meta": {"profile": [PROFILE_PRACTITIONER_ROLE]},
        "contained": [location],
        "practitioner": {"reference": f"Practitioner/{practitioner.id}"},
        "organization": {
            "identifier": _typed_identifier(
                FR_V2_0203, IDNST_TYPE_CODE, IDNST_SYSTEM, place.structure
            )
        },
        "location": [{"reference": f"#{place.id}"}],
        "telecom": [{"system": "phone", "value": place.phone}],
    }


def _healthcare_service(community: SimCpts) -> dict[str, Any]:
    """Digest §5.4: only `id`, `meta` and `providedBy`, as the IG's examples."""
    return {
        "resourceType": "HealthcareService",
        "id": community.service_id,
        "meta": {"profile": [PROFILE_CPTS_HEALTHCARE_SERVICE]},
        "providedBy": {"reference": f"Organization/{community.id}"},
    }


def _cpts_organization(community: SimCpts) -> dict[str, Any]:
    """Digest §5.5: exactly one identifier whose type follows the 1.2.0/main pattern (§16.3)."""
    return {
        "resourceType": "Organization",
        "id": community.id,
        "meta": {"profile": [PROFILE_CPTS_ORGANIZATION]},
        "identifier": [
            _typed_identifier(FR_CORE_CS_V2_0203, IDNST_TYPE_CODE, IDNST_SYSTEM, community.idnst)
        ],
        "name": community.name,
        "telecom": [{"system": "phone", "value": community.phone}],
    }


def _site_slot(slot: SimSlot, schedule: SimSiteSchedule, booking: str) -> dict[str, Any]:
    """Digest §6.4: PUBLIC/SNP only, v3-ActCode consultation types, no specialty."""
    return {
        "resourceType": "Slot",
        "id": slot.id,
        "meta": {"profile": [PROFILE_SOS_SLOT], "security": _security(slot)},
        "serviceType": [
            {"coding": [{"system": V3_ACT_CODE, "code": m.value}]} for m in slot.modalities
        ],
        "appointmentType": {"coding": [{"system": V2_0276, "code": slot.appointment_type.value}]},
        "schedule": {"reference": f"Schedule/{schedule.id}"},
        "status": "free",
        "start": fhir_instant(slot.start),
        "end": fhir_instant(slot.end),
        "comment": booking,
    }


def _site_schedule(schedule: SimSiteSchedule) -> dict[str, Any]:
    return {
        "resourceType": "Schedule",
        "id": schedule.id,
        "meta": {"profile": [PROFILE_SOS_SCHEDULE]},
        "actor": [{"reference": f"Location/{schedule.site.id}"}],
    }


def _site_location(site: SimSite, association: SimSos) -> dict[str, Any]:
    """A standalone PFG Location (digest §6.4).

    The identifier is the vendor's INTRN id: the profile's pattern fixes the type to INTRN even
    where the narrative would allow an IDNST (§16.8), and the simulated sites have no IDNST.
    """
    return {
        "resourceType": "Location",
        "id": site.id,
        "meta": {"profile": [PROFILE_SOS_LOCATION]},
        "identifier": [
            _typed_identifier(
                FR_LOCATION_IDENTIFIER_TYPE, INTRN_TYPE_CODE, PLACE_ID_SYSTEM, site.id
            )
        ],
        "name": site.name,
        "telecom": [{"system": "phone", "value": site.phone}],
        "address": {"line": [site.line], "city": site.city, "postalCode": site.postal_code},
        "position": {"latitude": site.latitude, "longitude": site.longitude},
        "managingOrganization": {"reference": f"Organization/{association.id}"},
        "hoursOfOperation": [
            {
                "daysOfWeek": list(h.days),
                "openingTime": h.opening.isoformat(),
                "closingTime": h.closing.isoformat(),
            }
            for h in site.hours
        ],
    }


def _sos_organization(association: SimSos) -> dict[str, Any]:
    """Digest §6.4: IDNST typed with fr-location-identifier-type (not fr-v2-0203, §3, §16.3)."""
    return {
        "resourceType": "Organization",
        "id": association.id,
        "meta": {"profile": [PROFILE_SOS_ORGANIZATION]},
        "identifier": [
            _typed_identifier(
                FR_LOCATION_IDENTIFIER_TYPE, IDNST_TYPE_CODE, IDNST_SYSTEM, association.idnst
            )
        ],
        "name": association.name,
        "telecom": [{"system": "phone", "value": association.phone}],
    }
