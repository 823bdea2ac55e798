"""A local Hub Santé stand-in on the machine's RabbitMQ, for demos and tests.

It declares the Hub's topology (digest (b), "Broker topology"): the topic exchange clients
publish to (`hubsante`) bound with `#` to the dispatcher's queue, the direct `distribution`
exchange, and for each client its `.message`, `.ack` and `.info` queues. Then it plays two
parts:

- the **dispatcher**, with the Hub's checks in its order — content type (101), JSON (102),
  schema (300), routing key = sender (200), persistent (100), distributionID prefix (300) —
  and routing by `distributionKind` to the recipient's queue, an unknown recipient being 501;
  each refusal goes to the sender's `.info` queue as an RS-ERROR from `fr.health.hub`;
- a **fake LRM** per SAMU client: it reads its `.message` queue, keeps every version it
  integrates once (a copy of a distributionID it already has is acknowledged again, not
  integrated again: the platform's idempotency key is that id), and answers with the final
  acknowledgement (RC-REF) or the error chosen on demand (`Answers`).

Not a Hub: no TLS, no per-client permissions, no TTL nor dead-lettering (a chosen 400 or 500 is
answered instead), no XML conversion.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractRobustConnection,
)

from sas_lrm.messages import error_message, final_ack
from sas_lrm.schemas import MessageSchemas

log = logging.getLogger(__name__)

HUB_ID = "fr.health.hub"
#: The Hub's status strings (digest (b), "Known codes"); others are sent as `ERROR`.
STATUS_STRINGS = {
    100: "DELIVERY_MODE_INCONSISTENCY",
    101: "NOT_ALLOWED_CONTENT_TYPE",
    102: "UNRECOGNIZED_MESSAGE_FORMAT",
    200: "SENDER_INCONSISTENCY",
    300: "INVALID_MESSAGE",
    301: "SCHEMA_NOT_FOUND",
    400: "EXPIRED_MESSAGE_BEFORE_ROUTING",
    409: "CONFLICT",
    500: "DEAD_LETTER_QUEUED",
    501: "UNROUTABLE_MESSAGE",
    600: "MESSAGE_CONVERSION_ERROR",
    700: "INTERNAL_CLIENT_ERROR",
    701: "CASE_ALREADY_EXISTS",
    702: "WRONG_MESSAGE_SEQUENCE",
    703: "UNKNOWN_SENDER",
    704: "INSUFFICIENT_DATA",
}
#: Codes an LRM sends itself; the others the Hub sends (sender `fr.health.hub`).
LRM_CODES = frozenset({409, 700, 701, 702, 703, 704})
_QUEUE_OF_KIND = {"Ack": "ack", "Error": "info", "Report": "message", "Update": "message"}


@dataclass(frozen=True)
class Topology:
    """The names the stand-in declares: the Hub's, or suffixed ones for a test of its own."""

    exchange: str = "hubsante"
    dispatch: str = "dispatch"
    distribution: str = "distribution"

    @classmethod
    def for_exchange(cls, exchange: str) -> Topology:
        """The Hub's names for `hubsante`; names derived from another exchange's (a test's)."""
        if exchange == cls.exchange:
            return cls()
        return cls(exchange, f"{exchange}.dispatch", f"{exchange}.distribution")


@dataclass
class Answers:
    """What the fake LRM answers: `ack`, `silent` (nothing: the platform's deadline runs), or
    an error code; `script` is used first, one answer per new message, then `default`."""

    default: str = "ack"
    script: deque[str] = field(default_factory=deque)

    def next(self) -> str:
        return self.script.popleft() if self.script else self.default


@dataclass
class FakeLrm:
    """One SAMU's LRM: what it integrated, what it received (copies included)."""

    client_id: str
    answers: Answers = field(default_factory=Answers)
    integrated: dict[str, dict[str, Any]] = field(default_factory=dict)
    received: list[str] = field(default_factory=list)
    appointments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def receive(self, report: dict[str, Any]) -> str:
        """What to answer `report`: `ack` for a copy of a version already integrated (it is not
        integrated twice), else the next chosen answer; kept unless that answer is an error."""
        did = str(report["distributionID"])
        self.received.append(did)
        if did in self.integrated:
            return "ack"
        answer = self.answers.next()
        if answer in ("ack", "silent"):
            self.integrated[did] = report
            message = report["content"][0]["jsonContent"]["embeddedJsonContent"]["message"]
            appointment = message.get("appointment") or {}
            key = str(appointment.get("appointmentId"))
            self.appointments.setdefault(key, []).append(appointment)
        return answer


