"""Reading Slot (INT_R01/INT_R04) and Schedule (SOS) searches the way a strict but forgiving
vendor would.

Strict on what digest §15.1 says must be rejected (missing or repeated bounds, other comparators,
wrong identifier system, too many identifiers, unparsable dates); forgiving on the encoding
quirks of §4.2 (raw `|` or `%7C`, spaces after commas, a `+` offset that URL decoding turned
into a space, dates with or without milliseconds or offset). The SOS search reuses the same
window, status and identifier-list rules under its `_has:Slot:schedule:*` names (§6.2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Literal
from urllib.parse import parse_qsl

from sas_core.clock import PARIS
from sas_core.fhir.codes import SLOT_STATUS_SYSTEM
from sas_core.identifiers import IDNPS_SYSTEM, IDNST_SYSTEM
from sas_core.slots.models import MAX_PRACTITIONERS_PER_QUERY

IDENTIFIER_PARAM = "schedule.actor:Practitioner.identifier"
#: Digest §5.1: the INT_R04 includes; either one switches the answer to the CPTS bundle.
CPTS_INCLUDES = frozenset({"Slot:service-type-reference", "HealthcareService:organization"})
SOS_START_PARAM = "_has:Slot:schedule:start"
SOS_STATUS_PARAM = "_has:Slot:schedule:status"
SOS_IDENTIFIER_PARAM = "actor:Location.organization.identifier"
#: Digest §6.1/§16.6: the platform sends at most 10 SIRET (functional page) but the technical
#: table allows 1..25. A lenient vendor accepts the technical bound and refuses beyond it.
MAX_SOS_ASSOCIATIONS = 25

_DATE_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<h>\d{2}):(?P<m>\d{2})"
    r"(?::(?P<s>\d{2})(?:\.(?P<frac>\d{1,9}))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?"
)
_SPACED_OFFSET = re.compile(r" (\d{2}:\d{2})$")
_PREFIX = re.compile(r"[a-z]{2}")
_IDNPS = re.compile(r"8[0-9]{11}|0[0-9A-Za-z]{9}")
_SOS_IDNST = re.compile(r"3[0-9]{14}")


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
    #: INT_R04 (digest §5.1): a CPTS include was asked for, so the answer is the CPTS bundle
    #: with the HealthcareServices and Organizations of the CPTS-visible slots.
    cpts: bool = False


@dataclass(frozen=True, slots=True)
class ScheduleSearch:
    """A valid SOS request: the window on the slots' start and the associations' IDNST."""

    start: datetime
    end: datetime
    #: Prefixed IDNST, `3` + SIRET, in request order without repeats.
    associations: tuple[str, ...]


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

    Parameters the IG does not define (`_count`, `_format`, …) are ignored, as FHIR servers do by
    default. The INT_R01 includes (`Slot:schedule`, `Schedule:actor`) are implied: the response
    always has them. The CPTS includes of §5.1 are looked for under `_include` or
    `_include:iterate` (spelling leniency), since they change the answer.
    """
    params = parse_qsl(query_string, keep_blank_values=True)
    start, end = _window([v for k, v in params if k == "start"], "start")
    _status([v for k, v in params if k == "status"], "status")
    practitioners = _identifiers(
        [v for k, v in params if k == IDENTIFIER_PARAM], _PRACTITIONER_LIST
    )
    includes = {v for k, v in params if k in ("_include", "_include:iterate")}
    return SlotSearch(
        start=start, end=end, practitioners=practitioners, cpts=bool(includes & CPTS_INCLUDES)
    )


def parse_schedule_search(query_string: str) -> ScheduleSearch:
    """Validate the raw query string of the SOS `GET [base]/Schedule` (digest §6.2, §15.1).

    Required: exactly one `_has:Slot:schedule:start=ge…` and one `=le…`, `_has:Slot:schedule:
    status=free`, and the associations (`urn:oid:1.2.250.1.71.4.2.2|3<SIRET>`, comma = OR).
    `_revinclude=Slot:schedule`, `_include=Schedule:actor:Location` and
    `_include:iterate=Location:organization` (or `Location:Organization`, §16.7) are implied
    rather than required, as the INT_R01 includes are: the answer always has the IG's shape,
    which is the only one the platform can use.
    """
    params = parse_qsl(query_string, keep_blank_values=True)
    start, end = _window([v for k, v in params if k == SOS_START_PARAM], SOS_START_PARAM)
    _status([v for k, v in params if k == SOS_STATUS_PARAM], SOS_STATUS_PARAM)
    associations = _identifiers(
        [v for k, v in params if k == SOS_IDENTIFIER_PARAM], _ASSOCIATION_LIST
    )
    return ScheduleSearch(start=start, end=end, associations=associations)


