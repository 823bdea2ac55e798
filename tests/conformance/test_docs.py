"""docs/conformance.md lists every check id the checker has, and no other."""

from __future__ import annotations

import re
from pathlib import Path

from sas_core.conformance.appointment import APPOINTMENT_CHECKS
from sas_core.conformance.catalogue import CHECKS
from sas_core.conformance.runner import RUNNERS

PAGE = Path(__file__).resolve().parents[2] / "docs" / "conformance.md"


def test_every_check_is_documented_with_its_faq_entry() -> None:
    text = PAGE.read_text()
    rows = dict(re.findall(r"^\| `([A-Z]+-\d\d)` \| (.+) \|$", text, flags=re.MULTILINE))
    expected = {c.id for c in CHECKS} | {i for i, _ in APPOINTMENT_CHECKS}
    assert set(rows) == expected
    for check in CHECKS:
        assert rows[check.id].endswith(check.faq), check.id


def test_every_check_of_the_catalogue_runs() -> None:
    assert [c.id for c in CHECKS] == list(RUNNERS)
