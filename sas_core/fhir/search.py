"""Query parameters of the practitioners' slot search the platform sends to vendors (INT_R01).

A flow that searches otherwise builds on it (INT_R04 adds `sas_core.fhir.cpts.CPTS_INCLUDES`)
or has its own (`sas_core.fhir.sos.schedule_search_params`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sas_core.fhir.codes import IDNPS_SYSTEM, SLOT_STATUS_FREE
from sas_core.fhir.instants import format_instant
from sas_core.slots.models import SlotQuery

#: The includes every practitioner slot search carries (digest §4.2).
PS_INCLUDES: tuple[tuple[str, str], ...] = (
    ("_include", "Slot:schedule"),
    ("_include:iterate", "Schedule:actor"),
)


def slot_search_params(
    query: SlotQuery, extra_includes: Sequence[tuple[str, str]] = ()
) -> list[tuple[str, str]]:
    """The parameters of `GET [base]/Slot?…` for a practitioner query, in the IG's order.

    Digest §4.2 (INT_R01); `extra_includes` follow the INT_R01 includes, as INT_R04's do in the
    IG's CPTS example (§5.1). Instants use the test-kit format (§4.4). The identifiers are one
    comma-separated value (comma = OR). A structures query is not a Slot search, so it is refused
    here with ValueError.
    """
    if not query.practitioners:
        raise ValueError("a Slot search names practitioners; structures are searched via Schedule")
    return [
        *PS_INCLUDES,
        *extra_includes,
        ("start", "ge" + format_instant(query.window.start)),
        ("start", "le" + format_instant(query.window.end)),
        (
            "schedule.actor:Practitioner.identifier",
            ",".join(f"{IDNPS_SYSTEM}|{idnps}" for idnps in query.practitioners),
        ),
        ("status", SLOT_STATUS_FREE),
    ]
