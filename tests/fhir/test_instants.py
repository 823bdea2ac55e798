from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sas_core.fhir.instants import PARIS, format_instant, parse_instant, parse_search_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The three forms of digest §4.2.
        ("2021-01-02T10:00:00", datetime(2021, 1, 2, 9, 0, tzinfo=UTC)),
        ("2021-11-04T14:19:35.760+00:00", datetime(2021, 11, 4, 14, 19, 35, 760000, tzinfo=UTC)),
        ("2024-06-12T16:20:00.000+02:00", datetime(2024, 6, 12, 14, 20, tzinfo=UTC)),
        ("2024-06-12T14:20:00Z", datetime(2024, 6, 12, 14, 20, tzinfo=UTC)),
        ("2024-06-12T14:20:00.5-03:00", datetime(2024, 6, 12, 17, 20, 0, 500000, tzinfo=UTC)),
        ("2024-06-12T14:20:00.123456789Z", datetime(2024, 6, 12, 14, 20, 0, 123456, tzinfo=UTC)),
    ],
)
def test_parse_instant_forms(text: str, expected: datetime) -> None:
    parsed = parse_instant(text)
    assert parsed.tzinfo is not None
    assert parsed == expected


def test_offset_less_value_is_paris_wall_clock_in_summer_and_winter() -> None:
    summer = parse_instant("2024-07-01T10:00:00")
    winter = parse_instant("2024-01-15T10:00:00")
    assert summer.utcoffset() == timedelta(hours=2)
    assert winter.utcoffset() == timedelta(hours=1)
    assert summer == datetime(2024, 7, 1, 8, 0, tzinfo=UTC)


def test_offset_less_value_on_dst_change_day() -> None:
    # 31 March 2024: Paris moves from +01:00 to +02:00 at 02:00 local time.
    assert parse_instant("2024-03-31T01:30:00") == datetime(2024, 3, 31, 0, 30, tzinfo=UTC)
    assert parse_instant("2024-03-31T03:30:00") == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)
    # 27 October 2024: 02:30 happens twice; the first (summer-time) one is taken.
    assert parse_instant("2024-10-27T02:30:00") == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ["", "2024-06-12", "2024-06-12T14:20", "2024-13-01T00:00:00Z", "12/06/2024 14:20", "now"],
)
def test_parse_instant_rejects_naming_the_value(text: str) -> None:
    with pytest.raises(ValueError, match=repr(text).replace("(", r"\(").replace("/", "/")):
        parse_instant(text)


def test_format_instant_is_the_test_kit_format_in_paris_time() -> None:
    assert (
        format_instant(datetime(2024, 6, 12, 14, 20, tzinfo=UTC)) == "2024-06-12T16:20:00.000+02:00"
    )
    assert format_instant(datetime(2024, 1, 15, 9, 0, 0, 123456, tzinfo=UTC)) == (
        "2024-01-15T10:00:00.123+01:00"
    )


def test_format_instant_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_instant(datetime(2024, 6, 12, 14, 20))


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 6, 12, 14, 20, 5, 250000, tzinfo=UTC),
        datetime(2024, 10, 27, 0, 30, tzinfo=UTC),  # first 02:30 Paris
        datetime(2024, 10, 27, 1, 30, tzinfo=UTC),  # second 02:30 Paris
        datetime(2024, 3, 31, 3, 0, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_format_then_parse_round_trips(moment: datetime) -> None:
    text = format_instant(moment)
    assert parse_instant(text) == moment
    assert parse_instant(text).utcoffset() == moment.astimezone(PARIS).utcoffset()


def test_search_date_reads_a_decoded_plus_as_an_offset() -> None:
    assert parse_search_date("2024-06-12T16:20:00.000 02:00") == datetime(
        2024, 6, 12, 14, 20, tzinfo=UTC
    )
    assert parse_search_date("2024-06-12T16:20:00+02:00") == datetime(
        2024, 6, 12, 14, 20, tzinfo=UTC
    )
    assert parse_search_date("2021-01-02T10:00:00") == datetime(2021, 1, 2, 9, 0, tzinfo=UTC)


def test_search_date_still_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="not a FHIR instant"):
        parse_search_date("2024-06-12T16:20:00 2:00")


@pytest.mark.parametrize("offset", ["+14:00", "-14:00", "+13:59", "-00:30", "Z"])
def test_offsets_within_fhirs_range_are_read(offset: str) -> None:
    assert parse_instant(f"2024-06-12T14:20:00{offset}").tzinfo is not None


@pytest.mark.parametrize("offset", ["+15:00", "-14:01", "+14:30", "+23:59", "+99:00"])
def test_offsets_beyond_fourteen_hours_are_refused(offset: str) -> None:
    """FHIR R4 instant regex: offsets run from -14:00 to +14:00."""
    with pytest.raises(ValueError, match="not a FHIR instant"):
        parse_instant(f"2024-06-12T14:20:00{offset}")


@pytest.mark.parametrize(
    "text",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "9999-12-31T23:30:00Z"],
)
def test_instants_that_leave_years_1_to_9999_in_utc_or_paris_are_refused(text: str) -> None:
    """Storage converts to UTC and the platform writes Paris time: both must exist."""
    with pytest.raises(ValueError, match="outside years 0001-9999"):
        parse_instant(text)


@pytest.mark.parametrize("text", ["0001-01-01T14:00:00+14:00", "9999-12-31T22:00:00Z"])
def test_instants_at_the_edges_of_the_range_are_read(text: str) -> None:
    parsed = parse_instant(text)
    assert format_instant(parsed) and parsed.astimezone(UTC).year == parsed.year
