"""The Hub Santé messages of INT_L02: the RS-SAS-RDV appointment the platform sends, in its
EDXL-DE envelope, and the acknowledgements (RC-REF) and errors (RS-ERROR) it receives.

Where the IG page and the Hub's schemas disagree, the schemas win (digest (b), "Discrepancies"):
`CreateAppointment`/`UpdateAppointment` capitalised, statuses in lower case, `regulator`
required, `hubex` in lower case, recipient `name` = client id and `URI` = `hubex:` + id.

Every message is a full snapshot of the appointment at one version (the schema's required fields
make an update a complete state, and the LRM treats an update of an unknown appointment as a
creation). Its distributionID is `<client id>_<appointment id>.v<version>`: the idempotency key
itself, stable across re-sends, so the LRM can discard a copy of a version it already has.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sas_core import Appointment
from sas_core.clock import PARIS
from sas_lrm.settings import OrientationCategory

#: The RS-SAS-RDV instant: offset always written, no fractions, no `Z` (RC-DE `sentAt` pattern).
INSTANT_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


def hub_instant(at: datetime) -> str:
    """`2025-10-28T17:05:54+01:00`: Paris time, seconds, the offset with its colon."""
    text = at.astimezone(PARIS).strftime(INSTANT_FORMAT)
    return f"{text[:-2]}:{text[-2:]}"


def distribution_id(client_id: str, appointment_id: uuid.UUID, version: int) -> str:
    """The message's id: the sender's, `_`, then the idempotency key (appointment and version)."""
    return f"{client_id}_{appointment_id}.v{version}"


@dataclass(frozen=True)
class Booker:
    """The regulator who booked, as RS-SAS-RDV `regulator` carries them."""

    family: str
    given: str
    email: str
    national_id: str | None = None

    def as_payload(self) -> dict[str, str]:
        found = {
            "regulatorName": self.family,
            "regulatorFirstname": self.given,
            "regulatorEmail": self.email,
        }
        # Only a national IDNPS, never the platform's UUID (digest (b), `regulatorId`).
        if self.national_id:
            found["regulatorId"] = self.national_id
        return found


@dataclass(frozen=True)
class Party:
    """A practitioner or organisation with the name the vendor gave (FHIR `actor.display`)."""

    identifier: str
    name: str


def orientation_of(
    appointment: Appointment, overrides: dict[str, OrientationCategory]
) -> OrientationCategory:
    """The Hub's category of how the appointment was booked: the adapter's configured one
    (MSP, CDS, a marketplace's PDM), else SOS for an SOS Médecins appointment, CPTS when a
    structure holds it, PS for a practitioner's own agenda."""
    if appointment.adapter in overrides:
        return overrides[appointment.adapter]
    if appointment.profile == "sos":
        return "SOS"
    if appointment.structure is not None:
        return "CPTS"
    return "PS"


def appointment_payload(
    appointment: Appointment,
    *,
    method: Literal["CreateAppointment", "UpdateAppointment"],
    created: datetime,
    booker: Booker,
    orientation: OrientationCategory,
    practitioner: Party | None = None,
    organization: Party | None = None,
) -> dict[str, Any]:
    """The RS-SAS-RDV use-case payload (`{"appointment": …}`) of one version of an appointment.

    A practitioner is sent only with an RPPS-based IDNPS (the schema's `^81…`) and a name; an
    organisation only with a name: both are optional in the schema, a wrong one is not."""
    body: dict[str, Any] = {
        "appointmentId": str(appointment.id),
        "method": method,
        "created": hub_instant(created),
        "start": hub_instant(appointment.start),
        "end": hub_instant(appointment.end),
        "status": appointment.status.value,
        "orientationCategory": orientation,
    }
    if practitioner is not None and practitioner.identifier.startswith("81"):
        family, _, given = _split_name(practitioner.name)
        if family and given:
            body["practitioner"] = {
                "rppsId": practitioner.identifier,
                "lastName": family,
                "firstName": given,
            }
    if organization is not None and organization.name.strip():
        body["organization"] = {
            "organizationId": organization.identifier,
            "name": organization.name.strip(),
        }
    body["regulator"] = booker.as_payload()
    return {"appointment": body}


def _split_name(display: str) -> tuple[str, str, str]:
    """`DUPONT Jean` or `Jean DUPONT` → (family, " ", given): the upper-case word is the family
    name; otherwise the last word."""
    words = display.split()
    if len(words) < 2:
        return "", "", ""
    upper = [w for w in words if w.isupper() and len(w) > 1]
    if upper:
        family = " ".join(upper)
        given = " ".join(w for w in words if w not in upper)
    else:
        family, given = words[-1], " ".join(words[:-1])
    return family, " ", given


def envelope(
    payload: dict[str, Any],
    *,
    sender: str,
    recipient: str,
    distribution: str,
    sent: datetime,
    ttl: timedelta,
    kind: Literal["Report", "Ack", "Error"] = "Report",
    status: Literal["Actual", "Exercise", "System"] = "Actual",
    with_header: bool = True,
) -> dict[str, Any]:
    """The EDXL-DE envelope (JSON form) around a use-case payload, with the RC-DE header fields
    in `message` (an RS-ERROR carries none: `with_header=False`)."""
    sent_text = hub_instant(sent)
    message: dict[str, Any] = {}
    if with_header:
        message = {
            "messageId": distribution,
            "sender": {"name": sender, "URI": f"hubex:{sender}"},
            "sentAt": sent_text,
            "kind": kind,
            "status": status,
            "recipient": [{"name": recipient, "URI": f"hubex:{recipient}"}],
        }
    message.update(payload)
    return {
        "distributionID": distribution,
        "senderID": sender,
        "dateTimeSent": sent_text,
        "dateTimeExpires": hub_instant(sent + ttl),
        "distributionStatus": "Actual",
        "distributionKind": kind,
        "descriptor": {
            "language": "fr-FR",
            "explicitAddress": {
                "explicitAddressScheme": "hubex",
                "explicitAddressValue": recipient,
            },
        },
        "content": [{"jsonContent": {"embeddedJsonContent": {"message": message}}}],
    }


def final_ack(report: dict[str, Any], *, sender: str, sent: datetime) -> dict[str, Any]:
    """The LRM's final acknowledgement (RC-REF) of `report` (what the fake LRM answers)."""
    return envelope(
        {"reference": {"distributionID": report["distributionID"]}},
        sender=sender,
        recipient=report["senderID"],
        distribution=f"{sender}_{uuid.uuid4()}",
        sent=sent,
        ttl=timedelta(days=1),
        kind="Ack",
    )


def error_message(
    source: dict[str, Any] | None,
    *,
    sender: str,
    recipient: str,
    referenced: str,
    code: int,
    status: str,
    cause: str,
    sent: datetime,
) -> dict[str, Any]:
    """An RS-ERROR (from the Hub, or from an LRM) about the message `referenced`."""
    error: dict[str, Any] = {
        "errorCode": {"statusCode": code, "statusString": status},
        "errorCause": cause,
        "referencedDistributionID": referenced,
    }
    if source is not None:
        error["sourceMessage"] = source
    return envelope(
        {"error": error},
        sender=sender,
        recipient=recipient,
        distribution=f"{sender}_{uuid.uuid4()}",
        sent=sent,
        ttl=timedelta(days=1),
        kind="Error",
        with_header=False,
    )


@dataclass(frozen=True)
class Receipt:
    """An acknowledgement or error received on the platform's `.ack` / `.info` queue."""

    kind: Literal["ack", "error"]
    distribution_id: str
    referenced: str
    code: int | None = None
    status: str | None = None
    cause: str | None = None
    refused: bool = False

    def describe(self) -> str:
        """`300 INVALID_MESSAGE: <cause>` for an error, for the operator's eyes."""
        if self.kind == "ack":
            return "refused by the LRM" if self.refused else "acknowledged"
        cause = " ".join((self.cause or "").split())[:500]
        return f"{self.code} {self.status}: {cause}" if cause else f"{self.code} {self.status}"


class UnreadableReceipt(ValueError):
    """A message on `.ack`/`.info` that is neither an acknowledgement nor an error."""


def read_receipt(document: Any) -> Receipt:
    """What an acknowledgement or error says; UnreadableReceipt when it is neither. Status codes
    and strings are an open set (digest (b): an LRM may send codes the Hub's model lacks)."""
    try:
        own_id = str(document["distributionID"])
        message = document["content"][0]["jsonContent"]["embeddedJsonContent"]["message"]
    except (KeyError, IndexError, TypeError) as exc:
        raise UnreadableReceipt(f"not an EDXL-DE message: missing {exc}") from None
    if isinstance(message.get("reference"), dict):
        reference = message["reference"]
        referenced = reference.get("distributionID")
        if not isinstance(referenced, str):
            raise UnreadableReceipt("an acknowledgement without reference.distributionID")
        return Receipt("ack", own_id, referenced, refused=reference.get("refused") is True)
    if isinstance(message.get("error"), dict):
        error = message["error"]
        referenced = error.get("referencedDistributionID")
        code_block = error.get("errorCode") or {}
        try:
            code = int(str(code_block.get("statusCode")))
        except ValueError:
            raise UnreadableReceipt("an error without a numeric errorCode.statusCode") from None
        if not isinstance(referenced, str):
            raise UnreadableReceipt("an error without referencedDistributionID")
        return Receipt(
            "error",
            own_id,
            referenced,
            code=code,
            status=str(code_block.get("statusString") or ""),
            cause=str(error.get("errorCause") or ""),
        )
    raise UnreadableReceipt("neither message.reference nor message.error")
