"""Asking a plugin for slots the way the platform's fan-out does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sas_core import AdapterConfig, SearchWindow, SlotBatch, SlotQuery
from sas_core.plugins.host import PluginHost, resolve


def window(hours: int = 48) -> SearchWindow:
    """From now (whole seconds) to `hours` later."""
    now = datetime.now(UTC).replace(microsecond=0)
    return SearchWindow(start=now, end=now + timedelta(hours=hours))


async def fetch(host: PluginHost, adapter: AdapterConfig, query: SlotQuery) -> SlotBatch:
    """`sas_fetch_slots` on the plugin owning `adapter`, awaited, as the fan-out calls it."""
    [answer] = host.hooks.sas_fetch_slots(adapter, query)
    batch = await resolve(answer)
    assert isinstance(batch, SlotBatch)
    return batch
