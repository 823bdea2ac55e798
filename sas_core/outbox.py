"""Delivering the outbox to the plugins' listeners (`sas_appointment_reported`).

Intake writes each event in the transaction that stores the change, so an event exists if and only
if the change does. The dispatcher then tells the listeners, at least once:

- it *claims* due rows by pushing their `next_attempt_at` forward by a lease (PostgreSQL: under
  `FOR UPDATE SKIP LOCKED`, so several platform instances share the work), then calls the hook;
- when every listener returned, the row is marked delivered;
- when one raised, the row stays pending with `attempts + 1`, `last_error` and a `next_attempt_at`
  backed off exponentially; every listener is called again then (hookspecs: listeners must be
  idempotent). A dispatcher that dies while holding rows leaves them to be taken again when the
  lease ends: nothing is lost, across restarts too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from sas_core.appointment_intake import APPOINTMENT_TOPIC
from sas_core.appointments import AppointmentEvent
from sas_core.plugins import PluginHost, resolve
from sas_core.storage.appointments import OutboxMessage

log = logging.getLogger(__name__)

#: How long a dispatcher holds the rows it claimed before another may take them.
LEASE = timedelta(minutes=5)
#: Backoff after the n-th failure: BASE × 2^(n-1), at most MAX.
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_MAX = timedelta(hours=1)
#: `last_error` is kept short: it is for an operator's eyes, not a traceback store.
MAX_ERROR_CHARS = 2000


@dataclass
class DispatchReport:
    """What one dispatch pass did."""

    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th consecutive failure."""
    return min(BACKOFF_BASE * (1 << min(max(attempts - 1, 0), 20)), BACKOFF_MAX)


async def dispatch_outbox(
    engine: Engine, host: PluginHost, *, limit: int = 100, now: datetime | None = None
) -> DispatchReport:
    """Deliver up to `limit` due outbox rows to the listeners; `now` is for tests."""
    at = now or datetime.now(UTC)
    claimed = await asyncio.to_thread(_claim, engine, at, limit)
    report = DispatchReport()
    for message_id, topic, payload in claimed:
        error = await _deliver(host, topic, payload)
        if error is None:
            report.delivered += 1
        else:
            report.failed += 1
            report.errors.append(f"outbox {message_id}: {error}")
            log.warning("outbox %s: a listener failed, will retry: %s", message_id, error)
        await asyncio.to_thread(_settle, engine, message_id, error, now)
    return report


def _claim(engine: Engine, at: datetime, limit: int) -> list[tuple[int, str, dict[str, object]]]:
    with Session(engine) as session, session.begin():
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.next_attempt_at <= at)
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.next_attempt_at = at + LEASE
        return [(row.id, row.topic, dict(row.payload)) for row in rows]


async def _deliver(host: PluginHost, topic: str, payload: dict[str, object]) -> str | None:
    """Call every listener; the first failure's description, or None when all succeeded."""
    if topic != APPOINTMENT_TOPIC:
        return f"unknown outbox topic {topic!r}"
    try:
        event = AppointmentEvent.model_validate(payload)
        results = host.hook.sas_appointment_reported(event=event)
    except Exception as exc:
        return _describe(exc)
    # Await every async listener even when one fails, so none is left un-awaited.
    outcomes = await asyncio.gather(*(resolve(r) for r in results), return_exceptions=True)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    for failure in failures:
        if not isinstance(failure, Exception):
            raise failure
    return _describe(failures[0]) if failures else None


def _settle(engine: Engine, message_id: int, error: str | None, now: datetime | None) -> None:
    at = now or datetime.now(UTC)
    with Session(engine) as session, session.begin():
        row = session.get(OutboxMessage, message_id)
        if row is None:
            return
        if error is None:
            row.delivered_at = at
            row.last_error = None
        else:
            row.attempts += 1
            row.last_error = error[:MAX_ERROR_CHARS]
            row.next_attempt_at = at + backoff(row.attempts)


def pending_count(engine: Engine) -> int:
    """How many events are not delivered yet (for health checks and tests)."""
    with Session(engine) as session:
        count = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.delivered_at.is_(None))
        )
        return count or 0


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def run_dispatcher(
    engine: Engine, host: PluginHost, *, interval_s: float = 5.0, stop: asyncio.Event
) -> None:
    """Dispatch every `interval_s` until `stop` is set (the `sas serve` background task).

    A plain asyncio loop for now; the registry issue brings APScheduler, which will run this as a
    job once per cluster.
    """
    while not stop.is_set():
        try:
            report = await dispatch_outbox(engine, host)
            if report.delivered:
                log.info("outbox: %d event(s) delivered", report.delivered)
        except Exception:
            log.exception("outbox dispatch failed; retrying in %.0f s", interval_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)