class HubStandIn:
    """The topology, the dispatcher and the fake LRMs on one broker connection."""

    def __init__(
        self,
        connection: AbstractRobustConnection,
        *,
        clients: Iterable[str],
        lrms: Iterable[FakeLrm] = (),
        topology: Topology | None = None,
        schemas: MessageSchemas | None = None,
    ) -> None:
        self.connection = connection
        self.topology = topology or Topology()
        self.lrms = {lrm.client_id: lrm for lrm in lrms}
        self.clients = sorted({*clients, *self.lrms})
        self.schemas = schemas or MessageSchemas()
        self._channel: AbstractChannel | None = None
        self._distribution: AbstractExchange | None = None
        self._hubsante: AbstractExchange | None = None

    async def declare(self) -> None:
        """Declare the exchanges and queues (idempotent: declaring again changes nothing)."""
        channel = await self.connection.channel(publisher_confirms=True)
        self._channel = channel
        names = self.topology
        self._hubsante = await channel.declare_exchange(
            names.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        dispatch = await channel.declare_queue(names.dispatch, durable=True)
        await dispatch.bind(self._hubsante, "#")
        self._distribution = await channel.declare_exchange(
            names.distribution, aio_pika.ExchangeType.DIRECT, durable=True
        )
        for client in self.clients:
            for suffix in ("message", "ack", "info"):
                queue = await channel.declare_queue(f"{client}.{suffix}", durable=True)
                await queue.bind(self._distribution, f"{client}.{suffix}")

    async def start(self) -> None:
        """Declare the topology and start the dispatcher and the fake LRMs' consumers."""
        await self.declare()
        assert self._channel is not None
        channel = self._channel
        await channel.set_qos(prefetch_count=20)
        dispatch = await channel.get_queue(self.topology.dispatch, ensure=True)
        await dispatch.consume(self._dispatch)
        for lrm in self.lrms.values():
            queue = await channel.get_queue(f"{lrm.client_id}.message", ensure=True)
            await queue.consume(self._lrm_consumer(lrm))

    async def delete(self) -> None:
        """Remove everything `declare` made (tests clean up after themselves); the consumers'
        channel is closed first, so that no robust channel declares a queue again."""
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
        channel = await self.connection.channel()
        for client in self.clients:
            for suffix in ("message", "ack", "info"):
                await channel.queue_delete(f"{client}.{suffix}")
        await channel.queue_delete(self.topology.dispatch)
        await channel.exchange_delete(self.topology.exchange)
        await channel.exchange_delete(self.topology.distribution)
        await channel.close()

    # -- the dispatcher ---------------------------------------------------------------------------

    async def _dispatch(self, incoming: AbstractIncomingMessage) -> None:
        async with incoming.process(requeue=True):
            await self._route(incoming)

    async def _route(self, incoming: AbstractIncomingMessage) -> None:
        sender_key = incoming.routing_key or ""
        if incoming.content_type not in ("application/json", "application/xml"):
            await self._refuse(sender_key, None, 101, f"content type {incoming.content_type!r}")
            return
        try:
            document = json.loads(incoming.body)
            did = str(document["distributionID"])
            sender = str(document["senderID"])
            kind = str(document["distributionKind"])
            recipient = str(document["descriptor"]["explicitAddress"]["explicitAddressValue"])
        except (ValueError, KeyError, TypeError) as exc:
            await self._refuse(sender_key, None, 102, f"unreadable message: {exc}")
            return
        if kind == "Report":
            errors = self.schemas.errors(document)
            if errors:
                await self._refuse(sender, document, 300, "; ".join(errors[:5]))
                return
        if sender_key != sender:
            await self._refuse(sender, document, 200, f"routing key {sender_key} ≠ {sender}")
            return
        if incoming.delivery_mode != aio_pika.DeliveryMode.PERSISTENT:
            await self._refuse(sender, document, 100, "the message is not persistent")
            return
        if did.split("_", 1)[0] != sender:
            await self._refuse(sender, document, 300, f"distributionID {did} ≠ {sender}_…")
            return
        queue = f"{recipient}.{_QUEUE_OF_KIND.get(kind, 'message')}"
        if recipient not in self.clients:
            await self._refuse(sender, document, 501, f"no queue {queue}")
            return
        await self._forward(queue, incoming.body)

    async def _forward(self, queue: str, body: bytes) -> None:
        assert self._distribution is not None
        await self._distribution.publish(
            aio_pika.Message(
                body,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=queue,
        )

    async def _refuse(
        self, sender: str, source: dict[str, Any] | None, code: int, cause: str
    ) -> None:
        """An RS-ERROR from the Hub to the sender's `.info` queue."""
        if sender not in self.clients:
            log.warning("hub stand-in: dropped a message from unknown %r: %s", sender, cause)
            return
        referenced = str((source or {}).get("distributionID", "unknown"))
        error = error_message(
            source,
            sender=HUB_ID,
            recipient=sender,
            referenced=referenced,
            code=code,
            status=STATUS_STRINGS.get(code, "ERROR"),
            cause=f"{referenced}: {cause}",
            sent=datetime.now(UTC),
        )
        await self._forward(f"{sender}.info", json.dumps(error).encode())

    # -- the fake LRMs --------------------------------------------------------------------------

    def _lrm_consumer(self, lrm: FakeLrm) -> Any:
        async def consume(incoming: AbstractIncomingMessage) -> None:
            async with incoming.process(requeue=True):
                await self._answer(lrm, json.loads(incoming.body))

        return consume

    async def _answer(self, lrm: FakeLrm, report: dict[str, Any]) -> None:
        answer = lrm.receive(report)
        sender = str(report["senderID"])
        now = datetime.now(UTC)
        if answer == "silent":
            return
        if answer == "ack":
            ack = final_ack(report, sender=lrm.client_id, sent=now)
            await self._forward(f"{sender}.ack", json.dumps(ack).encode())
            return
        code = int(answer)
        from_lrm = code in LRM_CODES
        error = error_message(
            report,
            sender=lrm.client_id if from_lrm else HUB_ID,
            recipient=sender,
            referenced=str(report["distributionID"]),
            code=code,
            status=STATUS_STRINGS.get(code, "ERROR"),
            cause=f"answer chosen for the stand-in's {lrm.client_id}",
            sent=now,
        )
        await self._forward(f"{sender}.info", json.dumps(error).encode())
