"""Appointment intake (INT_R03, digest §9): create, conditional update, read and search.

The FHIR endpoint (and later the web pages and the CLI) call this service; it holds the rules:

- `POST` creates (201). The same content posted again answers 200 with the same id (a vendor
  retrying after a lost answer); different content under an existing identifier is a 409 that
  points to `PUT ?identifier=`.
- `PUT ?identifier=system|value` updates, or creates when the identifier is unknown
  (`updateCreate`, §9.3); a body whose identifier differs from the query is a 422 (§15.4).
- An appointment belongs to the vendor that reported it, and is keyed by (vendor, `system|value`):
  each vendor sees only its own, so another vendor's POST or PUT of the same `system|value` is
  about an appointment of its own and can neither block, change nor reveal the first one (ROADMAP
  item 4 of the issue: "a vendor's certificate can only report or change that vendor's
  appointments"). A read by id of another vendor's appointment is "not found" for the same reason.
- Durable before the answer: the appointment, its history row and an outbox row (the
  :class:`~sas_core.AppointmentEvent` for the listeners) are written in one transaction.
- A regulator or practitioner the :class:`~sas_core.appointments.parties.KnownParties` does not
  know is stored with a review reason, never refused.

Methods are synchronous (SQLAlchemy sessions); the web layer runs them in a worker thread. Each
holds one pooled connection at a time, never two (the directory is asked before the write
begins), so concurrent requests can exhaust the pool only by queueing, never by waiting on
themselves (`sas_core.storage.engine`: sizing and SQLite writers). The statements are in
`sas_core.storage.appointments`: this module opens the write transaction and decides what to
write, the repository writes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID, uuid4

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from sas_core.appointments.models import Appointment, AppointmentEvent, AppointmentStatus
from sas_core.appointments.parties import KnownParties
from sas_core.fhir.appointments import ReportedAppointment, decode_appointment, read_appointment
from sas_core.fhir.instants import format_instant
from sas_core.fhir.outcomes import FhirRefusal, Issue
from sas_core.storage.appointments import (
    AppointmentChange,
    StoredAppointment,
    add_appointment,
    appointment_history,
    enqueue_event,
    find_appointments,
    get_appointment,
    lock_appointment,
    record_change,
)
from sas_core.storage.engine import write_session

#: The outbox topic of appointment events, delivered to `sas_appointment_reported`.
APPOINTMENT_TOPIC = "appointment.reported"

Outcome = Literal["created", "updated", "unchanged"]

#: FHIR R4 `id`: what a resource id can be. Anything else names no appointment (and a NUL, which
#: PostgreSQL cannot even compare, never reaches the database).
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """What a create or update did, and the appointment as the platform now serves it."""

    outcome: Outcome
    appointment: Appointment
    resource: dict[str, Any]

    @property
    def http_status(self) -> int:
        return 201 if self.outcome == "created" else 200


def validate_appointment(body: bytes) -> ReportedAppointment:
    """Every rule the intake applies to a body before it looks at the database (shape, profile,
    FHIR's Appointment invariants); a FhirRefusal lists what breaks them.

    `sas conformance appointment` runs this very function, so a vendor's pre-flight check and
    the platform's answer can never disagree.
    """
    return read_appointment(decode_appointment(body))


class AppointmentIntake:
    """The intake service on one database."""

    def __init__(
        self,
        engine: Engine,
        directory: KnownParties,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.directory = directory
        self.clock = clock

    # -- writes -----------------------------------------------------------------------------------

    def create(self, body: bytes, vendor: str) -> IntakeResult:
        """`POST [base]/Appointment` on behalf of `vendor`."""
        return self._write(validate_appointment(body), vendor, create_only=True)

    def update(self, query_identifier: str | None, body: bytes, vendor: str) -> IntakeResult:
        """`PUT [base]/Appointment?identifier=system|value` on behalf of `vendor`."""
        system, value = parse_identifier_token(query_identifier)
        reported = validate_appointment(body)
        if (reported.identifier_system, reported.identifier_value) != (system, value):
            raise FhirRefusal(
                422,
                Issue(
                    f"the body's identifier {reported.identifier} differs from the one the "
                    f"request names ({system}|{value}): a conditional update may not re-key an "
                    "appointment",
                    "Appointment.identifier[0]",
                    "business-rule",
                ),
            )
        return self._write(reported, vendor, create_only=False)

    def _write(
        self, reported: ReportedAppointment, vendor: str, *, create_only: bool
    ) -> IntakeResult:
        # Asked before the write begins: the directory may need a connection of its own, and a
        # request holding one while waiting for another starves the pool under load.
        reasons = self._review_reasons(reported)
        try:
            return self._write_once(reported, reasons, vendor, create_only=create_only)
        except IntegrityError:
            # Another request of this vendor created the same identifier between our read and our
            # insert: answer as if we had come second (idempotent create, 409, or an update).
            return self._write_once(reported, reasons, vendor, create_only=create_only)

    def _write_once(
        self,
        reported: ReportedAppointment,
        reasons: list[str],
        vendor: str,
        *,
        create_only: bool,
    ) -> IntakeResult:
        now = self.clock()
        with write_session(self.engine, expire_on_commit=False) as session:
            row = lock_appointment(
                session, vendor, reported.identifier_system, reported.identifier_value
            )
            if row is None:
                row = self._new(reported, reasons, vendor, now)
                add_appointment(session, row)
                event = AppointmentEvent(kind="created", appointment=to_domain(row))
                outcome: Outcome = "created"
            else:
                if row.content_hash == reported.content_hash:
                    return IntakeResult("unchanged", to_domain(row), served_resource(row))
                if create_only:
                    raise FhirRefusal(
                        409,
                        Issue(
                            f"an appointment with identifier {reported.identifier} already "
                            "exists with different content: send changes with "
                            f"PUT [base]/Appointment?identifier={reported.identifier}",
                            "Appointment.identifier[0]",
                            "conflict",
                        ),
                    )
                previous = AppointmentStatus(row.status)
                self._apply(row, reported, reasons, now)
                row.version += 1
                event = AppointmentEvent(
                    kind="updated", appointment=to_domain(row), previous_status=previous
                )
                outcome = "updated"
            record_change(
                session,
                row,
                previous_status=event.previous_status,
                vendor=vendor,
                changed_at=now,
                resource=reported.resource,
            )
            enqueue_event(session, APPOINTMENT_TOPIC, event.model_dump(mode="json"), now)
        return IntakeResult(outcome, event.appointment, served_resource(row))

    def _new(
        self,
        reported: ReportedAppointment,
        reasons: list[str],
        vendor: str,
        now: datetime,
    ) -> StoredAppointment:
        row = StoredAppointment(
            id=str(uuid4()),
            identifier_system=reported.identifier_system,
            identifier_value=reported.identifier_value,
            vendor=vendor,
            version=1,
            received_at=now,
        )
        self._apply(row, reported, reasons, now)
        return row

    def _apply(
        self,
        row: StoredAppointment,
        reported: ReportedAppointment,
        reasons: list[str],
        now: datetime,
    ) -> None:
        row.profile = reported.profile
        row.status = reported.status.value
        row.participant_status = reported.participant_status
        row.start_at = reported.start
        row.end_at = reported.end
        row.booked_at = reported.created
        row.operator_type = reported.operator_type
        row.operator_system = reported.operator_system
        row.operator_value = reported.operator_value
        row.practitioner_idnps = reported.practitioner
        row.structure_idnst = reported.structure
        row.review_reasons = reasons
        row.resource = reported.resource
        row.content_hash = reported.content_hash
        row.updated_at = now

    def _review_reasons(self, reported: ReportedAppointment) -> list[str]:
        reasons: list[str] = []
        if not self.directory.knows_regulator(reported.operator_system, reported.operator_value):
            reasons.append(f"unknown regulator {reported.operator}")
        practitioner = reported.practitioner
        if practitioner is not None and not self.directory.knows_practitioner(practitioner):
            reasons.append(f"unknown practitioner {practitioner}")
        return reasons

    # -- reads ------------------------------------------------------------------------------------

    def read(self, appointment_id: str, vendor: str | None) -> dict[str, Any] | None:
        """The served resource of one appointment, None when it does not exist or (with `vendor`)
        belongs to another vendor — which must not learn that it exists."""
        if not _FHIR_ID.fullmatch(appointment_id):
            return None
        row = get_appointment(self.engine, appointment_id)
        if row is None or (vendor is not None and row.vendor != vendor):
            return None
        return served_resource(row)

    def search(self, identifier: str | None, vendor: str | None) -> list[dict[str, Any]]:
        """`GET [base]/Appointment?identifier=system|value`, restricted to `vendor`'s own; without
        `vendor` (the platform's own use), every vendor's appointment under that key."""
        system, value = parse_identifier_token(identifier)
        return [
            served_resource(row) for row in find_appointments(self.engine, system, value, vendor)
        ]

    def history(self, appointment_id: str) -> list[AppointmentChange]:
        """Every accepted version of an appointment, oldest first."""
        return appointment_history(self.engine, appointment_id)


def parse_identifier_token(token: str | None) -> tuple[str, str]:
    """`system|value` from the `identifier` search parameter; 400 when absent, incomplete or
    holding a control character (no identifier has one: the intake refuses them)."""
    if token is not None and _CONTROL.search(token):
        raise FhirRefusal(
            400,
            Issue(
                "the identifier parameter contains a control character (such as NUL)",
                "identifier",
                "value",
            ),
        )
    if token is None or "|" not in token:
        raise FhirRefusal(
            400,
            Issue(
                f"the identifier parameter must be system|value, got {token!r}",
                "identifier",
                "required" if token is None else "invalid",
            ),
        )
    system, _, value = token.partition("|")
    if not system or not value:
        raise FhirRefusal(
            400,
            Issue(
                f"the identifier parameter needs both a system and a value, got {token!r}",
                "identifier",
                "invalid",
            ),
        )
    return system, value


def to_domain(row: StoredAppointment) -> Appointment:
    return Appointment(
        id=UUID(row.id),
        identifier=f"{row.identifier_system}|{row.identifier_value}",
        adapter=row.vendor,
        status=AppointmentStatus(row.status),
        start=row.start_at,
        end=row.end_at,
        created=row.booked_at,
        operator=f"{row.operator_system}|{row.operator_value}",
        practitioner=row.practitioner_idnps,
        structure=row.structure_idnst,
        participant_status="needs-action"
        if row.participant_status == "needs-action"
        else "accepted",
        profile="sos" if row.profile == "sos" else "ps",
        review_reasons=tuple(row.review_reasons),
        version=row.version,
    )


def served_resource(row: StoredAppointment) -> dict[str, Any]:
    """The resource as received, under the platform's id and version (FHIR read semantics).

    Total on any stored row: the intake now refuses a `meta` that is not an object, but rows
    stored before it did are served with a `meta` of the platform's own."""
    resource = dict(row.resource)
    resource["id"] = row.id
    stored_meta = resource.get("meta")
    meta = dict(stored_meta) if isinstance(stored_meta, dict) else {}
    meta["versionId"] = str(row.version)
    meta["lastUpdated"] = format_instant(row.updated_at)
    resource["meta"] = meta
    return resource
