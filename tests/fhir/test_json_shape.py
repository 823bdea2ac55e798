"""Duplicate keys: found wherever they are, never imagined in a string that looks like a key."""

from __future__ import annotations

import orjson
import pytest

from sas_core.fhir.json_shape import check_appointment, duplicated_key


def duplicate_in(body: bytes) -> tuple[str | None, str] | None:
    shape = check_appointment(orjson.loads(body))
    issue = duplicated_key(body, shape.keys)
    return None if issue is None else (issue.expression, issue.diagnostics)


@pytest.mark.parametrize(
    "body",
    [
        b'{"resourceType": "Appointment", "status": "booked"}',
        b'{"resourceType" :\n "Appointment", "comment": "\\"a\\": 1, \\"b\\" : 2"}',
        b'{"resourceType": "Appointment", "contained": [{"resourceType": "Patient", "id": "a"},'
        b' {"resourceType": "Patient", "id": "b"}]}',
    ],
)
def test_bodies_without_duplicates_pass(body: bytes) -> None:
    assert duplicate_in(body) is None


@pytest.mark.parametrize(
    ("body", "expression", "key"),
    [
        (b'{"resourceType": "Appointment", "status": "a", "status": "b"}', "Appointment", "status"),
        (
            b'{"resourceType": "Appointment", "participant": [{"status": "a"}, '
            b'{"status": "a", "status"\t: "b"}]}',
            "Appointment.participant[1]",
            "status",
        ),
        (
            b'{"resourceType": "Appointment", "contained": [{"resourceType": "Patient", '
            b'"id": "a", "id": "b"}]}',
            "Appointment.contained[0]",
            "id",
        ),
    ],
)
def test_a_duplicated_key_is_found_where_it_is(body: bytes, expression: str, key: str) -> None:
    found = duplicate_in(body)
    assert found is not None
    assert found[0] == expression and f"'{key}' appears more than once" in found[1]
