"""The sync engine: regulator accounts brought up to date at the vendors (INT_R02, digest §7).

- At login (§7.1) each adapter enabled in the regulator's territory is sent the account only if
  it differs from what that vendor was last sent (the body's fingerprint): a POST the first
  time (§7.2), a conditional PUT on the identifier the vendor holds afterwards (§7.3) — which
  re-keys the account when the national id has appeared since.
- A withdrawal (`active=false` by PUT, §7.4) goes at once to every vendor that has, or may
  have, the account.
- A transient failure (network, deadline, 5xx, 429) queues the account for `retry_due`
  (`sas_core.accounts.retries`) with exponential backoff; the queue is the `regulator_accounts`
  table, so it survives a restart. A refusal (4xx) is final: `rejected`, with the vendor's
  diagnostics, for a person to look at.

Each call claims the account's row first (a compare-and-set on its version, in
`sas_core.storage.accounts`), so two overlapping triggers never both call the vendor. Every call
is written to the audit trail. Calls go through the plugin that owns the adapter
(`sas_sync_regulator_account`), bounded by the adapter's deadline like slot fetches are; a
plugin that raises becomes a `retry` outcome, never a crash.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from sas_core.accounts.models import AccountAction, AccountSync, AccountSyncResult, Regulator
from sas_core.accounts.regulators import AccountStateError, Clock, utcnow
from sas_core.backoff import Backoff
from sas_core.fhir.accounts import account_token, fingerprint, practitioner_regul
from sas_core.plugins.host import PluginHost, resolve
from sas_core.plugins.models import AdapterConfig
from sas_core.registry.adapters_file import AdapterDirectory
from sas_core.storage.accounts import (
    CallResult,
    RegulatorAccountCall,
    RegulatorAccountRow,
    RegulatorNotFoundError,
    account_rows,
    add_account_call,
    claim_account,
    lock_regulator,
    mark_inactive,
    open_account,
    read_account_rows,
    read_regulator,
    settle_account,
    store_login,
)
from sas_core.storage.engine import write_session

#: First retry after 30 s, doubling up to one hour, for as long as it takes: an account that
#: never lands would keep a regulator from booking at that vendor.
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
#: A `pending` row whose process died mid-call is taken up again after this lease.
PENDING_LEASE = timedelta(minutes=2)

#: Wait before attempt `attempts + 1`: 30 s doubling to 1 h, never less than Retry-After.
backoff = Backoff(BACKOFF_BASE, BACKOFF_CAP)


@dataclass(frozen=True)
class SyncReport:
    """What happened for one (regulator, adapter) in one service call.

    `outcome` is the vendor's answer (`created`, `updated`, `rejected`, `retry`) or why nothing
    was sent: `unchanged` (the vendor already has this), `in-flight` (another call for this
    account is under way and sends the regulator as it is when it ends), `unknown-adapter` (its
    state names an adapter no longer configured).
    """

    regulator_id: uuid.UUID
    adapter: str
    outcome: str
    action: AccountAction | None = None
    http_status: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class KnownAccount:
    """A snapshot of an account row, read before deciding what to send; `version` is what the
    claim compares, so a decision made on a row someone changed since is not acted on."""

    id: int
    regulator_id: uuid.UUID
    adapter: str
    state: str
    fingerprint: str | None
    vendor_key: str | None
    attempts: int
    next_attempt_at: datetime | None
    version: int

    @classmethod
    def of(cls, row: RegulatorAccountRow) -> KnownAccount:
        return cls(
            row.id,
            row.regulator_id,
            row.adapter,
            row.state,
            row.fingerprint,
            row.vendor_key,
            row.attempts,
            row.next_attempt_at,
            row.version,
        )


def _plan(regulator: Regulator, known: KnownAccount | None) -> AccountSync:
    """What to ask of the vendor, from what it is known to hold.

    Never attempted → POST (§7.2). Otherwise a conditional PUT on the identifier the vendor
    holds the account under (§7.3), or, when no call is known to have landed (a POST that
    timed out may have), on the account's own identifier: PUT-as-create makes that safe to
    repeat, where a second POST would be refused as a duplicate (§7.6).
    """
    match = (known.vendor_key if known else None) or account_token(regulator)
    if not regulator.active:
        return AccountSync(action=AccountAction.DEACTIVATE, regulator=regulator, match=match)
    if known is None or (known.vendor_key is None and known.attempts == 0):
        return AccountSync(action=AccountAction.CREATE, regulator=regulator)
    return AccountSync(action=AccountAction.UPDATE, regulator=regulator, match=match)


async def _call(host: PluginHost, adapter: AdapterConfig, sync: AccountSync) -> AccountSyncResult:
    """The hook on the adapter's plugin, cut at its deadline; failures become outcomes."""
    try:
        # The plugin bounds its own I/O by timeout_s; this only guards against one that does not.
        async with asyncio.timeout(adapter.timeout_s + 1):
            answers = host.hooks.sas_sync_regulator_account(adapter, sync)
            results: list[AccountSyncResult | None] = [await resolve(a) for a in answers]
    except TimeoutError:
        return AccountSyncResult(
            status="retry", error=f"no answer within the {adapter.timeout_s:g} s deadline"
        )
    except Exception as exc:
        return AccountSyncResult(status="retry", error=f"{type(exc).__name__}: {exc}")
    answered = [r for r in results if r is not None]
    if not answered:
        return AccountSyncResult(
            status="rejected",
            error=f"plugin {adapter.plugin!r} does not implement account sync (INT_R02)",
        )
    return answered[0]


