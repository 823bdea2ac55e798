"""Reading the elements of one Slot resource (digest §4.4, §5.3, §6.4).

These run on the hot path: plain loops over decoded JSON, no models. Nested JSON objects are
checked with `type(…) is dict` (json/orjson produce exact dicts), not the much slower `Mapping`
ABC check. Problems that leave the slot usable are appended to `problems` (when given), to be
reported as BundleIssues. The bundle parser reads the coded elements through
:class:`CodedElementsReader`, which runs each reader once per distinct value in the bundle rather
than once per slot.
"""

from __future__ import annotations

from typing import Any

import orjson

from sas_core.fhir.codes import (
    APPOINTMENT_TYPES,
    MODALITIES,
    PS_SLOT_TYPES,
    TRE_R38_SPECIALITE_ORDINALE,
    TRE_R66_CATEGORIE_ETABLISSEMENT,
    TRE_R314_TYPE_CRENEAU,
    V2_0276,
    V3_ACT_CODE,
)
from sas_core.fhir.references import Resource
from sas_core.slots.models import AppointmentType, Modality, SlotType

_SLOT_TYPES = {t.value: t for t in SlotType}
_URL_SCHEMES = ("https://", "http://")


_NO_CODINGS: list[Any] = []


def _codings(concept: Any) -> list[Any]:
    if type(concept) is dict:
        codings = concept.get("coding")
        if type(codings) is list:
            return codings
    return _NO_CODINGS


def slot_types_of(
    slot: Resource,
    allowed: frozenset[SlotType] = PS_SLOT_TYPES,
    problems: list[str] | None = None,
) -> tuple[SlotType, ...]:
    """The TRE_R314 slot types in `meta.security`, in order, without repeats.

    Digest §15.2: a code outside the use case's set is ignored (with a problem), the slot kept.
    Labels of other systems are ordinary FHIR security labels and are ignored silently; a slot
    left with no type at all is reported, since nobody can tell who may book it.
    """
    found: list[SlotType] = []
    meta = slot.get("meta")
    security = meta.get("security") if type(meta) is dict else None
    if type(security) is list:
        for coding in security:
            if type(coding) is not dict or coding.get("system") != TRE_R314_TYPE_CRENEAU:
                continue
            code = coding.get("code")
            slot_type = _SLOT_TYPES.get(code) if isinstance(code, str) else None
            if slot_type is None or slot_type not in allowed:
                if problems is not None:
                    problems.append(f"meta.security code {code!r} is not a slot type here; ignored")
            elif slot_type not in found:
                found.append(slot_type)
    if not found and problems is not None:
        problems.append("no TRE_R314 slot type in meta.security")
    return tuple(found)


def service_types_of(
    slot: Resource, problems: list[str] | None = None
) -> tuple[tuple[Modality, ...], tuple[str, ...]]:
    """Modalities and free-text reasons from `serviceType`, in order, without repeats.

    Modalities: v3-ActCode `AMB`/`HH`/`VR` only (§15.2: the platform processes nothing else; other
    codes are ignored with a problem). Reasons: the `text` of every entry, coded or not (§4.4).
    TRE_R66 `604` entries are CPTS references (§5.3), read by the CPTS flow, not here.
    """
    modalities: list[Modality] = []
    reasons: list[str] = []
    service_types = slot.get("serviceType")
    if type(service_types) is not list:
        return (), ()
    for entry in service_types:
        if type(entry) is not dict:
            continue
        for coding in _codings(entry):
            if type(coding) is not dict:
                continue
            system = coding.get("system")
            code = coding.get("code")
            if system == V3_ACT_CODE:
                modality = MODALITIES.get(code) if isinstance(code, str) else None
                if modality is None:
                    if problems is not None:
                        problems.append(f"serviceType code {code!r} is not AMB, HH or VR; ignored")
                elif modality not in modalities:
                    modalities.append(modality)
            elif system != TRE_R66_CATEGORIE_ETABLISSEMENT and problems is not None:
                problems.append(f"serviceType coding {system}#{code} is not v3-ActCode; ignored")
        text = entry.get("text")
        if isinstance(text, str):
            text = text.strip()
            if text and text not in reasons:
                reasons.append(text)
    return tuple(modalities), tuple(reasons)


def modalities_of(slot: Resource, problems: list[str] | None = None) -> tuple[Modality, ...]:
    """The consultation modalities of a slot (see :func:`service_types_of`)."""
    return service_types_of(slot, problems)[0]


def reasons_of(slot: Resource) -> tuple[str, ...]:
    """The free-text consultation reasons of a slot (see :func:`service_types_of`)."""
    return service_types_of(slot)[1]


def specialties_of(slot: Resource) -> tuple[str, ...]:
    """The TRE_R38 specialty codes of a slot, in order, without repeats.

    Text-only specialties are allowed by the narrative but fail the binding (§16.9), and other
    systems of the FR Core value set are not TRE_R38: both are skipped without a problem, since the
    vendor followed the IG's own text.
    """
    found: list[str] = []
    specialties = slot.get("specialty")
    if type(specialties) is list:
        for concept in specialties:
            for coding in _codings(concept):
                if type(coding) is dict and coding.get("system") == (TRE_R38_SPECIALITE_ORDINALE):
                    code = coding.get("code")
                    if isinstance(code, str) and code and code not in found:
                        found.append(code)
    return tuple(found)


