"""`sas conformance appointment FILE`: an Appointment a vendor is about to report (INT_R03),
checked by the platform's own intake validation — the function the intake runs on every POST and
PUT, so the pre-flight answer and the platform's can never disagree."""

from __future__ import annotations

import re
from typing import Any

import orjson

from sas_core.conformance.catalogue import FAQ_APPOINTMENT
from sas_core.conformance.models import CheckResult, FixHint, Report, Status
from sas_core.fhir.outcomes import FhirRefusal, Issue

#: What `sas conformance appointment` reports, in this order (docs/conformance.md lists them).
APPOINTMENT_CHECKS = (
    ("APPT-01", "the body is an Appointment with every element of the right JSON shape"),
    ("APPT-02", "profile rules and FHIR's Appointment invariants (app-1 to app-4) hold"),
)
_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[([0-9]+)\])?")


def check_appointment(body: bytes, source: str = "<appointment>") -> Report:
    """The two checks of an Appointment body; every issue of the intake becomes a fix hint."""
    # Imported here: the intake brings SQLAlchemy and the storage layer, which the rest of the
    # package (and the simulator, which reads the acceptance identifiers) has no use for.
    from sas_core.appointments.intake import validate_appointment

    (shape_id, shape_title), (rules_id, rules_title) = APPOINTMENT_CHECKS
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        document = None
    try:
        reported = validate_appointment(body)
    except FhirRefusal as refusal:
        hints = tuple(_hint(document, issue) for issue in refusal.issues)
        detail = f"{len(refusal.issues)} issue(s); the platform would answer HTTP {refusal.status}"
        if refusal.status == 400 or _is_shape(refusal):
            return Report(
                source,
                "ps",
                (
                    CheckResult(shape_id, shape_title, Status.FAILED, detail, hints),
                    CheckResult(rules_id, rules_title, Status.SKIPPED, f"needs {shape_id}"),
                ),
            )
        return Report(
            source,
            "ps",
            (
                CheckResult(shape_id, shape_title, Status.PASSED, "an Appointment, well shaped"),
                CheckResult(rules_id, rules_title, Status.FAILED, detail, hints),
            ),
        )
    return Report(
        source,
        "ps",
        (
            CheckResult(shape_id, shape_title, Status.PASSED, "an Appointment, well shaped"),
            CheckResult(
                rules_id,
                rules_title,
                Status.PASSED,
                f"{reported.profile} appointment {reported.identifier}, status "
                f"{reported.status.value}: the platform would accept it",
            ),
        ),
    )


def _is_shape(refusal: FhirRefusal) -> bool:
    """The shape pass (`json_shape`) refuses before the profile rules run: its issues say which
    JSON type an element should have."""
    return all(issue.code == "structure" for issue in refusal.issues)


def _hint(document: Any, issue: Issue) -> FixHint:
    element = issue.expression or "Appointment"
    found = _value_at(document, element)
    return FixHint(element, found, issue.diagnostics, FAQ_APPOINTMENT)


def _value_at(document: Any, expression: str) -> str:
    """The value a simple FHIRPath (`Appointment.participant[0].status`) names, or 'absent'."""
    steps = expression.split(".")
    value = document
    for step in steps[1:] if steps and steps[0] == "Appointment" else steps:
        match = _STEP.fullmatch(step)
        if match is None or not isinstance(value, dict):
            return "see the rule"
        value = value.get(match[1])
        if match[2] is not None:
            if not isinstance(value, list) or int(match[2]) >= len(value):
                return "absent"
            value = value[int(match[2])]
        if value is None:
            return "absent"
    text = orjson.dumps(value).decode()
    return text if len(text) <= 80 else text[:79] + "…"
