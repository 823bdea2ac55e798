"""The acceptance data a vendor's test environment holds, and the identifiers the checker
searches by default.

ANS's connected acceptance searches test practitioners the vendor set up for the scenarios of
digest §4.3, §5.2 and §6.3. The checker names one such set, so that a run needs no option: the
simulator serves it (`sas_simulator.dataset.acceptance_scenarios`), and a vendor either loads the
same identifiers in its test environment or gives its own with `--rpps` / `--siret`.
"""

from __future__ import annotations

import re
from typing import Final

#: A practitioner consulting in two places (digest §4.3: 1 Practitioner, 2 PractitionerRole,
#: 2 Schedule).
RPPS_TWO_PLACES: Final = "899900000001"
#: A second practitioner, searched together with the first (several practitioners, one search).
RPPS_SECOND: Final = "899900000002"
#: A practitioner whose slots are CPTS-only (meta.security CPTS alone), each offered through two
#: CPTS (digest §5.2: two serviceType entries, two HealthcareServices, two Organizations).
RPPS_TWO_CPTS: Final = "899900000003"
#: The two CPTS (`1` + FINESS) of `RPPS_TWO_CPTS`.
CPTS_FINESS: Final = ("1999000001", "1999000002")
#: An SOS Médecins association (`3` + SIRET) with two sites.
SOS_SIRET: Final = "399900000100010"

DEFAULT_RPPS: Final = (RPPS_TWO_PLACES, RPPS_SECOND, RPPS_TWO_CPTS)
DEFAULT_SIRET: Final = (SOS_SIRET,)

#: Identifiers no vendor holds, of the right shape: an unknown one must match nothing (§15.1).
UNKNOWN_RPPS: Final = "800000000000"
UNKNOWN_SIRET: Final = "300000000000000"

_RPPS = re.compile(r"8?([0-9]{11})")
_ADELI = re.compile(r"0?([0-9A-Za-z]{9})")
_SIRET = re.compile(r"3?([0-9]{14})")


def practitioner_id(text: str) -> str:
    """The prefixed IDNPS of an RPPS (11 digits, `8` added) or an ADELI (9 characters, `0` added);
    already prefixed values are kept. ValueError otherwise."""
    value = text.strip()
    if len(value) in (11, 12) and (match := _RPPS.fullmatch(value)):
        return "8" + match[1]
    if len(value) in (9, 10) and (match := _ADELI.fullmatch(value)):
        return "0" + match[1]
    raise ValueError(
        f"{text!r} is neither an RPPS (11 digits, or 12 with the prefix 8) nor an ADELI "
        "(9 characters, or 10 with the prefix 0)"
    )


def association_id(text: str) -> str:
    """The prefixed IDNST of an SOS association's SIRET (14 digits, `3` added). ValueError
    otherwise."""
    value = text.strip()
    if len(value) in (14, 15) and (match := _SIRET.fullmatch(value)):
        return "3" + match[1]
    raise ValueError(f"{text!r} is not a SIRET (14 digits, or 15 with the prefix 3)")
