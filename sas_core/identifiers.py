"""National identifiers of practitioners (IDNPS) and structures (IDNST).

Digest §3: every identifier exchanged with a vendor is *prefixed* — `8` + RPPS, `0` + ADELI for
practitioners; `1` + FINESS, `3` + SIRET, `4` + RPPS-rang, `0` + ADELI-rang for structures — while
people type them unprefixed. The helpers here accept both forms and always return the prefixed one,
so the rest of the code never has to wonder which form it holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator

IDNPS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"
IDNST_SYSTEM = "urn:oid:1.2.250.1.71.4.2.2"
SAS_TECHNICAL_SYSTEM = "urn:oid:1.2.250.1.213.3.6"


class IdentifierError(ValueError):
    """An identifier that breaks its rule; the message names the value and the rule."""

    def __init__(self, value: str, kind: str, rule: str) -> None:
        self.value = value
        self.kind = kind
        self.rule = rule
        super().__init__(f"invalid {kind} {value!r}: {rule}")


class PractitionerIdKind(StrEnum):
    RPPS = "rpps"
    ADELI = "adeli"


class StructureIdKind(StrEnum):
    FINESS = "finess"
    SIRET = "siret"
    RPPS_RANG = "rpps-rang"
    ADELI_RANG = "adeli-rang"


_RPPS = re.compile(r"[0-9]{11}")
_ADELI = re.compile(r"[0-9A-Za-z]{9}")
_FINESS = re.compile(r"[0-9]{9}")
_FINESS_CORSICA = re.compile(r"2[AB][0-9]{7}")
_SIRET = re.compile(r"[0-9]{14}")
_RANG = re.compile(r"[0-9]{14}")


@dataclass(frozen=True, slots=True)
class Idnps:
    """A prefixed national practitioner identifier (`8` + RPPS or `0` + ADELI)."""

    value: str
    kind: PractitionerIdKind

    def __str__(self) -> str:
        return self.value

    @property
    def unprefixed(self) -> str:
        return self.value[1:]


@dataclass(frozen=True, slots=True)
class Idnst:
    """A prefixed national structure identifier (`1` FINESS, `3` SIRET, `4`/`0` cabinet ids)."""

    value: str
    kind: StructureIdKind

    def __str__(self) -> str:
        return self.value

    @property
    def unprefixed(self) -> str:
        return self.value[1:]


def parse_rpps(value: str) -> Idnps:
    """Parse an RPPS given as 11 digits or as the 12-digit IDNPS `8…`.

    Only the shape is checked (the test kit's `^8[0-9]{11}$`), not the Luhn key: the IG's own
    examples (e.g. 810100050075) carry keys that do not verify, and vendors copy them.
    """
    raw = value.strip()
    rule = "an RPPS is 11 digits, or 12 with the IDNPS prefix 8"
    if len(raw) == 12 and raw.startswith("8"):
        raw = raw[1:]
    if not _RPPS.fullmatch(raw):
        raise IdentifierError(value, "RPPS", rule)
    return Idnps("8" + raw, PractitionerIdKind.RPPS)


def parse_adeli(value: str) -> Idnps:
    """Parse an ADELI number given as 9 characters or as the IDNPS `0…` (10 characters)."""
    raw = value.strip()
    rule = "an ADELI number is 9 characters (or 10 with the IDNPS prefix 0)"
    if len(raw) == 10 and raw.startswith("0"):
        raw = raw[1:]
    if not _ADELI.fullmatch(raw):
        raise IdentifierError(value, "ADELI", rule)
    return Idnps("0" + raw, PractitionerIdKind.ADELI)


def parse_idnps(value: str) -> Idnps:
    """Parse a practitioner id: RPPS or ADELI, prefixed or not.

    Unprefixed input is ambiguous only in length: 11 digits are an RPPS, 9 characters an ADELI.
    """
    raw = value.strip()
    if (len(raw) == 12 and raw.startswith("8")) or len(raw) == 11:
        return parse_rpps(raw)
    if (len(raw) == 10 and raw.startswith("0")) or len(raw) == 9:
        return parse_adeli(raw)
    raise IdentifierError(
        value,
        "IDNPS",
        "expected 8 + 11-digit RPPS (or the 11 digits alone) or 0 + 9-character ADELI",
    )


def parse_finess(value: str) -> Idnst:
    """Parse a FINESS number, 9 characters or `1` + 9.

    Corsican FINESS numbers start with 2A/2B: they are accepted here although the IG's
    FINESS-invariant `^1[0-9]{9}$` rejects them (digest §16.17) — refusing real structures would
    be worse than being more lenient than a profile regex.
    """
    raw = value.strip().upper()
    rule = "a FINESS number is 9 characters (digits, or 2A/2B + 7 digits), optionally prefixed by 1"
    if len(raw) == 10 and raw.startswith("1"):
        raw = raw[1:]
    if not (_FINESS.fullmatch(raw) or _FINESS_CORSICA.fullmatch(raw)):
        raise IdentifierError(value, "FINESS", rule)
    return Idnst("1" + raw, StructureIdKind.FINESS)


def parse_siret(value: str) -> Idnst:
    """Parse a SIRET, 14 digits or `3` + 14 digits (shape only, as the IG's SIRET-invariant)."""
    raw = value.strip().replace(" ", "")
    rule = "a SIRET is 14 digits, or 15 with the IDNST prefix 3"
    if len(raw) == 15 and raw.startswith("3"):
        raw = raw[1:]
    if not _SIRET.fullmatch(raw):
        raise IdentifierError(value, "SIRET", rule)
    return Idnst("3" + raw, StructureIdKind.SIRET)


def parse_idnst(value: str) -> Idnst:
    """Parse a prefixed structure id (`1` FINESS, `3` SIRET, `4` RPPS-rang, `0` ADELI-rang)."""
    raw = value.strip()
    if raw.startswith("1") and len(raw) == 10:
        return parse_finess(raw)
    if raw.startswith("3") and len(raw) == 15:
        return parse_siret(raw)
    if raw.startswith("4") and _RANG.fullmatch(raw[1:]):
        return Idnst(raw, StructureIdKind.RPPS_RANG)
    if raw.startswith("0") and len(raw) > 1 and raw[1:].isalnum():
        return Idnst(raw, StructureIdKind.ADELI_RANG)
    raise IdentifierError(
        value,
        "IDNST",
        "expected 1 + FINESS (9), 3 + SIRET (14), 4 + RPPS-rang (14) or 0 + ADELI-rang",
    )


#: A pydantic field type holding a prefixed IDNPS; unprefixed input is normalised.
IdnpsStr = Annotated[str, AfterValidator(lambda v: parse_idnps(v).value)]
#: A pydantic field type holding a prefixed IDNST.
IdnstStr = Annotated[str, AfterValidator(lambda v: parse_idnst(v).value)]
