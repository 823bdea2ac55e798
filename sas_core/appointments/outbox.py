"""Delivering the outbox to the plugins' listeners (`sas_appointment_reported`).

Intake writes each event in the transaction that stores the change, so an event exists if and only
if the change does. The dispatcher then tells the listeners, at least once:

- it *claims* due rows by pushing their `next_attempt_at` forward by a lease (PostgreSQL: under
  `FOR UPDATE SKIP LOCKED`, so several platform instances share the work), then calls the hook;
- when every listener returned, the row is marked delivered;
- when one raised, or gave no answer within `LISTENER_TIMEOUT`, the row stays pending with
  `attempts + 1`, `last_error` and a `next_attempt_at` backed off exponentially; every listener is
  called again then (hookspecs: listeners must be idempotent). A dispatcher that dies while holding
  rows leaves them to be taken again when the lease ends: nothing is lost, across restarts too;
- an appointment's events are delivered in the order they were written: while one is pending
  (failing, or held by a dispatcher), the later ones of that appointment wait behind it, so a
  listener never sees an older `created (booked)` after a newer `updated (cancelled)`;
- synchronous listeners run in a daemon thread, off the event loop;
- each database step is one short transaction in a worker thread, one at a time, written
  through `write_session` so that on SQLite it queues behind intake's writers instead of
  failing on them (`sas_core.storage.engine`).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pluggy import HookImpl
from sqlalchemy.engine import Engine

from sas_core.appointments.intake import APPOINTMENT_TOPIC
from sas_core.appointments.models import AppointmentEvent
from sas_core.backoff import Backoff
from sas_core.plugins.host import PluginHost, resolve
from sas_core.storage.appointments import (
    get_outbox_message,
    lock_due_outbox,
    pending_outbox_heads,
    undelivered_count,
)
from sas_core.storage.engine import write_session

log = logging.getLogger(__name__)

#: How long a dispatcher holds the rows it claimed before another may take them.
LEASE = timedelta(minutes=5)
#: How long one listener may take with one event; past it, a failure (with backoff). Well
#: under the lease, and a pass starts no delivery that could end after its lease.
LISTENER_TIMEOUT = timedelta(seconds=60)
#: How many of the oldest pending rows a pass looks at to find each appointment's first one.
SCAN_FACTOR = 10
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


#: The wait after the `attempts`-th consecutive failure.
backoff = Backoff(BACKOFF_BASE, BACKOFF_MAX)


@dataclass(frozen=True)
class _Claimed:
    id: int
    key: str
    topic: str
    payload: dict[str, object]


async def dispatch_outbox(
    engine: Engine, host: PluginHost, *, limit: int = 100, now: datetime | None = None
) -> DispatchReport:
    """Deliver up to `limit` due outbox rows to the listeners; `now` is for tests."""
    at = now or datetime.now(UTC)
    claimed = await asyncio.to_thread(_claim, engine, at, limit)
    report = DispatchReport()
    loop = asyncio.get_running_loop()
    # No delivery starts that could still run when the lease ends and another dispatcher may
    # take the same rows.
    last_start = loop.time() + (LEASE - LISTENER_TIMEOUT).total_seconds()
    stopped: set[str] = set()
    for message in claimed:
        if message.key in stopped or loop.time() > last_start:
            stopped.add(message.key)  # an earlier event of it failed: this one waits behind
            await asyncio.to_thread(_release, engine, message.id, at)
            continue
        error = await _deliver(host, message.topic, message.payload)
        if error is None:
            report.delivered += 1
        else:
            stopped.add(message.key)
            report.failed += 1
            report.errors.append(f"outbox {message.id}: {error}")
            log.warning("outbox %s: a listener failed, will retry: %s", message.id, error)
        await asyncio.to_thread(_settle, engine, message.id, error, now)
    return report


def _key(message_id: int, payload: dict[str, Any]) -> str:
    """What orders events: the appointment they report (a row of another shape: itself)."""
    appointment = payload.get("appointment")
    if isinstance(appointment, dict) and appointment.get("id") is not None:
        return f"appointment:{appointment['id']}"
    return f"outbox:{message_id}"


def _claim(engine: Engine, at: datetime, limit: int) -> list[_Claimed]:
    """Take the due rows that no earlier pending row of the same appointment holds back.

    The oldest pending rows are read in id order: an earlier row of an appointment, if pending,
    is among them. A row held by another dispatcher is not due (its lease), so it holds back
    the later rows of its appointment too; the lock only keeps two claims from overlapping.
    """
    with write_session(engine) as session:
        pending = pending_outbox_heads(session, limit * SCAN_FACTOR)
        held: set[str] = set()
        candidates: list[tuple[int, str]] = []
        for message_id, payload, next_attempt_at in pending:
            key = _key(message_id, payload)
            if key in held:
                continue
            if next_attempt_at > at or len(candidates) >= limit:
                held.add(key)
            else:
                candidates.append((message_id, key))
        rows = lock_due_outbox(session, [message_id for message_id, _ in candidates], at)
        claimed = []
        for message_id, key in candidates:
            row = rows.get(message_id)
            if row is None:
                held.add(key)  # taken by another dispatcher meanwhile
            if key in held:
                continue
            assert row is not None
            row.next_attempt_at = at + LEASE
            claimed.append(_Claimed(row.id, key, row.topic, dict(row.payload)))
        return claimed


def _release(engine: Engine, message_id: int, at: datetime) -> None:
    """Give back a claimed row not delivered in this pass, due again at once."""
    with write_session(engine) as session:
        row = get_outbox_message(session, message_id)
        if row is not None:
            row.next_attempt_at = at


async def _deliver(host: PluginHost, topic: str, payload: dict[str, object]) -> str | None:
    """Call every listener, each bounded by `LISTENER_TIMEOUT`; the first failure's
    description, or None when all succeeded."""
    if topic != APPOINTMENT_TOPIC:
        return f"unknown outbox topic {topic!r}"
    try:
        event = AppointmentEvent.model_validate(payload)
    except Exception as exc:
        return _describe(exc)
    # Every listener is told even when one fails, so none is left un-awaited.
    outcomes = await asyncio.gather(
        *(_tell(host, impl, event) for impl in host.hooks.listeners()),
        return_exceptions=True,
    )
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    for failure in failures:
        if not isinstance(failure, Exception):
            raise failure
    return _describe(failures[0]) if failures else None


async def _tell(host: PluginHost, impl: HookImpl, event: AppointmentEvent) -> None:
    """One listener, through pluggy (tracing included); a sync one in a thread."""
    seconds = LISTENER_TIMEOUT.total_seconds()

    def call() -> list[Awaitable[None] | None]:
        return host.hooks.sas_appointment_reported(event, plugin=impl.plugin_name)

    try:
        async with asyncio.timeout(seconds):
            if inspect.iscoroutinefunction(impl.function):
                results = call()
            else:
                results = await _in_daemon_thread(call)
            for result in results:
                await resolve(result)
    except TimeoutError:
        raise TimeoutError(
            f"listener {impl.plugin_name!r} gave no answer within {seconds:g} s"
        ) from None


async def _in_daemon_thread(call: Callable[[], Any]) -> Any:
    """`call()` in a daemon thread: a listener that hangs is abandoned at its timeout, and
    neither the dispatcher nor the process's exit waits for it (a pool thread would be joined)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[Any] = loop.create_future()

    def finish(value: Any, error: BaseException | None) -> None:
        if done.done():
            return  # abandoned at its timeout
        if error is None:
            done.set_result(value)
        else:
            done.set_exception(error)

    def run() -> None:
        try:
            value, error = call(), None
        except BaseException as exc:  # handed to the awaiting task
            value, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(finish, value, error)

    threading.Thread(target=run, name="outbox-listener", daemon=True).start()
    return await done


def _settle(engine: Engine, message_id: int, error: str | None, now: datetime | None) -> None:
    at = now or datetime.now(UTC)
    with write_session(engine) as session:
        row = get_outbox_message(session, message_id)
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
    return undelivered_count(engine)


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