def _window(values: list[str], parameter: str) -> tuple[datetime, datetime]:
    bounds: dict[str, list[datetime]] = {"ge": [], "le": []}
    for value in values:
        prefix = value[:2]
        if not _PREFIX.fullmatch(prefix) or prefix not in bounds:
            raise SearchError(
                parameter,
                f"{value!r}: only the comparators ge and le are allowed"
                f" ({parameter}=ge…&{parameter}=le…)",
            )
        try:
            bounds[prefix].append(parse_search_date(value[2:]))
        except ValueError as exc:
            raise SearchError(parameter, f"unparsable date: {exc}") from None
    for prefix, found in bounds.items():
        if not found:
            raise SearchError(parameter, f"{parameter}={prefix}<dateTime> is required", "required")
        if len(found) > 1:
            raise SearchError(parameter, f"{parameter}={prefix} must appear exactly once")
    (lower,), (upper,) = bounds["ge"], bounds["le"]
    if lower > upper:
        raise SearchError(parameter, f"the {parameter}=ge bound is after the {parameter}=le bound")
    return lower, upper


def _status(values: list[str], parameter: str) -> None:
    if not values:
        raise SearchError(parameter, f"{parameter}=free is required", "required")
    if len(values) > 1:
        raise SearchError(parameter, f"{parameter} must appear exactly once, with the value free")
    if values[0] not in ("free", f"{SLOT_STATUS_SYSTEM}|free"):
        raise SearchError(parameter, f"{values[0]!r}: only {parameter}=free is supported")


@dataclass(frozen=True, slots=True)
class _IdentifierList:
    """How one kind of `system|value[,…]` search parameter is checked."""

    parameter: str
    system: str
    pattern: re.Pattern[str]
    #: What the values are, for messages: "a prefixed IDNPS (…)".
    described: str
    noun: str
    maximum: int


_PRACTITIONER_LIST = _IdentifierList(
    IDENTIFIER_PARAM,
    IDNPS_SYSTEM,
    _IDNPS,
    "a prefixed IDNPS (8 + 11-digit RPPS or 0 + 9-character ADELI)",
    "practitioners",
    MAX_PRACTITIONERS_PER_QUERY,
)
_ASSOCIATION_LIST = _IdentifierList(
    SOS_IDENTIFIER_PARAM,
    IDNST_SYSTEM,
    _SOS_IDNST,
    "an SOS association IDNST (3 + 14-digit SIRET)",
    "associations",
    MAX_SOS_ASSOCIATIONS,
)


def _identifiers(values: list[str], kind: _IdentifierList) -> tuple[str, ...]:
    parameter = kind.parameter
    if not values:
        example = "8<RPPS>" if kind.system == IDNPS_SYSTEM else "3<SIRET>"
        raise SearchError(
            parameter,
            f"is required: {kind.system}|{example}[,…] (1 to {kind.maximum})",
            "required",
        )
    if len(values) > 1:
        raise SearchError(parameter, "must appear once; separate identifiers by commas")
    found: list[str] = []
    for item in values[0].split(","):
        token = item.strip()
        system, bar, value = token.partition("|")
        if not bar:
            raise SearchError(parameter, f"{token!r} is not of the form system|value")
        if system != kind.system:
            raise SearchError(parameter, f"{token!r}: the system must be {kind.system}")
        if not kind.pattern.fullmatch(value):
            raise SearchError(parameter, f"{value!r} is not {kind.described}")
        found.append(value)
    unique = tuple(dict.fromkeys(found))
    if len(unique) > kind.maximum:
        raise SearchError(
            parameter, f"{len(unique)} {kind.noun}: at most {kind.maximum} per request"
        )
    return unique
