"""Reading INT_R01 requests: the encoding quirks of digest §4.2 are tolerated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

import pytest

from sas_simulator.dataset import PARIS
from sas_simulator.search import SearchError, parse_search_date, parse_slot_search

RPPS_A, RPPS_B = "810000000001", "810000000002"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-06-12T16:20:00.000+02:00", datetime(2024, 6, 12, 14, 20, tzinfo=UTC)),
        ("2024-06-12T16:20:00+02:00", datetime(2024, 6, 12, 14, 20, tzinfo=UTC)),
        ("2024-06-12T16:20:00.000 02:00", datetime(2024, 6, 12, 14, 20, tzinfo=UTC)),
        ("2021-11-04T14:19:35.760+00:00", datetime(2021, 11, 4, 14, 19, 35, 760000, tzinfo=UTC)),
        ("2024-06-12T14:20:00Z", datetime(2024, 6, 12, 14, 20, tzinfo=UTC)),
        # Offset-less values are Paris wall-clock time: +02:00 in June, +01:00 in January.
        ("2024-06-12T16:20:00", datetime(2024, 6, 12, 14, 20, tzinfo=UTC)),
        ("2024-01-12T16:20", datetime(2024, 1, 12, 15, 20, tzinfo=UTC)),
        ("2024-06-12T16:20:00.123456789-05:30", datetime(2024, 6, 12, 21, 50, 0, 123456, UTC)),
    ],
)
def test_dates(text: str, expected: datetime) -> None:
    assert parse_search_date(text) == expected


def test_offset_less_date_is_in_paris() -> None:
    assert parse_search_date("2024-06-12T16:20:00").tzinfo == PARIS
    assert parse_search_date("2024-06-12T16:20:00+03:00").utcoffset() == timedelta(hours=3)
    assert parse_search_date("2024-06-12T16:20:00+03:00").tzinfo == timezone(timedelta(hours=3))


@pytest.mark.parametrize(
    "text", ["2024-06-12", "2024-13-01T10:00:00", "tomorrow", "2024-06-12T25:00"]
)
def test_unparsable_dates(text: str) -> None:
    with pytest.raises(ValueError):
        parse_search_date(text)


def test_identifiers_with_raw_or_encoded_bars_and_spaces() -> None:
    system = "urn:oid:1.2.250.1.71.4.2.1"
    ids = f"{system}|{RPPS_A}, {quote(system)}%7C{RPPS_B},{system}|{RPPS_A}"
    query = (
        "start=ge2024-06-12T16:20:00.000+02:00&start=le2024-06-14T16:20:00"
        f"&schedule.actor:Practitioner.identifier={ids}&status=free&_count=1000"
    )
    search = parse_slot_search(query)
    assert search.practitioners == (RPPS_A, RPPS_B)
    assert search.start == datetime(2024, 6, 12, 14, 20, tzinfo=UTC)
    assert search.end == datetime(2024, 6, 14, 14, 20, tzinfo=UTC)


def test_error_names_the_parameter_and_kind() -> None:
    with pytest.raises(SearchError) as caught:
        parse_slot_search("start=ge2024-06-12T16:20:00&start=le2024-06-13T16:20:00")
    assert caught.value.parameter == "status"
    assert caught.value.code == "required"
