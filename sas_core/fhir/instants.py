"""FHIR instants as the SAS flows write them.

Digest §4.2: vendors and the IG's own examples write instants with or without milliseconds, with
`Z`, with a numeric offset or with no offset at all; §16.12: the IG never says what an offset-less
value means. Decision: an offset-less value is Europe/Paris wall-clock time (the platform and every
vendor are French; digest §4.2 calls it the safest choice). What we *send* always follows the test
kit's format (§4.4): milliseconds and a numeric Europe/Paris offset.

FHIR R4 bounds what an instant may be (datatypes.html, the `instant`/`dateTime` regexes): years
0001-9999 and offsets within ±14:00. The platform also needs every instant it accepts to convert
to UTC (how it stores them) and to Paris time (how it writes them): near the ends of year 1 and
year 9999 an offset can push that conversion outside the years Python represents, so such a value
is refused as well, instead of failing later.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from sas_core.clock import PARIS

# FHIR dateTime-with-time shape; seconds are required (FHIR `instant`), the offset is not (§4.2);
# FHIR's offsets run from -14:00 to +14:00.
_INSTANT = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))?",
)
# A `+` in a query string that a URL decoder turned into a space: `...T10:00:00 02:00`.
_SPACE_OFFSET = re.compile(r" (\d{2}:\d{2})$")


def parse_instant(text: str) -> datetime:
    """Read a FHIR instant/dateTime with a time part; the result is always timezone-aware.

    Accepts `YYYY-MM-DDThh:mm:ss[.fff…][Z|±hh:mm]`. Without an offset the value is Europe/Paris
    wall-clock time; in the autumn overlap the first (summer-time) occurrence is taken, and a time
    in the spring gap is read with the winter offset (zoneinfo's `fold=0`). Fractions beyond
    microseconds are truncated. Raises ValueError naming the value otherwise, also for an offset
    beyond ±14:00 and for a value whose UTC or Paris time falls outside years 0001-9999.
    """
    match = _INSTANT.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"not a FHIR instant: {text!r}")
    base, fraction, offset = match.groups()
    iso = base + (fraction[:7] if fraction else "") + (offset or "")
    try:
        value = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(f"not a FHIR instant: {text!r}") from None
    if value.tzinfo is None:
        # A fixed offset, not PARIS itself: PEP 495 makes an ambiguous ZoneInfo time unequal to
        # every time in another zone, which would break window checks in the autumn overlap.
        offset = value.replace(tzinfo=PARIS).utcoffset()
        value = value.replace(tzinfo=timezone(offset or timedelta(0)))
    if value.year in (1, 9999):
        # Only there can a ±14:00 offset carry the conversion out of Python's years.
        try:
            value.astimezone(UTC)
            value.astimezone(PARIS)
        except OverflowError:
            raise ValueError(
                f"{text!r} falls outside years 0001-9999 once converted to UTC or Paris time"
            ) from None
    return value


def format_instant(dt: datetime) -> str:
    """Write `dt` as `YYYY-MM-DDThh:mm:ss.sss+hh:mm` in Europe/Paris time (test-kit format, §4.4).

    Raises ValueError for a naive datetime: guessing its zone is the caller's decision, not ours.
    """
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"cannot format a naive datetime as an instant: {dt!r}")
    return dt.astimezone(PARIS).isoformat(timespec="milliseconds")


def parse_search_date(value: str) -> datetime:
    """Read a date value from a query string (without its `ge`/`le` prefix).

    Same forms as :func:`parse_instant`, plus `" 02:00"` read as `+02:00`: an un-encoded `+` that
    a URL decoder turned into a space (digest §4.2).
    """
    return parse_instant(_SPACE_OFFSET.sub(r"+\1", value.strip(), count=1))
