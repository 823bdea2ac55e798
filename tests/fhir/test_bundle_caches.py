"""The parser's per-bundle caches: a slot like an earlier one is judged and mapped just the same.

A slot whose start, end and schedule an earlier slot already had accepted goes the usual (cached)
way, and the coded elements are memoised on their values; these tests bend a slot that follows a
valid twin, so that the shortcuts are taken, and expect what the slot alone would give.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from sas_core import BundleIssue, Slot
from sas_core.fhir import parse_slot_bundle
from sas_core.fhir.codes import TRE_R314_TYPE_CRENEAU, V2_0276, V3_ACT_CODE
from tests.fhir.conftest import (
    FETCHED_AT,
    QUERY,
    bundle_of,
    practitioner_resource,
    role_resource,
    schedule_resource,
    slot_resource,
)


def parse(bundle: Any, now: datetime | None = None) -> tuple[list[Slot], list[BundleIssue]]:
    return parse_slot_bundle(bundle, adapter="vendor", query=QUERY, fetched_at=FETCHED_AT, now=now)


def bundle_with(*slots: dict[str, Any]) -> dict[str, Any]:
    return bundle_of(*slots, schedule_resource(), practitioner_resource(), role_resource())


def alone(
    slot: dict[str, Any], now: datetime | None = None
) -> tuple[list[Slot], list[BundleIssue]]:
    return parse(bundle_with(slot))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": "busy"}, "not 'free'"),
        ({"end": "2024-06-12T16:40:00.000+02:00"}, "is not before end"),
        ({"end": "2024-06-12T16:00:00.000+02:00"}, "is not before end"),
        ({"id": ""}, "no id"),
        ({"id": 7}, "no id"),
        ({"id": "s1"}, "came earlier in the bundle"),
        ({"schedule": "Schedule/sch1"}, "no schedule reference"),
        ({"schedule": {"reference": ["Schedule/sch1"]}}, "no schedule reference"),
        ({"start": ["2024-06-12T16:40:00.000+02:00"]}, "unusable start/end"),
    ],
)
def test_slot_like_an_earlier_one_is_still_dropped(change: dict[str, Any], reason: str) -> None:
    slots, issues = parse(bundle_with(slot_resource("s1"), slot_resource("s2", **change)))
    assert [s.id for s in slots] == ["s1"]
    assert len(issues) == 1 and issues[0].dropped and reason in issues[0].reason


def test_slot_starting_at_an_accepted_start_is_still_checked_against_now() -> None:
    early = slot_resource("s1")
    bundle = bundle_with(early, slot_resource("s2"))
    assert [s.id for s in parse(bundle, now=FETCHED_AT)[0]] == ["s1", "s2"]
    later = datetime(2024, 6, 12, 15, 0, tzinfo=UTC)
    slots, issues = parse(bundle, now=later)
    assert slots == [] and [i.resource for i in issues] == ["Slot/s1", "Slot/s2"]
    assert all("in the past" in i.reason for i in issues)


def security(code: Any) -> dict[str, Any]:
    return {"security": [{"system": TRE_R314_TYPE_CRENEAU, "code": code}]}


@pytest.mark.parametrize(
    "changes",
    [
        # Problems found once are reported for every slot that has them.
        [{"meta": security("XYZ")}] * 3,
        # Equal in Python, distinct in JSON: each is read for itself.
        [{"meta": security(1)}, {"meta": security(True)}, {"meta": security(1.0)}],
        [{"appointmentType": None}, {"appointmentType": float("nan")}],
        [
            {"serviceType": [{"coding": [{"system": V3_ACT_CODE, "code": None}]}]},
            {"serviceType": [{"coding": [{"system": V3_ACT_CODE, "code": float("inf")}]}]},
        ],
        # Not plain JSON (a str subclass): read without the memo.
        [{"meta": security(type("Code", (str,), {})("XYZ"))}, {"meta": security("XYZ")}],
        # A WALKIN slot without comment is fine, a ROUTINE one is reported.
        [
            {"appointmentType": {"coding": [{"system": V2_0276, "code": "WALKIN"}]}},
            {"appointmentType": {"coding": [{"system": V2_0276, "code": "ROUTINE"}]}},
            {"appointmentType": {"coding": [{"system": V2_0276, "code": "WALKIN"}]}},
        ],
    ],
)
def test_slots_sharing_element_values_map_as_each_alone(changes: list[dict[str, Any]]) -> None:
    resources = [slot_resource(f"s{n}", comment=None, **c) for n, c in enumerate(changes)]
    slots, issues = parse(bundle_with(*resources))
    expected_slots: list[Slot] = []
    expected_issues: list[BundleIssue] = []
    for resource in resources:
        one_slots, one_issues = alone(resource)
        expected_slots += one_slots
        expected_issues += one_issues
    assert slots == expected_slots
    assert issues == expected_issues
    for slot in slots:
        assert slot == Slot.model_validate(slot.model_dump())


def test_many_slots_of_one_schedule_map_as_each_alone() -> None:
    resources = [
        slot_resource(
            f"s{n}",
            start=f"2024-06-12T{10 + n // 3}:{(n % 3) * 20:02d}:00.000+02:00",
            end=f"2024-06-12T{10 + (n + 1) // 3}:{((n + 1) % 3) * 20:02d}:00.000+02:00",
        )
        for n in range(12)
    ]
    raw = orjson.dumps(bundle_with(*resources))
    slots, issues = parse(raw)
    assert issues == []
    assert slots == [alone(r)[0][0] for r in resources]
