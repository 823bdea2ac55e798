"""One version of an appointment as the LRM receives it: the platform's data gathered into the
RS-SAS-RDV payload, its recipient, and the reasons it cannot be sent when it cannot.

Gathered once, when the outbox reports the version (the listener), so the message describes the
appointment as it was at that version even if it is sent later. What is needed beyond the
appointment itself:

- the booking regulator (RS-SAS-RDV `regulator` is required): the regulator the appointment's
  operator names, from the platform's regulators;
- the recipient: the SAMU of the regulator's territory (`LrmDirectory.samu_for`);
- names of the practitioner and the organisation, which the Hub requires with their ids: the
  `display` the vendor gave their reference in that version's resource, when it gave one
  (otherwise the field is left out, as the schema allows);
- the LRM's case reference when the appointment was booked from an LRM search that carried one
  (INT_L01's `caseid`): the booking intent the front kept for that regulator, vendor,
  practitioner and start, linked here to the appointment. Neither RS-SAS-RDV nor the EDXL-DE
  envelope has a field for it (both closed to extra properties), so it is not in the message:
  it stays on the platform, linked to the appointment (docs/flows/lrm.md, INT_L01).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from sas_core import Appointment
from sas_core.registry.lrms import LrmDirectory, NoSamuError
from sas_core.storage.appointments import appointment_history
from sas_core.storage.booking_intents import link_case_reference
from sas_core.storage.lrm import regulator_by_identifier
from sas_lrm.messages import (
    Booker,
    Party,
    appointment_payload,
    distribution_id,
    envelope,
    orientation_of,
)
from sas_lrm.schemas import InvalidMessage, MessageSchemas
from sas_lrm.settings import LrmSettings

#: How long before the booking the slot may have been shown for an LRM case.
INTENT_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Snapshot:
    """What to record for one version: the payload and recipient, or why there are none."""

    distribution_id: str
    recipient: str | None
    payload: dict[str, Any] | None
    problems: list[str] = field(default_factory=list)
    case_reference: str | None = None

    @property
    def error(self) -> str | None:
        return "; ".join(self.problems) if self.problems else None


def snapshot(
    engine: Engine,
    settings: LrmSettings,
    schemas: MessageSchemas,
    appointment: Appointment,
    *,
    version: int,
    created: bool,
    now: datetime,
) -> Snapshot:
    """The message of `appointment` at `version`, checked against the schemas."""
    problems: list[str] = []
    system, _, value = appointment.operator.partition("|")
    regulator = regulator_by_identifier(engine, system, value)
    booker: Booker | None = None
    recipient: str | None = None
    case: tuple[str, str] | None = None
    if regulator is not None:
        case = link_case_reference(
            engine,
            str(appointment.id),
            regulator_id=regulator.id,
            adapter=appointment.adapter,
            practitioner=appointment.practitioner,
            start=appointment.start,
            since=(appointment.created or now) - INTENT_WINDOW,
        )
    reference = case[1] if case is not None else None
    if regulator is None:
        problems.append(
            f"the booking regulator {appointment.operator} is unknown to the platform "
            "(RS-SAS-RDV needs their name and e-mail)"
        )
    else:
        booker = Booker(regulator.family, regulator.given, regulator.email, regulator.national_id)
        if regulator.territory is None:
            problems.append("the booking regulator has no territory: no SAMU to address")
        else:
            try:
                recipient = LrmDirectory(engine).samu_for(regulator.territory).hub_client_id
            except NoSamuError as exc:
                problems.append(str(exc))
    did = distribution_id(settings.client_id, appointment.id, version)
    if booker is None:
        return Snapshot(did, recipient, None, problems, reference)
    resource, first_seen = _version_resource(engine, appointment, version)
    payload = appointment_payload(
        appointment,
        method="CreateAppointment" if created else "UpdateAppointment",
        created=appointment.created or first_seen or now,
        booker=booker,
        orientation=orientation_of(appointment, settings.orientation),
        practitioner=_party(resource, appointment.practitioner),
        organization=_party(resource, appointment.structure),
    )
    if recipient is not None:
        problems.extend(check(schemas, settings, payload, did, recipient, now))
    return Snapshot(did, recipient, payload, problems, reference)


def check(
    schemas: MessageSchemas,
    settings: LrmSettings,
    payload: dict[str, Any],
    did: str,
    recipient: str,
    now: datetime,
) -> list[str]:
    """The schema errors of the whole message (envelope included), as one problem or none."""
    message = wrap(settings, payload, did, recipient, now)
    try:
        schemas.check(message)
    except InvalidMessage as exc:
        return [str(exc)]
    return []


def wrap(
    settings: LrmSettings, payload: dict[str, Any], did: str, recipient: str, now: datetime
) -> dict[str, Any]:
    """The message as published at `now`: the payload in its envelope."""
    return envelope(
        payload,
        sender=settings.client_id,
        recipient=recipient,
        distribution=did,
        sent=now,
        ttl=timedelta(seconds=settings.message_ttl_s),
    )


def _version_resource(
    engine: Engine, appointment: Appointment, version: int
) -> tuple[dict[str, Any], datetime | None]:
    """The vendor's resource at `version`, and when the platform first received the
    appointment (RS-SAS-RDV `created` when the vendor did not say)."""
    history = appointment_history(engine, str(appointment.id))
    first_seen = history[0].changed_at if history else None
    for change in history:
        if change.version == version:
            return dict(change.resource), first_seen
    return {}, first_seen


def _party(resource: dict[str, Any], identifier: str | None) -> Party | None:
    """The participant whose actor's identifier value is `identifier`, with its display."""
    if identifier is None:
        return None
    for participant in resource.get("participant") or []:
        actor = participant.get("actor") if isinstance(participant, dict) else None
        if not isinstance(actor, dict):
            continue
        ident = actor.get("identifier")
        display = actor.get("display")
        if isinstance(ident, dict) and ident.get("value") == identifier and display:
            return Party(identifier, str(display))
    return None
