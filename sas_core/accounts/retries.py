"""The retry queue of account calls: what the scheduler's `account-retries` job sends again.

The queue is the `regulator_accounts` table itself (`sas_core.storage.accounts`): a transient
failure leaves its row `retrying` with a backed-off `next_attempt_at` (`sas_core.accounts.sync`),
a process that died mid-call leaves it `pending` under a lease that runs out. So a restart loses
nothing, and several platform instances never send one account twice (each call claims its row).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.engine import Engine

from sas_core.accounts.regulators import Clock, utcnow
from sas_core.accounts.sync import KnownAccount, SyncReport, resend
from sas_core.plugins.host import PluginHost
from sas_core.registry.adapters_file import AdapterDirectory
from sas_core.storage.accounts import due_account_rows


async def retry_due(
    engine: Engine,
    host: PluginHost,
    directory: AdapterDirectory,
    *,
    regulator_ids: Sequence[uuid.UUID] | None = None,
    clock: Clock = utcnow,
) -> list[SyncReport]:
    """Send again every queued account whose `next_attempt_at` has come (the scheduler's
    `account-retries` job; `sas regulators sync` runs it too). The current regulator is sent,
    not the body that failed: a change made meanwhile goes out in the same call."""
    due = due_account_rows(engine, clock(), regulator_ids=regulator_ids)
    return await resend(engine, host, directory, [KnownAccount.of(row) for row in due], clock)
