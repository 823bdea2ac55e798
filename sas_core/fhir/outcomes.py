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
