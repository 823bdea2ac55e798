"""A slot search by territory: every adapter the registry calls there, with its registry settings.

Only adapters enabled in the territory and in `connected-test` or `production` are asked, and
among them only those whose plugin serves what the search names (practitioners or SOS
associations, as `fanout.lots_for` routes lots). An adapter whose secrets cannot be resolved now
is reported as an error outcome of its own; the others still run.
"""

from __future__ import annotations

from collections.abc import Sequence

from sas_core.plugins.host import PluginError, PluginHost
from sas_core.registry.circuit import CircuitBreaker
from sas_core.registry.directory import LiveAdapter, RegistryDirectory
from sas_core.slots.fanout import (
    AdapterRequest,
    AggregatedSlots,
    ProgressCallback,
    collect_slots,
    takes_part,
)
from sas_core.slots.models import AdapterOutcome, SearchWindow


class NoAdapterError(LookupError):
    """No adapter of the territory is called for this search; the message says which rule."""


async def collect_territory_slots(
    host: PluginHost,
    directory: RegistryDirectory,
    territory: str,
    window: SearchWindow,
    *,
    practitioners: Sequence[str] = (),
    structures: Sequence[str] = (),
    timeout_s: float | None = None,
    on_progress: ProgressCallback | None = None,
    breaker: CircuitBreaker | None = None,
) -> AggregatedSlots:
    """Fan the search out to `territory`'s live adapters (`timeout_s` overrides their own),
    through `breaker`'s circuits of the territory when one is given (see `fanout.fetch_slots`:
    an open circuit is skipped without a request, its outcome `skipped`)."""
    live = directory.live(territory)
    asked = [a for a in live if _asked(host, a, bool(practitioners), bool(structures))]
    if not asked:
        wanted = "practitioners" if practitioners else "SOS Médecins associations"
        raise NoAdapterError(
            f"no adapter to ask in {territory}: none is enabled there in connected-test or "
            f"production with a plugin that searches {wanted} "
            f"(see `sas registry show {territory}`)"
        )
    requests = [
        AdapterRequest(a.plugin, a.settings, name=a.name, timeout_s=timeout_s or a.timeout_s)
        for a in asked
        if a.settings is not None
    ]
    result = await collect_slots(
        host,
        requests,
        window,
        practitioners=practitioners,
        structures=structures,
        on_progress=on_progress,
        territory=territory,
        breaker=breaker,
    )
    for adapter in asked:
        if adapter.error is not None:
            result.outcomes.append(
                AdapterOutcome(
                    adapter=adapter.name,
                    status="error",
                    error=adapter.error,
                    duration_ms=0.0,
                    requests=0,
                    slot_count=0,
                )
            )
            result.plugins[adapter.name] = adapter.plugin
    return result


def _asked(host: PluginHost, adapter: LiveAdapter, practitioners: bool, structures: bool) -> bool:
    try:
        return takes_part(host, adapter.plugin, practitioners=practitioners, structures=structures)
    except PluginError:
        return True  # its outcome will say the plugin is missing
