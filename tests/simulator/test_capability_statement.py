"""The CapabilityStatement is shipped as data: it must keep naming what the code serves."""

from __future__ import annotations

from typing import Any

from sas_core.fhir import codes
from sas_core.fhir.accounts import PROFILE_PRACTITIONER_REGUL
from sas_simulator.routes.metadata import capability_statement, capability_statement_template
from sas_simulator.search import MAX_SOS_ASSOCIATIONS


def by_type() -> dict[str, dict[str, Any]]:
    [rest] = capability_statement_template()["rest"]
    return {r["type"]: r for r in rest["resource"]}


def test_profiles_are_the_cores() -> None:
    resources = by_type()

    declared = {
        kind: [r.get("profile"), *r.get("supportedProfile", [])] for kind, r in resources.items()
    }
    assert declared == {
        "Slot": [codes.PROFILE_SLOT, codes.PROFILE_CPTS_SLOT, codes.PROFILE_SOS_SLOT],
        "Schedule": [codes.PROFILE_SCHEDULE, codes.PROFILE_SOS_SCHEDULE],
        "Practitioner": [codes.PROFILE_PRACTITIONER, PROFILE_PRACTITIONER_REGUL],
        "PractitionerRole": [codes.PROFILE_PRACTITIONER_ROLE],
        "HealthcareService": [codes.PROFILE_CPTS_HEALTHCARE_SERVICE],
        "Location": [codes.PROFILE_SOS_LOCATION],
        "Organization": [codes.PROFILE_SOS_ORGANIZATION, codes.PROFILE_CPTS_ORGANIZATION],
    }


def test_search_parameters_and_limits_are_the_codes() -> None:
    resources = by_type()

    slot_params = {p["name"]: p for p in resources["Slot"]["searchParam"]}
    assert slot_params["start"]["definition"] == codes.SEARCH_PARAM_SLOT_START
    assert (
        slot_params["service-type-reference"]["definition"] == codes.SEARCH_PARAM_CPTS_SERVICE_TYPE
    )
    [actor] = [p for p in resources["Schedule"]["searchParam"] if p["name"] == "actor"]
    assert actor["documentation"].endswith(f"1 to {MAX_SOS_ASSOCIATIONS} values")


def test_only_the_date_and_the_base_change() -> None:
    template = capability_statement_template()

    statement = capability_statement("https://vendor.example/fhir", "2026-01-02T03:04:05+01:00")

    assert list(statement) == list(template)
    assert statement["date"] == "2026-01-02T03:04:05+01:00"
    assert statement["implementation"] == {
        **template["implementation"],
        "url": "https://vendor.example/fhir",
    }
    assert {k: v for k, v in statement.items() if k not in ("date", "implementation")} == {
        k: v for k, v in template.items() if k not in ("date", "implementation")
    }
    assert template["date"] is None and template["implementation"]["url"] is None
