"""Query parameters of the slot searches the platform sends to vendors."""

from __future__ import annotations

from sas_core.fhir.codes import IDNPS_SYSTEM, SLOT_STATUS_FREE
from sas_core.fhir.instants import format_instant
from sas_core.slots import SlotQuery

#: The includes every practitioner slot search carries (digest §4.2).
PS_INCLUDES: tuple[tuple[str, str], ...] = (
    ("_include", "Slot:schedule"),
    ("_include:iterate", "Schedule:actor"),
)
#: The includes INT_R04 adds for the CPTS data (digest §5.1).
CPTS_INCLUDES: tuple[tuple[str, str], ...] = (
    ("_include", "Slot:service-type-reference"),
    ("_include:iterate", "HealthcareService:organization"),
)


def slot_search_params(query: SlotQuery, *, cpts: bool = False) -> list[tuple[str, str]]:
    """The parameters of `GET [base]/Slot?…` for a practitioner query, in the IG's order.

    Digest §4.2 (INT_R01); with `cpts=True`, the two extra includes of INT_R04 (§5.1) follow the
    INT_R01 includes, as in the IG's CPTS example. Instants use the test-kit format (§4.4). The
    identifiers are one comma-separated value (comma = OR). An SOS query (structures) is a Schedule
    search with other parameters (§6.2), so it is refused here with ValueError.
    """
    if not query.practitioners:
        raise ValueError("a Slot search names practitioners; structures are searched via Schedule")
    params = list(PS_INCLUDES)
    if cpts:
        params.extend(CPTS_INCLUDES)
    params += [
        ("start", "ge" + format_instant(query.window.start)),
        ("start", "le" + format_instant(query.window.end)),
        (
            "schedule.actor:Practitioner.identifier",
            ",".join(f"{IDNPS_SYSTEM}|{idnps}" for idnps in query.practitioners),
        ),
        ("status", SLOT_STATUS_FREE),
    ]
    return params
