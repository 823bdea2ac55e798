"""FHIR mapping of a regulator account: `Regulator` → FrPractitionerRegul (INT_R02, digest §7.5).

Identifier policy (digest §7.5, §16.16): the body carries **one** identifier — the national IDNPS
once it is known, else the platform's technical UUID. The profile's slicing would allow both,
but every IG example carries one, the FAQ's re-keying example replaces the UUID by the IDNPS
rather than adding it (§7.3), and a vendor keys accounts on "whichever id PTF SAS sends" (§7.6):
sending both would leave it to guess which one is the key. The account's *current* key at the
vendor travels in the conditional PUT's query instead (`AccountSync.match`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

from sas_core.accounts.models import Regulator
from sas_core.fhir.codes import FR_V2_0203, IDNPS_TYPE_CODE, INTRN_TYPE_CODE
from sas_core.identifiers import IDNPS_SYSTEM, SAS_TECHNICAL_SYSTEM

PROFILE_PRACTITIONER_REGUL: Final = (
    "https://interop.esante.gouv.fr/ig/fhir/sas/StructureDefinition/FrPractitionerRegul"
)
#: Digest §7.5: `meta.source` is the PTF SAS OID, the same OID as the technical id's system.
PLATFORM_SOURCE: Final = SAS_TECHNICAL_SYSTEM


def account_identifier(regulator: Regulator) -> tuple[str, str]:
    """`(system, value)` the vendor is asked to key the account on: IDNPS if known, else UUID."""
    if regulator.national_id:
        return IDNPS_SYSTEM, regulator.national_id
    return SAS_TECHNICAL_SYSTEM, str(regulator.id)


def account_token(regulator: Regulator) -> str:
    """The account's identifier as a FHIR token search value, `system|value` (digest §7.3)."""
    system, value = account_identifier(regulator)
    return f"{system}|{value}"


def practitioner_regul(regulator: Regulator) -> dict[str, Any]:
    """The full Practitioner a POST or conditional PUT carries (digest §7.2–§7.5).

    No `id`: the vendor assigns its own and answers it in `Location`.
    """
    system, value = account_identifier(regulator)
    code = IDNPS_TYPE_CODE if system == IDNPS_SYSTEM else INTRN_TYPE_CODE
    return {
        "resourceType": "Practitioner",
        "meta": {"source": PLATFORM_SOURCE, "profile": [PROFILE_PRACTITIONER_REGUL]},
        "identifier": [
            {
                "type": {"coding": [{"system": FR_V2_0203, "code": code}]},
                "system": system,
                "value": value,
            }
        ],
        "active": regulator.active,
        "name": [{"family": regulator.family, "given": [regulator.given]}],
        "telecom": [{"system": "email", "value": str(regulator.email)}],
    }


def fingerprint(resource: dict[str, Any]) -> str:
    """SHA-256 of the resource's canonical JSON: equal iff the vendor would be told the same."""
    canonical = json.dumps(resource, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