def appointment_type_of(
    slot: Resource, problems: list[str] | None = None
) -> AppointmentType | None:
    """ROUTINE or WALKIN from `appointmentType` (v2-0276); another code is a problem and None."""
    concept = slot.get("appointmentType")
    if concept is None:
        return None
    for coding in _codings(concept):
        if type(coding) is dict and coding.get("system") == V2_0276:
            code = coding.get("code")
            found = APPOINTMENT_TYPES.get(code) if isinstance(code, str) else None
            if found is not None:
                return found
            if problems is not None:
                problems.append(f"appointmentType code {code!r} is not ROUTINE or WALKIN")
            return None
    if problems is not None:
        problems.append("appointmentType has no v2-0276 coding")
    return None


def booking_url_of(
    slot: Resource,
    appointment_type: AppointmentType | None = None,
    problems: list[str] | None = None,
) -> str | None:
    """The booking URL in `comment`, stripped (digest §4.4, §8.1).

    A blank comment, or one that is not an http(s) URL (the platform redirects the regulator's
    browser to it), gives None and a problem. A missing comment is a problem too ([TK] wants one on
    every slot), except on a WALKIN slot, which has nothing to book — the IG's own WALKIN example
    has none (§16.10).
    """
    comment = slot.get("comment")
    if comment is None:
        if appointment_type is not AppointmentType.WALKIN and problems is not None:
            problems.append("no comment: the slot has no booking URL")
        return None
    url = comment.strip() if isinstance(comment, str) else ""
    if not url:
        if problems is not None:
            problems.append("blank comment: the slot has no booking URL")
        return None
    if not url.startswith(_URL_SCHEMES):
        if problems is not None:
            problems.append(f"comment {url!r} is not an http(s) URL; no booking URL")
        return None
    return url


#: What slot_types_of, service_types_of (modalities, reasons), appointment_type_of and
#: specialties_of say about one slot.
CodedElements = tuple[
    tuple[SlotType, ...],
    tuple[Modality, ...],
    tuple[str, ...],
    AppointmentType | None,
    tuple[str, ...],
]
#: A reader's result and the problems it found, in order.
_Read = tuple[Any, tuple[str, ...]]

# Two keys must be equal only for equal values. orjson refuses (with these options) subclasses of
# str/int/dict/list, datetimes and dataclasses rather than writing the JSON they resemble; it
# writes NaN and infinities (json.loads accepts them) as null, so a key holding null is never
# remembered (looking for it just misses). Enum members, written as their value, are the one
# blind spot: decoded JSON never holds them.
_KEY_OPTIONS = (
    orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


class CodedElementsReader:
    """`slot_types_of`, `service_types_of`, `appointment_type_of` and `specialties_of` for the
    slots of one bundle, each distinct value of each element read once.

    A vendor draws these elements from tiny vocabularies: a 2,000-slot answer holds a few dozen
    distinct values of each. Each is memoised on the canonical JSON (orjson) of exactly the value
    its reader looks at, so equal keys mean equal inputs to a pure function: the same result and
    the same problems, in the same order. Computing the key costs less than reading the element,
    and far less than checking its shape by hand to build a key. Elements are memoised one by one,
    not as a combination, which would multiply the vocabularies.
    """

    __slots__ = ("_allowed", "_appointment_types", "_service_types", "_slot_types", "_specialties")

    def __init__(self, allowed: frozenset[SlotType] = PS_SLOT_TYPES) -> None:
        self._allowed = allowed
        self._slot_types: dict[bytes, _Read] = {}
        self._service_types: dict[bytes, _Read] = {}
        self._appointment_types: dict[bytes, _Read] = {}
        self._specialties: dict[bytes, _Read] = {}

    def read(self, slot: Resource, problems: list[str]) -> CodedElements:
        """The four readers' results for `slot`; their problems appended to `problems`, in the
        order the readers would append them."""
        meta = slot.get("meta")
        security = meta.get("security") if type(meta) is dict else None  # all slot_types_of reads
        dumps = orjson.dumps
        try:
            keys = (
                dumps(security, option=_KEY_OPTIONS),
                dumps(slot.get("serviceType"), option=_KEY_OPTIONS),
                dumps(slot.get("appointmentType"), option=_KEY_OPTIONS),
                dumps(slot.get("specialty"), option=_KEY_OPTIONS),
            )
        except TypeError:  # orjson.JSONEncodeError: not plain JSON. Keys holding null are
            keys = (b"null",) * 4  # never remembered: every reader reads this slot itself.
        slot_types, slot_type_problems = self._slot_types.get(keys[0]) or _remember(
            self._slot_types, keys[0], slot_types_of, slot, self._allowed
        )
        (modalities, reasons), service_type_problems = self._service_types.get(
            keys[1]
        ) or _remember(self._service_types, keys[1], service_types_of, slot)
        appointment_type, appointment_type_problems = self._appointment_types.get(
            keys[2]
        ) or _remember(self._appointment_types, keys[2], appointment_type_of, slot)
        specialties, _ = self._specialties.get(keys[3]) or _remember(
            self._specialties, keys[3], _specialties_of, slot
        )
        if slot_type_problems or service_type_problems or appointment_type_problems:
            problems += slot_type_problems + service_type_problems + appointment_type_problems
        return slot_types, modalities, reasons, appointment_type, specialties


def _remember(memo: dict[bytes, _Read], key: bytes, read: Any, slot: Resource, *args: Any) -> _Read:
    """`read(slot, *args, problems)` and the problems it found, remembered under `key` unless
    the key holds a null (see _KEY_OPTIONS)."""
    problems: list[str] = []
    found = read(slot, *args, problems), tuple(problems)
    if b"null" not in key:
        memo[key] = found
    return found


def _specialties_of(slot: Resource, problems: list[str]) -> tuple[str, ...]:
    return specialties_of(slot)
