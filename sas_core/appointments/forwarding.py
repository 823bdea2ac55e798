"""The delivery store of messages forwarded about appointments (the LRM through Hub Santé, or
any integration that must tell a remote system of each version of an appointment).

The outbox (`sas_core.appointments.outbox`) tells a listener at least once; the listener records
here one message per (appointment, version) — recording the same version again returns the
first record, so a version is never sent twice — and a forwarder then moves each message on:

- `claim_due` hands out, per appointment, only its oldest message not final yet (delivered,
  failed or parked), so the recipient sees an appointment's versions in their order; a claimed
  message is leased (pushed `lease` forward) so two forwarders never send it at once;
- `mark_published` after the broker confirmed it (the deadline of the final acknowledgement is
  its next look), `mark_delivered` on that acknowledgement, `schedule_retry`, `mark_failed`
  and `mark_parked` as the recipient's answer says;
- `record_receipt` keeps each acknowledgement or error received once, by its own id.

Every step is one short transaction through `write_session`; the statements are
`sas_core.storage.lrm`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.engine import Engine

from sas_core.appointments.models import ForwardedMessage, ForwardingState
from sas_core.storage.engine import write_session
from sas_core.storage.lrm import (
    DELIVERY_STATES,
    LrmDeliveryRow,
    LrmReceiptRow,
    add_delivery,
    add_receipt,
    claim_due_deliveries,
    deliveries_of,
    delivery,
    delivery_by_distribution_id,
    delivery_counts,
    list_deliveries,
    mark_delivery_delivered,
    mark_delivery_published,
    settle_delivery,
)

#: `last_error` is for an operator's eyes, not a store of whole messages.
MAX_ERROR_CHARS = 2000


class DeliveryStore:
    """The forwarded messages, on one database."""

    def __init__(
        self, engine: Engine, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.engine = engine
        self.clock = clock

    def record(
        self,
        appointment_id: UUID,
        version: int,
        *,
        distribution_id: str,
        recipient: str | None,
        payload: dict[str, object] | None,
        error: str | None = None,
    ) -> tuple[ForwardedMessage, bool]:
        """The message of this version, and whether it is new. With `error`, it is recorded
        `failed` (nothing valid to send) so the version is visible rather than dropped."""
        now = self.clock()
        with write_session(self.engine, expire_on_commit=False) as session:
            row = delivery(session, str(appointment_id), version)
            if row is not None:
                return _domain(row), False
            row = LrmDeliveryRow(
                appointment_id=str(appointment_id),
                version=version,
                distribution_id=distribution_id,
                recipient=recipient,
                state="pending" if error is None else "failed",
                payload=payload,
                attempts=0,
                next_attempt_at=now,
                last_error=None if error is None else error[:MAX_ERROR_CHARS],
                last_error_code=None,
                created_at=now,
                published_at=None,
                delivered_at=None,
                updated_at=now,
            )
            add_delivery(session, row)
            session.flush()
            return _domain(row), True

    def claim_due(self, limit: int, lease: timedelta) -> list[ForwardedMessage]:
        """Up to `limit` messages to send now: each the oldest open one of its appointment,
        pending and due, or published with its acknowledgement overdue; leased for `lease`."""
        now = self.clock()
        with write_session(self.engine, expire_on_commit=False) as session:
            claimed = claim_due_deliveries(session, at=now, lease_until=now + lease, limit=limit)
            return [_domain(row) for row in claimed]

    def mark_published(self, claimed: ForwardedMessage, ack_deadline: datetime) -> None:
        """The broker confirmed `claimed`: wait for its final acknowledgement until then.

        Unless a receipt settled it meanwhile (an answer can overtake the broker's confirm):
        then it is no longer as claimed (final, or its next attempt moved) and stays so."""
        with write_session(self.engine) as session:
            mark_delivery_published(
                session,
                claimed.id,
                leased_until=claimed.next_attempt_at,
                at=self.clock(),
                ack_deadline=ack_deadline,
            )

    def mark_delivered(self, distribution_id: str) -> ForwardedMessage | None:
        """The recipient acknowledged the message (again is harmless); None if it is not ours."""
        with write_session(self.engine, expire_on_commit=False) as session:
            row = mark_delivery_delivered(session, distribution_id, self.clock())
            return None if row is None else _domain(row)

    def schedule_retry(
        self, message_id: int, at: datetime, error: str, code: int | None = None
    ) -> None:
        """Send the message again at `at`, keeping why the last try did not succeed."""
        self._settle(message_id, "pending", error, code, at)

    def mark_failed(self, message_id: int, error: str, code: int | None = None) -> None:
        self._settle(message_id, "failed", error, code, None)

    def mark_parked(self, message_id: int, error: str, code: int | None = None) -> None:
        self._settle(message_id, "parked", error, code, None)

    def by_distribution_id(self, distribution_id: str) -> ForwardedMessage | None:
        with write_session(self.engine, expire_on_commit=False) as session:
            row = delivery_by_distribution_id(session, distribution_id)
            return None if row is None else _domain(row)

    def _settle(
        self,
        message_id: int,
        state: ForwardingState,
        error: str,
        code: int | None,
        at: datetime | None,
    ) -> None:
        now = self.clock()
        with write_session(self.engine) as session:
            settle_delivery(
                session,
                message_id,
                state=state,
                error=error[:MAX_ERROR_CHARS],
                code=code,
                at=now,
                next_attempt_at=at or now,
            )

    def record_receipt(self, distribution_id: str, kind: str, referenced: str | None) -> bool:
        """Keep an acknowledgement or error received; False when it was already processed."""
        with write_session(self.engine) as session:
            return add_receipt(
                session,
                LrmReceiptRow(
                    distribution_id=distribution_id,
                    kind=kind,
                    referenced=referenced,
                    received_at=self.clock(),
                ),
            )

    def counts(self) -> dict[str, int]:
        """How many messages are in each state, every state named."""
        return delivery_counts(self.engine)

    def messages(
        self, states: Iterable[ForwardingState] | None = None, limit: int = 100
    ) -> list[ForwardedMessage]:
        """The newest messages (in `states` when given), newest first."""
        return [_domain(r) for r in list_deliveries(self.engine, states=states, limit=limit)]

    def of_appointment(self, appointment_id: UUID) -> list[ForwardedMessage]:
        """Every message of one appointment, by version."""
        return [_domain(r) for r in deliveries_of(self.engine, str(appointment_id))]


def _domain(row: LrmDeliveryRow) -> ForwardedMessage:
    assert row.state in DELIVERY_STATES
    return ForwardedMessage(
        id=row.id,
        appointment_id=UUID(row.appointment_id),
        version=row.version,
        distribution_id=row.distribution_id,
        recipient=row.recipient,
        state=row.state,
        payload=row.payload,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        last_error_code=row.last_error_code,
        created_at=row.created_at,
        published_at=row.published_at,
        delivered_at=row.delivered_at,
    )