@dataclass(frozen=True)
class _Claim:
    """A row this call holds: what it sends, and the version its result write must still find."""

    sync: AccountSync
    fingerprint: str
    version: int
    attempts: int
    at: datetime


#: The account as one vendor should hold it, given the regulator as stored.
AccountView = Callable[[Regulator], Regulator]


def account_at(directory: AdapterDirectory, adapter: str) -> AccountView:
    """The regulator as `adapter`'s vendor should hold the account: withdrawn (`active=false`,
    digest §7.4) unless the regulator is active in a territory where `adapter` is enabled.

    So accounts follow the registry: a regulator who moved to another territory, or whose
    territory no longer enables a vendor, has the account there withdrawn, by every path that
    sends it (a login, a retry, `sas regulators update`); moving back sends it active again.
    """

    def account(regulator: Regulator) -> Regulator:
        enabled = regulator.territory is not None and any(
            a.name == adapter for a in directory.adapters_for(regulator.territory)
        )
        if regulator.active and enabled:
            return regulator
        return regulator.model_copy(update={"active": False})

    return account


def _claim(
    engine: Engine,
    regulator_id: uuid.UUID,
    adapter: str,
    account: AccountView,
    known: KnownAccount | None,
    force: bool,
    now: datetime,
) -> _Claim | str:
    """Mark the row `pending` if it is still as `known` (compare-and-set on its version, never
    over a live lease); the claim, or the outcome for not calling (`unchanged`, `in-flight`).

    The regulator is read again under its row lock, so what goes out is the account as it is
    now: a deactivation or a move committed since the caller read it is sent, not the active
    body.
    """
    try:
        with write_session(engine) as session:
            regulator = account(lock_regulator(session, regulator_id))
            body_fingerprint = fingerprint(practitioner_regul(regulator))
            skip = _skip(known, body_fingerprint, now, force)
            if skip is not None:
                return skip
            sync = _plan(regulator, known)
            lease = now + PENDING_LEASE
            if known is None:
                open_account(
                    session,
                    regulator_id,
                    adapter,
                    fingerprint=body_fingerprint,
                    at=now,
                    lease_until=lease,
                )
                return _Claim(sync, body_fingerprint, 1, 1, now)
            if not claim_account(
                session,
                known.id,
                known.version,
                fingerprint=body_fingerprint,
                at=now,
                lease_until=lease,
            ):
                return "in-flight"
            return _Claim(sync, body_fingerprint, known.version + 1, known.attempts + 1, now)
    except IntegrityError:
        return "in-flight"  # another call created the row first: it is sending
    except RegulatorNotFoundError as exc:
        raise AccountStateError(str(exc)) from None


