"""OperationOutcome bodies for the platform's FHIR server side (digest §2: every failure is an
OperationOutcome), each issue naming the element (`expression`) and the rule (`diagnostics`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

#: The FHIR issue-type codes the platform answers with.
IssueCode = Literal[
    "invalid",
    "structure",
    "required",
    "value",
    "invariant",
    "too-long",
    "business-rule",
    "conflict",
    "forbidden",
    "not-found",
    "not-supported",
    "too-costly",
    "exception",
    "timeout",
]


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: where (`expression`, a FHIRPath such as `Appointment.participant[0].status`;
    None when it concerns the request as a whole) and which rule it breaks."""

    diagnostics: str
    expression: str | None = None
    code: IssueCode = "invalid"


class FhirRefusal(Exception):
    """A request the platform refuses with `status` and an OperationOutcome of `issues`."""

    def __init__(
        self, status: int, issues: list[Issue] | Issue, headers: dict[str, str] | None = None
    ) -> None:
        self.status = status
        self.issues = issues if isinstance(issues, list) else [issues]
        self.headers = headers or {}
        super().__init__("; ".join(i.diagnostics for i in self.issues))


def quoted(value: Any, limit: int = 60) -> str:
    """`value` as diagnostics quote it: its repr, cut to about `limit` characters, so a 100,000
    character value is not echoed back whole."""
    text = (
        repr(value) if isinstance(value, str | int | float | bool) else f"a JSON {json_type(value)}"
    )
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def json_type(value: Any) -> str:
    """The JSON type of a decoded value, as FHIR JSON's rules name it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int | float):
        return "number"
    return "array" if isinstance(value, list) else "object"


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    """An OperationOutcome resource with one error issue per problem."""
    rendered: list[dict[str, Any]] = []
    for issue in issues:
        entry: dict[str, Any] = {
            "severity": "error",
            "code": issue.code,
            "diagnostics": issue.diagnostics,
        }
        if issue.expression is not None:
            entry["expression"] = [issue.expression]
        rendered.append(entry)
    return {"resourceType": "OperationOutcome", "issue": rendered}
