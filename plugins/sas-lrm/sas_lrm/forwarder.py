"""The forwarder: publishes the recorded messages to Hub Santé and settles them from the
acknowledgements and errors that come back.

- Publishing: the oldest open message of each appointment (`DeliveryStore.claim_due`), wrapped
  in a fresh envelope, checked against the schemas once more (an invalid message is never
  published: it is marked failed with the validation error), published persistent, JSON, with
  routing key = the platform's client id on a channel with publisher confirms. The broker's
  confirm makes it `published`; no confirm (broker gone, nack) schedules a retry of the same
  message, distributionID included.
- Settling: the `.ack` queue's final acknowledgement (RC-REF) marks it delivered; the `.info`
  queue's errors (RS-ERROR) are applied by `ERROR_POLICY`. Each receipt is processed once (kept
  by its own distributionID) and acknowledged to the broker only after it is stored.
- A published message with no final acknowledgement by `SAS_LRM_ACK_TIMEOUT_S` is sent again,
  under the same distributionID: the LRM discards a copy of a version it already integrated.
- After `SAS_LRM_MAX_ATTEMPTS` tries a message is parked for a person to look at.

Because a message is claimed only while it is its appointment's oldest open one, an
appointment's versions reach the LRM in their order, whatever the failures in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractRobustConnection,
)
from sqlalchemy.engine import Engine

from sas_core.appointments.forwarding import DeliveryStore
from sas_core.appointments.models import ForwardedMessage
from sas_core.backoff import Backoff
from sas_lrm.messages import Receipt, UnreadableReceipt, read_receipt
from sas_lrm.schemas import InvalidMessage, MessageSchemas
from sas_lrm.settings import LrmSettings
from sas_lrm.snapshots import wrap
from sas_lrm.transport import connect

log = logging.getLogger(__name__)

Reaction = Literal["retry", "park", "delivered"]

#: What an error code means for the message (digest (b), "Known codes"): retry those a later
#: try can cure, treat the LRM's 409 (it already has the appointment) as delivered, park the
#: rest — configuration or data a person must fix. An unknown code is parked too: visible,
#: never retried blindly.
ERROR_POLICY: dict[int, Reaction] = {
    100: "park",  # DELIVERY_MODE_INCONSISTENCY: our publishing is wrong
    101: "park",  # NOT_ALLOWED_CONTENT_TYPE
    102: "park",  # UNRECOGNIZED_MESSAGE_FORMAT
    200: "park",  # SENDER_INCONSISTENCY: routing key or client id misconfigured
    300: "park",  # INVALID_MESSAGE: the data must be fixed, then a new version goes
    301: "retry",  # SCHEMA_NOT_FOUND: the Hub's own trouble
    400: "retry",  # EXPIRED_MESSAGE_BEFORE_ROUTING: sent again, fresh
    409: "delivered",  # CONFLICT from the LRM: it already has this appointment
    500: "retry",  # DEAD_LETTER_QUEUED: expired in, or rejected by, the LRM's queue
    501: "park",  # UNROUTABLE_MESSAGE: the SAMU's client id is wrong
    600: "park",  # MESSAGE_CONVERSION_ERROR: contact the Hub
    700: "park",  # INTERNAL_CLIENT_ERROR … 704 INSUFFICIENT_DATA: the LRM's functional errors
    701: "park",
    702: "park",
    703: "park",
    704: "park",
}
#: How long a claimed message is reserved for the forwarder publishing it.
LEASE = timedelta(seconds=60)
#: Messages claimed per pass; prefetch of each consumer.
BATCH = 50
PREFETCH = 10
RETRY_CAP = timedelta(hours=1)


def reaction_to(code: int) -> Reaction:
    return ERROR_POLICY.get(code, "park")


@dataclass
class PassReport:
    """What one publishing pass did."""

    published: int = 0
    retried: int = 0
    failed: int = 0
    parked: int = 0
    errors: list[str] = field(default_factory=list)


class Forwarder:
    """Publishes due messages and consumes the platform's `.ack` and `.info` queues."""

    def __init__(
        self,
        engine: Engine,
        settings: LrmSettings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.store = DeliveryStore(engine, clock=clock)
        self.schemas = MessageSchemas(settings.hub_schemas)
        self.backoff = Backoff(timedelta(seconds=settings.retry_base_s), RETRY_CAP)
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None

    # -- running --------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, *, poll_s: float = 1.0) -> None:
        """Publish and consume until `stop` is set; reconnects by itself after a broker loss."""
        connection = await connect(self.settings)
        self._connection = connection
        try:
            publishing = await connection.channel(publisher_confirms=True)
            self._exchange = await publishing.get_exchange(self.settings.exchange, ensure=False)
            consuming = await connection.channel()
            await consuming.set_qos(prefetch_count=PREFETCH)
            await self._consume(consuming)
            while not stop.is_set():
                report = await self.publish_due()
                if report.errors:
                    log.warning("LRM forwarding: %s", "; ".join(report.errors[:3]))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=poll_s)
        finally:
            self._exchange = None
            self._connection = None
            await connection.close()

    async def _consume(self, channel: AbstractChannel) -> None:
        client = self.settings.client_id
        for suffix in ("ack", "info"):
            # Passive: the Hub grants no right to declare (digest (b), permissions).
            queue = await channel.get_queue(f"{client}.{suffix}", ensure=True)
            await queue.consume(self._on_receipt)

    # -- publishing -----------------------------------------------------------------------------

    async def publish_due(self) -> PassReport:
        """Publish every message due now, each its appointment's oldest open one."""
        report = PassReport()
        claimed = await asyncio.to_thread(self.store.claim_due, BATCH, LEASE)
        for message in claimed:
            await self._publish_one(message, report)
        return report

    async def _publish_one(self, message: ForwardedMessage, report: PassReport) -> None:
        store = self.store
        if message.state == "published":
            # Its final acknowledgement is overdue: send the same message again.
            note = f"no final acknowledgement within {self.settings.ack_timeout_s:g} s"
            if message.attempts >= self.settings.max_attempts:
                await asyncio.to_thread(store.mark_parked, message.id, f"{note}, parked")
                report.parked += 1
                return
        if message.payload is None or message.recipient is None:
            await asyncio.to_thread(store.mark_failed, message.id, "nothing to send")
            report.failed += 1
            return
        body = wrap(
            self.settings, message.payload, message.distribution_id, message.recipient, self.clock()
        )
        try:
            self.schemas.check(body)
        except InvalidMessage as exc:
            await asyncio.to_thread(store.mark_failed, message.id, str(exc))
            report.failed += 1
            return
        try:
            await self._send(body)
        except Exception as exc:
            # The broker is unreachable or refused it: not the message's fault, so it is never
            # parked for this; it waits for the broker (the robust connection reconnects).
            error = f"not confirmed by the broker: {type(exc).__name__}: {exc}".strip()
            at = self.clock() + timedelta(seconds=self.settings.retry_base_s)
            await asyncio.to_thread(store.schedule_retry, message.id, at, error)
            report.retried += 1
            report.errors.append(f"{message.distribution_id}: {error}")
            return
        deadline = self.clock() + timedelta(seconds=self.settings.ack_timeout_s)
        await asyncio.to_thread(store.mark_published, message, deadline)
        report.published += 1

    async def _send(self, body: dict[str, object]) -> None:
        exchange = self._exchange
        if exchange is None:
            raise ConnectionError("no broker connection")
        await exchange.publish(
            aio_pika.Message(
                json.dumps(body, ensure_ascii=False).encode(),
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=str(body["distributionID"]),
                priority=0,
            ),
            routing_key=self.settings.client_id,
            timeout=30,
        )

    def _retry_or_park(self, message: ForwardedMessage, error: str, code: int | None) -> None:
        """After an error that allows a retry: again later, unless it was published
        `max_attempts` times already."""
        attempts = message.attempts
        if attempts >= self.settings.max_attempts:
            self.store.mark_parked(message.id, f"{error} (after {attempts} tries)", code)
        else:
            at = self.clock() + self.backoff(attempts)
            self.store.schedule_retry(message.id, at, error, code)

    # -- settling -------------------------------------------------------------------------------

    async def _on_receipt(self, incoming: AbstractIncomingMessage) -> None:
        """Store what a receipt says, then acknowledge it to the broker (never reject it: a
        nack would bounce back to the LRM as an error 500)."""
        try:
            receipt = read_receipt(json.loads(incoming.body))
        except (UnreadableReceipt, ValueError) as exc:
            log.warning("LRM forwarding: unreadable message on %s: %s", incoming.routing_key, exc)
            await incoming.ack()
            return
        await asyncio.to_thread(self.settle, receipt)
        await incoming.ack()

    def settle(self, receipt: Receipt) -> None:
        """Apply one acknowledgement or error to the message it refers to, once."""
        store = self.store
        if not store.record_receipt(receipt.distribution_id, receipt.kind, receipt.referenced):
            return  # already processed (the broker redelivered it)
        message = store.by_distribution_id(receipt.referenced)
        if message is None:
            log.warning("LRM forwarding: %s refers to no message of ours", receipt.distribution_id)
            return
        if receipt.kind == "ack":
            if receipt.refused:
                store.mark_parked(message.id, "the LRM acknowledged it as refused")
            else:
                store.mark_delivered(receipt.referenced)
            return
        assert receipt.code is not None
        reaction = reaction_to(receipt.code)
        if reaction == "delivered":
            store.mark_delivered(receipt.referenced)
        elif reaction == "retry":
            self._retry_or_park(message, receipt.describe(), receipt.code)
        else:
            store.mark_parked(message.id, receipt.describe(), receipt.code)
