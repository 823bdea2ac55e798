"""The report as text (one line per check, then `N passed, N failed`), JSON or JUnit XML (for a
vendor's CI)."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from sas_core.conformance.models import Report, Status

_MARK = {Status.PASSED: "PASS", Status.FAILED: "FAIL", Status.SKIPPED: "SKIP"}


def as_text(report: Report) -> str:
    lines = [f"SAS conformance of {report.base_url} (mode {report.mode})"]
    for r in report.results:
        lines.append(f"{_MARK[r.status]} {r.id:<8} {r.title}: {r.detail}".rstrip(": "))
        for hint in r.hints:
            lines.append(f"     fix: {hint.as_text()}")
    if report.skipped:
        lines.append(f"({report.skipped} skipped, not counted)")
    lines.append(report.summary)
    return "\n".join(lines)


def as_json(report: Report) -> str:
    return json.dumps(report.as_json(), ensure_ascii=False, indent=2)


def as_junit(report: Report) -> str:
    suite = ET.Element(
        "testsuite",
        name=f"sas-conformance-{report.mode}",
        tests=str(len(report.results)),
        failures=str(report.failed),
        skipped=str(report.skipped),
        errors="0",
        time=f"{sum(r.duration_s for r in report.results):.3f}",
    )
    for r in report.results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"sas.conformance.{report.mode}",
            name=f"{r.id} {r.title}",
            time=f"{r.duration_s:.3f}",
        )
        if r.status is Status.FAILED:
            failure = ET.SubElement(case, "failure", message=r.detail)
            failure.text = "\n".join(h.as_text() for h in r.hints) or r.detail
        elif r.status is Status.SKIPPED:
            ET.SubElement(case, "skipped", message=r.detail)
    suites = ET.Element("testsuites")
    suites.append(suite)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)
