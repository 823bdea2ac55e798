"""What a conformance run reports: one result per check, each failure with its fix hints."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

#: The use case a vendor endpoint is checked for (digest §4, §5, §6).
Mode = Literal["ps", "cpts", "sos"]
MODES: tuple[Mode, ...] = ("ps", "cpts", "sos")


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class FixHint:
    """How to fix one finding: the element, what was found, what the IG expects, the FAQ entry.

    `faq` names the entry of the IG's FAQ (or of the test kit's checks) the mistake is known
    under, so a vendor recognises an error many vendors made before them.
    """

    element: str
    found: str
    expected: str
    faq: str

    def as_text(self) -> str:
        return f"{self.element}: found {self.found}; expected {self.expected} (FAQ: {self.faq})"

    def as_json(self) -> dict[str, str]:
        return {
            "element": self.element,
            "found": self.found,
            "expected": self.expected,
            "faq": self.faq,
        }


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check: `detail` says what was looked at (passed), why it did not run
    (skipped) or what went wrong (failed, with `hints`)."""

    id: str
    title: str
    status: Status
    detail: str = ""
    hints: tuple[FixHint, ...] = ()
    duration_s: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status.value,
            "detail": self.detail,
            "hints": [h.as_json() for h in self.hints],
            "duration_s": round(self.duration_s, 3),
        }


@dataclass(frozen=True, slots=True)
class Report:
    """Every check of one run, in the order they ran."""

    base_url: str
    mode: Mode
    results: tuple[CheckResult, ...] = field(default_factory=tuple)

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)

    @property
    def passed(self) -> int:
        return self.count(Status.PASSED)

    @property
    def failed(self) -> int:
        return self.count(Status.FAILED)

    @property
    def skipped(self) -> int:
        return self.count(Status.SKIPPED)

    @property
    def ok(self) -> bool:
        """True when nothing failed and something passed: an empty run proves nothing."""
        return self.failed == 0 and self.passed > 0

    @property
    def summary(self) -> str:
        """The last line of the text report, a stable contract: `N passed, N failed`."""
        return f"{self.passed} passed, {self.failed} failed"

    def result(self, check_id: str) -> CheckResult:
        return next(r for r in self.results if r.id == check_id)

    def as_json(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "mode": self.mode,
            "passed": self.passed,
            "failed": self.failed,
            "skipped": self.skipped,
            "results": [r.as_json() for r in self.results],
        }
