"""Reading an INT_R01 Slot search request the way a strict but forgiving vendor would.

Strict on what digest §15.1 says must be rejected (missing or repeated bounds, other comparators,
wrong identifier system, more than 25 practitioners, unparsable dates); forgiving on the encoding
quirks of §4.2 (raw `|` or `%7C`, spaces after commas, a `+` offset that URL decoding turned
into a space, dates with or without milliseconds or offset).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Literal
from urllib.parse import parse_qsl

from sas_core.identifiers import IDNPS_SYSTEM
from sas_core.slots import MAX_PRACTITIONERS_PER_QUERY
from sas_simulator.dataset import PARIS

IDENTIFIER_PARAM = "schedule.actor:Practitioner.identifier"
SLOT_STATUS_SYSTEM = "http://hl7.org/fhir/slotstatus"

_DATE_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<h>\d{2}):(?P<m>\d{2})"
    r"(?::(?P<s>\d{2})(?:\.(?P<frac>\d{1,9}))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?"
)
_SPACED_OFFSET = re.compile(r" (\d{2}:\d{2})$")
_PREFIX = re.compile(r"[a-z]{2}")
_IDNPS = re.compile(r"8[0-9]{11}|0[0-9A-Za-z]{9}")


class SearchError(ValueError):
    """A request the vendor must refuse: becomes a 400 with an OperationOutcome."""

    def __init__(
        self, parameter: str, rule: str, code: Literal["invalid", "required"] = "invalid"
    ) -> None:
        self.parameter = parameter
        self.rule = rule
        self.code = code
        super().__init__(f"{parameter}: {rule}")


@dataclass(frozen=True, slots=True)
class SlotSearch:
    """A valid INT_R01 request: the window on `Slot.start` and the prefixed IDNPS asked for."""

    start: datetime
    end: datetime
    practitioners: tuple[str, ...]


def parse_search_date(value: str) -> datetime:
    """A FHIR dateTime with time; an offset-less value is Europe/Paris wall-clock time.

    The IG does not say how to read an offset-less value (digest §4.2, §16.12); Paris time is
    what a French platform means.
    """
    text = _SPACED_OFFSET.sub(r"+\1", value)
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"{value!r} is not a dateTime such as 2024-06-12T16:20:00.000+02:00")
    fraction = (match["frac"] or "0")[:6].ljust(6, "0")
    tz = match["tz"]
    if tz is None:
        zone: tzinfo = PARIS
    elif tz == "Z":
        zone = UTC
    else:
        sign = 1 if tz[0] == "+" else -1
        zone = timezone(sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])))
    year, month, day = (int(part) for part in match["date"].split("-"))
    return datetime(
        year,
        month,
        day,
        int(match["h"]),
        int(match["m"]),
        int(match["s"] or 0),
        int(fraction),
        tzinfo=zone,
    )


def parse_slot_search(query_string: str) -> SlotSearch:
    """Validate the raw query string of `GET [base]/Slot` (digest §4.2, §15.1).

    Parameters the IG does not define (`_include`, `_count`, `_format`, …) are ignored, as FHIR
    servers do by default; the response always has the IG's includes.
    """
    params = parse_qsl(query_string, keep_blank_values=True)
    start, end = _window([v for k, v in params if k == "start"])
    _status([v for k, v in params if k == "status"])
    practitioners = _practitioners([v for k, v in params if k == IDENTIFIER_PARAM])
    return SlotSearch(start=start, end=end, practitioners=practitioners)


def _window(values: list[str]) -> tuple[datetime, datetime]:
    bounds: dict[str, list[datetime]] = {"ge": [], "le": []}
    for value in values:
        prefix = value[:2]
        if not _PREFIX.fullmatch(prefix) or prefix not in bounds:
            raise SearchError(
                "start",
                f"{value!r}: only the comparators ge and le are allowed (start=ge…&start=le…)",
            )
        try:
            bounds[prefix].append(parse_search_date(value[2:]))
        except ValueError as exc:
            raise SearchError("start", f"unparsable date: {exc}") from None
    for prefix, found in bounds.items():
        if not found:
            raise SearchError("start", f"start={prefix}<dateTime> is required", "required")
        if len(found) > 1:
            raise SearchError("start", f"start={prefix} must appear exactly once")
    (lower,), (upper,) = bounds["ge"], bounds["le"]
    if lower > upper:
        raise SearchError("start", "the start=ge bound is after the start=le bound")
    return lower, upper


def _status(values: list[str]) -> None:
    if not values:
        raise SearchError("status", "status=free is required", "required")
    if len(values) > 1:
        raise SearchError("status", "status must appear exactly once, with the value free")
    if values[0] not in ("free", f"{SLOT_STATUS_SYSTEM}|free"):
        raise SearchError("status", f"{values[0]!r}: only status=free is supported")


def _practitioners(values: list[str]) -> tuple[str, ...]:
    if not values:
        raise SearchError(
            IDENTIFIER_PARAM,
            f"is required: {IDNPS_SYSTEM}|8<RPPS>[,…] (1 to {MAX_PRACTITIONERS_PER_QUERY})",
            "required",
        )
    if len(values) > 1:
        raise SearchError(IDENTIFIER_PARAM, "must appear once; separate identifiers by commas")
    found: list[str] = []
    for item in values[0].split(","):
        token = item.strip()
        system, bar, value = token.partition("|")
        if not bar:
            raise SearchError(IDENTIFIER_PARAM, f"{token!r} is not of the form system|value")
        if system != IDNPS_SYSTEM:
            raise SearchError(
                IDENTIFIER_PARAM, f"{token!r}: the system must be {IDNPS_SYSTEM} (IDNPS)"
            )
        if not _IDNPS.fullmatch(value):
            raise SearchError(
                IDENTIFIER_PARAM,
                f"{value!r} is not a prefixed IDNPS (8 + 11-digit RPPS or 0 + 9-character ADELI)",
            )
        found.append(value)
    unique = tuple(dict.fromkeys(found))
    if len(unique) > MAX_PRACTITIONERS_PER_QUERY:
        raise SearchError(
            IDENTIFIER_PARAM,
            f"{len(unique)} practitioners: at most {MAX_PRACTITIONERS_PER_QUERY} per request",
        )
    return unique
