"""Query parameters of the slot searches the platform sends to vendors."""

from __future__ import annotations

from sas_core.fhir.codes import IDNPS_SYSTEM, IDNST_SYSTEM, SLOT_STATUS_FREE
from sas_core.fhir.instants import format_instant
from sas_core.identifiers import StructureIdKind, parse_idnst
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
#: The includes of the SOS Médecins Schedule search (digest §6.2): the slots, their PFG Location
#: and its association. `Location:organization` is the example's spelling (§16.7).
SOS_INCLUDES: tuple[tuple[str, str], ...] = (
    ("_revinclude", "Slot:schedule"),
    ("_include", "Schedule:actor:Location"),
    ("_include:iterate", "Location:organization"),
)


def slot_search_params(query: SlotQuery, *, cpts: bool = False) -> list[tuple[str, str]]:
    """The parameters of `GET [base]/Slot?…` for a practitioner query, in the IG's order.

    Digest §4.2 (INT_R01); with `cpts=True`, the two extra includes of INT_R04 (§5.1) follow the
    INT_R01 includes, as in the IG's CPTS example. Instants use the test-kit format (§4.4). The
    identifiers are one comma-separated value (comma = OR). An SOS query (structures) is a Schedule
    search (`schedule_search_params`), so it is refused here with ValueError.
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


def schedule_search_params(query: SlotQuery) -> list[tuple[str, str]]:
    """The parameters of the SOS Médecins `GET [base]/Schedule?…` (digest §6.2), in the IG's order.

    The window and status apply to the schedules' slots (`_has:Slot:schedule:*`); the
    associations (`3` + SIRET) are one comma-separated value (comma = OR). A practitioners query,
    or a structure that is not an association (a CPTS's `1…`, which a vendor would refuse with a
    400 failing the whole lot), raises ValueError.
    """
    if not query.structures:
        raise ValueError(
            "a Schedule search names SOS associations; practitioners are searched via Slot"
        )
    for idnst in query.structures:
        if parse_idnst(idnst).kind is not StructureIdKind.SIRET:
            raise ValueError(f"{idnst!r} is not an SOS Médecins association's IDNST (3 + SIRET)")
    return [
        *SOS_INCLUDES,
        ("_has:Slot:schedule:start", "ge" + format_instant(query.window.start)),
        ("_has:Slot:schedule:start", "le" + format_instant(query.window.end)),
        ("_has:Slot:schedule:status", SLOT_STATUS_FREE),
        (
            "actor:Location.organization.identifier",
            ",".join(f"{IDNST_SYSTEM}|{idnst}" for idnst in query.structures),
        ),
    ]