def _record(
    engine: Engine,
    regulator_id: uuid.UUID,
    adapter: str,
    account: AccountView,
    claim: _Claim,
    result: AccountSyncResult,
    duration_ms: float,
    done: datetime,
) -> KnownAccount | None:
    """Audit the call and, if the row is still ours, store its result; the row as written when
    the regulator changed during the call (the caller sends again), else None.

    A row whose version moved on was taken after our lease ran out: that later call's result
    stands. A deactivation that found our call in flight left it to us, hence the re-check.
    """
    with write_session(engine) as session:
        current = account(lock_regulator(session, regulator_id))
        add_account_call(
            session,
            RegulatorAccountCall(
                at=claim.at,
                regulator_id=regulator_id,
                adapter=adapter,
                action=claim.sync.action.value,
                http_method=result.http_method,
                matched_on=claim.sync.match,
                http_status=result.http_status,
                outcome=result.status,
                error=result.error,
                duration_ms=duration_ms,
            ),
        )
        row = settle_account(
            session, regulator_id, adapter, claim.version, _outcome(claim, result, done)
        )
        if row is None or fingerprint(practitioner_regul(current)) == claim.fingerprint:
            return None
        return KnownAccount.of(row)


def _outcome(claim: _Claim, result: AccountSyncResult, done: datetime) -> CallResult:
    """What the vendor's answer makes of the account: held (`synced`, under the identifier
    just sent), queued with backoff (`retrying`), or refused for good (`rejected`)."""
    if result.status in ("created", "updated"):
        return CallResult(
            "synced",
            result.http_status,
            result.error,
            vendor_key=account_token(claim.sync.regulator),
            vendor_location=result.vendor_location,
            synced_at=done,
        )
    if result.status == "retry":
        wait = backoff(claim.attempts, result.retry_after_s)
        return CallResult("retrying", result.http_status, result.error, done + wait)
    return CallResult("rejected", result.http_status, result.error)


async def _send(
    engine: Engine,
    host: PluginHost,
    directory: AdapterDirectory,
    adapter: AdapterConfig,
    regulator_id: uuid.UUID,
    known: KnownAccount | None,
    clock: Clock,
    *,
    force: bool = False,
) -> SyncReport:
    """Bring one vendor's copy of the account up to date: claim the row, call, record.

    Sends again at once when the regulator changed during the call and the vendor did not ask
    to wait (`retry` goes through the queue), so an older body never stays last at the vendor.
    """
    account = account_at(directory, adapter.name)
    while True:
        claim = _claim(engine, regulator_id, adapter.name, account, known, force, clock())
        if isinstance(claim, str):
            return SyncReport(regulator_id, adapter.name, claim)
        started = time.perf_counter()
        result = await _call(host, adapter, claim.sync)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        known = _record(
            engine, regulator_id, adapter.name, account, claim, result, duration_ms, clock()
        )
        if known is None or result.status == "retry":
            return SyncReport(
                regulator_id,
                adapter.name,
                result.status,
                claim.sync.action,
                result.http_status,
                result.error,
            )
        force = False


def _skip(
    known: KnownAccount | None, body_fingerprint: str, now: datetime, force: bool
) -> str | None:
    """Why not to call (`in-flight`: another call holds the row; `unchanged`), or None."""
    if known is None:
        return None
    if known.state == "pending" and known.next_attempt_at and known.next_attempt_at > now:
        return "in-flight"  # its holder sends again if the regulator changed meanwhile
    if force or known.fingerprint != body_fingerprint:
        return None
    if known.state == "retrying":
        return (
            None if known.next_attempt_at is None or known.next_attempt_at <= now else "unchanged"
        )
    return None if known.state == "pending" else "unchanged"


