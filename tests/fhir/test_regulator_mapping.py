"""Regulator → FrPractitionerRegul (digest §7.5), checked by the simulator's validator too."""

from __future__ import annotations

import uuid

from sas_core.accounts.models import Regulator
from sas_core.fhir.accounts import (
    PROFILE_PRACTITIONER_REGUL,
    account_token,
    fingerprint,
    practitioner_regul,
)
from sas_simulator.accounts import check_practitioner_regul

ID = uuid.UUID("1ef1c748-01a3-6180-b098-73283ce4e5b1")
TYPES = "http://interopsante.org/fhir/CodeSystem/fr-v2-0203"


def regulator(**changes: object) -> Regulator:
    fields: dict[str, object] = {
        "id": ID,
        "family": "Loridon",
        "given": "Sébastien",
        "email": "sebastien.loridon@test.com",
        **changes,
    }
    return Regulator.model_validate(fields)


def test_a_regulator_without_national_id_is_keyed_on_the_sas_uuid() -> None:
    """Shaped like the IG's ExamplePractitionerRegul4 (main)."""
    assert practitioner_regul(regulator()) == {
        "resourceType": "Practitioner",
        "meta": {"source": "urn:oid:1.2.250.1.213.3.6", "profile": [PROFILE_PRACTITIONER_REGUL]},
        "identifier": [
            {
                "type": {"coding": [{"system": TYPES, "code": "INTRN"}]},
                "system": "urn:oid:1.2.250.1.213.3.6",
                "value": str(ID),
            }
        ],
        "active": True,
        "name": [{"family": "Loridon", "given": ["Sébastien"]}],
        "telecom": [{"system": "email", "value": "sebastien.loridon@test.com"}],
    }
    assert account_token(regulator()) == f"urn:oid:1.2.250.1.213.3.6|{ID}"


def test_a_known_national_id_replaces_the_uuid() -> None:
    """Digest §7.3, §16.16: one identifier, the IDNPS once known."""
    body = practitioner_regul(regulator(national_id="3456780581/11242343", active=False))

    assert body["identifier"] == [
        {
            "type": {"coding": [{"system": TYPES, "code": "IDNPS"}]},
            "system": "urn:oid:1.2.250.1.71.4.2.1",
            "value": "3456780581/11242343",
        }
    ]
    assert body["active"] is False
    assert check_practitioner_regul(body) == []


def test_the_fingerprint_changes_with_anything_the_vendor_is_told() -> None:
    base = fingerprint(practitioner_regul(regulator()))
    assert fingerprint(practitioner_regul(regulator())) == base
    for change in (
        {"family": "Marius"},
        {"given": "Jules"},
        {"email": "other@test.com"},
        {"national_id": "810002673899"},
        {"active": False},
    ):
        assert fingerprint(practitioner_regul(regulator(**change))) != base
    assert fingerprint(practitioner_regul(regulator(territory="SAS-33"))) == base
