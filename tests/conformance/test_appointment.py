"""`sas conformance appointment FILE`: the intake's own validation, run before sending."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from sas_core.appointments import intake
from sas_core.conformance import Status, check_appointment
from tests.conftest import IG_PACKAGES, needs_ig

from .conftest import Conformance, last_line

OPERATOR = "http://interopsante.org/fhir/StructureDefinition/FrAppointmentOperator"


def appointment() -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "meta": {"profile": ["http://sas.fr/fhir/StructureDefinition/FrAppointmentSAS"]},
        "extension": [
            {
                "url": OPERATOR,
                "valueReference": {
                    "identifier": {
                        "type": {
                            "coding": [
                                {
                                    "system": "http://interopsante.org/fhir/CodeSystem/fr-v2-0203",
                                    "code": "INTRN",
                                }
                            ]
                        },
                        "system": "urn:oid:1.2.250.1.213.3.6",
                        "value": "b6e39355-8a61-4556-b340-36f7b95fec6a",
                    }
                },
            }
        ],
        "identifier": [{"system": "urn:oid:1.1.111.1.11.1.1.1", "value": "rdv-1"}],
        "status": "booked",
        "start": "2026-12-03T14:00:00.000+01:00",
        "end": "2026-12-03T14:15:00.000+01:00",
        "participant": [
            {
                "actor": {
                    "identifier": {
                        "type": {
                            "coding": [
                                {
                                    "system": "http://interopsante.org/fhir/CodeSystem/fr-v2-0203",
                                    "code": "IDNPS",
                                }
                            ]
                        },
                        "system": "urn:oid:1.2.250.1.71.4.2.1",
                        "value": "810100050075",
                    }
                },
                "status": "accepted",
            }
        ],
    }


def write(tmp_path: Path, resource: object) -> Path:
    path = tmp_path / "rdv.json"
    path.write_text(json.dumps(resource))
    return path


def test_a_valid_appointment_passes(tmp_path: Path, conformance: Conformance) -> None:
    result = conformance("appointment", str(write(tmp_path, appointment())))

    assert result.exit_code == 0, result.output
    assert last_line(result) == "2 passed, 0 failed"


def test_a_participant_without_actor_or_type_breaks_app_1(
    tmp_path: Path, conformance: Conformance
) -> None:
    resource = appointment()
    del resource["participant"][0]["actor"]
    result = conformance("appointment", str(write(tmp_path, resource)))

    assert result.exit_code == 1
    assert "FAIL APPT-02" in result.output and "app-1" in result.output
    assert "fix: Appointment.participant[0]" in result.output
    assert last_line(result) == "1 passed, 1 failed"


def test_not_json_fails_the_shape_check(tmp_path: Path, conformance: Conformance) -> None:
    path = tmp_path / "rdv.json"
    path.write_text("<Appointment/>")
    result = conformance("appointment", str(path), "--format", "json")

    report = json.loads(result.output)
    assert result.exit_code == 1
    assert [r["status"] for r in report["results"]] == ["failed", "skipped"]


def test_the_check_is_the_intakes_own_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same function: a rule added to the intake is one the checker applies."""
    calls: list[bytes] = []
    real = intake.validate_appointment

    def spy(body: bytes) -> Any:
        calls.append(body)
        return real(body)

    monkeypatch.setattr(intake, "validate_appointment", spy)
    body = json.dumps(appointment()).encode()
    assert check_appointment(body).ok
    assert calls == [body]


def test_the_hint_shows_what_was_found(tmp_path: Path) -> None:
    resource = copy.deepcopy(appointment())
    resource["participant"][0]["status"] = "declined"
    report = check_appointment(json.dumps(resource).encode())

    assert report.results[1].status is Status.FAILED
    hint = next(h for h in report.results[1].hints if h.element.endswith("participant[0].status"))
    assert hint.found == '"declined"' and "accepted" in hint.expected


@needs_ig
@pytest.mark.parametrize("name", ["Appointment-1.json", "Appointment-2.json"])
def test_the_ig_examples_pass(name: str) -> None:
    body = (IG_PACKAGES["1.2.0-main"] / "example" / name).read_bytes()
    report = check_appointment(body, name)
    assert report.ok, [h.as_text() for r in report.results for h in r.hints]
