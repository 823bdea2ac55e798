"""The health probe: a cheap, conformant search of every enabled adapter, so that a circuit is
tried again, and the health figures stay current, when no regulator is searching.

Per territory, one search for one practitioner (and one SOS association, for the adapters that
serve them) over the next hour, through the plugins' fetch hook and the territory's circuit
breaker exactly as a regulator's search goes: an adapter whose circuit is open is skipped
until its cool-down is over, then the probe makes its trial call. Nothing is stored.

It is a slot search, so it lives with the slots flow (the registry's health only keeps the
circuits it goes through): the registry never imports the fan-out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sas_core.plugins.host import PluginHost
from sas_core.registry.adapters_file import ServedDirectory
from sas_core.registry.circuit import CircuitBreaker
from sas_core.slots.fanout import fetch_slots
from sas_core.slots.models import AdapterOutcome, SearchWindow

__all__ = ["PROBE_WINDOW", "ServedDirectory", "probe_adapters"]

#: A probe asks for one hour: the cheapest window a vendor answers like any other.
PROBE_WINDOW = timedelta(hours=1)


async def probe_adapters(
    host: PluginHost,
    directory: ServedDirectory,
    breaker: CircuitBreaker,
    *,
    practitioner: str,
    structure: str,
    now: datetime,
) -> dict[str, list[AdapterOutcome]]:
    """Probe every adapter of every territory; each territory's outcomes, one per adapter."""
    window = SearchWindow(start=now, end=now + PROBE_WINDOW)
    outcomes: dict[str, list[AdapterOutcome]] = {}
    for territory in directory.served_territories():
        result = await fetch_slots(
            host,
            directory.adapters_for(territory),
            window,
            practitioners=[practitioner],
            structures=[structure],
            territory=territory,
            breaker=breaker,
        )
        outcomes[territory] = result.outcomes
    return outcomes
