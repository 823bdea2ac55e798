"""Booking at the simulated vendor, and reporting it to the platform (INT_R03, digest §9).

The appointment is a FrAppointmentSAS: the operator is the regulator from the ID token (the
national IDNPS when the token has it, else the SAS technical UUID), the participant the
practitioner (IDNPS), status `booked`, `created` now. It goes to `POST {platform}/Appointment`
over mutual TLS with the simulator's client certificate (`--report-cert/--report-key`,
`--report-ca` to trust the platform).
"""

from __future__ import annotations

import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from sas_core.fhir.appointments import OPERATOR_EXTENSION, PROFILE_APPOINTMENT
from sas_core.fhir.codes import FR_V2_0203, IDNPS_SYSTEM, SAS_TECHNICAL_SYSTEM
from sas_core.fhir.media_types import FHIR_JSON
from sas_simulator.bundles import fhir_instant
from sas_simulator.dataset import SimPractitioner, SimSlot
from sas_simulator.sso import VendorUser

#: The simulator's appointment identifier system (a vendor URL, digest §9.4).
APPOINTMENT_SYSTEM = "https://simulator.sas-connect.invalid/appointments"


def appointment_resource(
    appointment_id: str,
    slot: SimSlot,
    practitioner: SimPractitioner,
    operator: VendorUser,
    created: datetime,
) -> dict[str, Any]:
    """The FrAppointmentSAS that reports a booking (digest §9.4)."""
    if operator.idnps:
        operator_id = {"code": "IDNPS", "system": IDNPS_SYSTEM, "value": operator.idnps}
    else:
        operator_id = {"code": "INTRN", "system": SAS_TECHNICAL_SYSTEM, "value": operator.sub}
    return {
        "resourceType": "Appointment",
        "meta": {"profile": [PROFILE_APPOINTMENT]},
        "extension": [
            {
                "url": OPERATOR_EXTENSION,
                "valueReference": {
                    "identifier": {
                        "type": {"coding": [{"system": FR_V2_0203, "code": operator_id["code"]}]},
                        "system": operator_id["system"],
                        "value": operator_id["value"],
                    }
                },
            }
        ],
        "identifier": [{"system": APPOINTMENT_SYSTEM, "value": appointment_id}],
        "status": "booked",
        "start": fhir_instant(slot.start),
        "end": fhir_instant(slot.end),
        "created": fhir_instant(created),
        "participant": [
            {
                "actor": {
                    "identifier": {
                        "type": {"coding": [{"system": FR_V2_0203, "code": "IDNPS"}]},
                        "system": IDNPS_SYSTEM,
                        "value": practitioner.idnps,
                    }
                },
                "status": "accepted",
            }
        ],
    }


@dataclass(frozen=True, slots=True)
class ReportSettings:
    """`--platform-fhir` and the client certificate the simulator reports with."""

    fhir_base: str
    cert_file: Path | None = None
    key_file: Path | None = None
    ca_file: Path | None = None

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(
            cafile=str(self.ca_file) if self.ca_file is not None else None
        )
        if self.cert_file is not None:
            context.load_cert_chain(
                str(self.cert_file), str(self.key_file) if self.key_file else None
            )
        return context


@dataclass(frozen=True, slots=True)
class Booking:
    """A booking made here and the platform's answer to its report."""

    id: str
    slot_id: str
    practitioner_id: str
    resource: dict[str, Any]
    report_status: int | None
    report_location: str | None
    report_body: str


async def report(settings: ReportSettings, resource: dict[str, Any]) -> tuple[int, str | None, str]:
    """POST the appointment; the platform's status, Location and body (or the failure)."""
    url = f"{settings.fhir_base.rstrip('/')}/Appointment"
    verify: ssl.SSLContext | bool = settings.ssl_context() if url.startswith("https:") else True
    try:
        async with httpx.AsyncClient(verify=verify, timeout=10) as client:
            answer = await client.post(
                url,
                json=resource,
                headers={"Content-Type": FHIR_JSON, "Accept": FHIR_JSON},
            )
    except httpx.HTTPError as exc:
        return 0, None, f"the platform could not be reached: {exc!r}"
    return answer.status_code, answer.headers.get("location"), answer.text


def new_appointment_id() -> str:
    return str(uuid.uuid4())