async def regulator_logged_in(
    engine: Engine,
    host: PluginHost,
    directory: AdapterDirectory,
    regulator_id: uuid.UUID,
    *,
    force: bool = False,
    record_login: bool = True,
    clock: Clock = utcnow,
) -> list[SyncReport]:
    """What a login does (digest §7.1): bring every adapter of the regulator's territory up to
    date, concurrently, sending only what changed since it was last told (`force`: send anyway,
    e.g. after fixing an adapter's settings that made a vendor refuse); and withdraw the
    accounts at vendors no longer enabled in it (see `account_at`)."""
    try:
        regulator = store_login(engine, regulator_id, clock() if record_login else None)
    except RegulatorNotFoundError as exc:
        raise AccountStateError(str(exc)) from None
    if not regulator.active:
        raise AccountStateError(f"regulator {regulator_id} is deactivated and cannot log in")
    adapters = directory.adapters_for(regulator.territory) if regulator.territory else []
    rows = {row.adapter: KnownAccount.of(row) for row in read_account_rows(engine, regulator.id)}
    known = {a.name: rows.get(a.name) for a in adapters}
    left = _reached(rows.values(), besides=set(known))
    updates = asyncio.gather(
        *(
            _send(engine, host, directory, a, regulator.id, known[a.name], clock, force=force)
            for a in adapters
        )
    )
    updated, withdrawn = await asyncio.gather(updates, resend(engine, host, directory, left, clock))
    return [*updated, *withdrawn]


async def withdraw_outside_territory(
    engine: Engine,
    host: PluginHost,
    directory: AdapterDirectory,
    regulator_id: uuid.UUID,
    *,
    clock: Clock = utcnow,
) -> list[SyncReport]:
    """Withdraw at once (`active=false`, digest §7.4) the regulator's accounts at vendors not
    enabled in their territory: those of the territory they left. The new territory's are
    created at the next login (§7.1)."""
    try:
        regulator = read_regulator(engine, regulator_id)
    except RegulatorNotFoundError as exc:
        raise AccountStateError(str(exc)) from None
    adapters = directory.adapters_for(regulator.territory) if regulator.territory else []
    accounts = [KnownAccount.of(row) for row in read_account_rows(engine, regulator_id)]
    left = _reached(accounts, besides={a.name for a in adapters})
    return await resend(engine, host, directory, left, clock)


def _reached(
    accounts: Collection[KnownAccount], *, besides: Collection[str] = ()
) -> list[KnownAccount]:
    """The accounts that a vendor has or may have (a call went out), but at `besides`."""
    return [
        known
        for known in accounts
        if (known.vendor_key is not None or known.attempts > 0) and known.adapter not in besides
    ]


async def resend(
    engine: Engine,
    host: PluginHost,
    directory: AdapterDirectory,
    accounts: Sequence[KnownAccount],
    clock: Clock,
) -> list[SyncReport]:
    """Bring each of `accounts` up to date at its vendor, concurrently; an adapter no longer
    configured anywhere is reported `unknown-adapter`."""
    calls = []
    reports = []
    for known in accounts:
        adapter = directory.adapter_named(known.adapter)
        if adapter is None:
            reports.append(SyncReport(known.regulator_id, known.adapter, "unknown-adapter"))
        else:
            calls.append(_send(engine, host, directory, adapter, known.regulator_id, known, clock))
    return reports + list(await asyncio.gather(*calls))


async def deactivate_regulator(
    engine: Engine,
    host: PluginHost,
    directory: AdapterDirectory,
    regulator_id: uuid.UUID,
    *,
    clock: Clock = utcnow,
) -> list[SyncReport]:
    """Withdraw a regulator (digest §7.4): stored at once, then `active=false` sent by PUT to
    every adapter that has or may have the account, wherever it is configured now."""
    now = clock()
    with write_session(engine) as session:
        try:
            mark_inactive(session, regulator_id, now)
        except RegulatorNotFoundError as exc:
            raise AccountStateError(str(exc)) from None
        reached = _reached([KnownAccount.of(a) for a in account_rows(session, regulator_id)])
    return await resend(engine, host, directory, reached, clock)
