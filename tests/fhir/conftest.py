"""Small hand-made search bundles: one valid PS answer that each test bends one way."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from sas_core import SearchWindow, SlotQuery
from sas_core.fhir.codes import (
    FR_LOCATION_IDENTIFIER_TYPE,
    FR_V2_0203,
    IDNPS_SYSTEM,
    IDNST_SYSTEM,
    TRE_R38_SPECIALITE_ORDINALE,
    TRE_R314_TYPE_CRENEAU,
    V2_0276,
    V3_ACT_CODE,
)

BASE = "https://vendor.example/fhir"
RPPS = "810000000001"
OTHER_RPPS = "810000000002"
FETCHED_AT = datetime(2024, 6, 12, 8, 0, tzinfo=UTC)
QUERY = SlotQuery(
    window=SearchWindow(
        start=datetime(2024, 6, 12, 8, 0, tzinfo=UTC), end=datetime(2024, 6, 14, 8, 0, tzinfo=UTC)
    ),
    practitioners=(RPPS,),
)


def slot_resource(slot_id: str = "s1", **overrides: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Slot",
        "id": slot_id,
        "meta": {"security": [{"system": TRE_R314_TYPE_CRENEAU, "code": "SNP"}]},
        "serviceType": [
            {"coding": [{"system": V3_ACT_CODE, "code": "AMB"}]},
            {"text": "Renouvellement"},
        ],
        "specialty": [{"coding": [{"system": TRE_R38_SPECIALITE_ORDINALE, "code": "SM54"}]}],
        "appointmentType": {"coding": [{"system": V2_0276, "code": "ROUTINE"}]},
        "schedule": {"reference": "Schedule/sch1"},
        "status": "free",
        "start": "2024-06-12T16:40:00.000+02:00",
        "end": "2024-06-12T17:00:00.000+02:00",
        "comment": " https://vendor.example/agenda/1 ",
    }
    resource.update(overrides)
    return resource


def practitioner_resource(pid: str = "p1", idnps: str = RPPS) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": pid,
        "identifier": [
            {
                "type": {"coding": [{"system": FR_V2_0203, "code": "IDNPS"}]},
                "system": IDNPS_SYSTEM,
                "value": idnps,
            }
        ],
        "name": [{"family": "MARTIN", "given": ["Anne", "Marie"]}],
    }


def role_resource(rid: str = "r1", pid: str = "p1") -> dict[str, Any]:
    return {
        "resourceType": "PractitionerRole",
        "id": rid,
        "contained": [
            {
                "resourceType": "Location",
                "id": "loc",
                "identifier": [
                    {
                        "type": {
                            "coding": [{"system": FR_LOCATION_IDENTIFIER_TYPE, "code": "INTRN"}]
                        },
                        "system": "urn:oid:1.2.3",
                        "value": "place-1",
                    }
                ],
                "address": {"line": ["1 rue de la Paix"], "city": "PARIS", "postalCode": "75002"},
                "position": {"latitude": 48.87, "longitude": 2.33},
            }
        ],
        "practitioner": {"reference": f"Practitioner/{pid}"},
        "organization": {
            "identifier": {
                "type": {"coding": [{"system": FR_V2_0203, "code": "IDNST"}]},
                "system": IDNST_SYSTEM,
                "value": "1750000001",
            }
        },
        "location": [{"reference": "#loc"}],
        "telecom": [{"system": "phone", "value": "+33100000000"}],
    }


def schedule_resource(sid: str = "sch1", pid: str = "p1", rid: str = "r1") -> dict[str, Any]:
    return {
        "resourceType": "Schedule",
        "id": sid,
        "actor": [{"reference": f"Practitioner/{pid}"}, {"reference": f"PractitionerRole/{rid}"}],
    }


def entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"{BASE}/{resource['resourceType']}/{resource['id']}", "resource": resource}


def bundle_of(*resources: dict[str, Any], total: int | None = None) -> dict[str, Any]:
    slots = sum(1 for r in resources if r["resourceType"] == "Slot")
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": slots if total is None else total,
        "entry": [entry(r) for r in resources],
    }


@pytest.fixture
def valid_bundle() -> dict[str, Any]:
    """One free slot of the queried practitioner, with everything the IG asks for."""
    return copy.deepcopy(
        bundle_of(slot_resource(), schedule_resource(), practitioner_resource(), role_resource())
    )
