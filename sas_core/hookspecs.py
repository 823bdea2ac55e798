"""Hook specifications: what an adapter plugin can implement.

This module is the vendor's manual. A plugin is a module (or object) exposing functions decorated
with :data:`sas_core.hookimpl` whose names are the hooks below, and is declared in its
distribution under the entry-point group ``sas_connect.plugins``::

    [project.entry-points."sas_connect.plugins"]
    my-vendor = "my_vendor_adapter.plugin"

Conventions that hold for every hook:

- Arguments are domain models from :mod:`sas_core`, never raw FHIR dicts. A plugin may accept any
  subset of the arguments, by name (pluggy passes only those the implementation asks for), so new
  arguments can be added later without breaking existing plugins.
- A hook that does I/O may be written ``async def``: the platform awaits what it returns.
- The platform calls the flow hooks (slots, accounts) and ``sas_adapter_closed`` *only on the
  plugin that owns the adapter instance* named by ``adapter.plugin``, which is the plugin's
  entry-point name; a plugin never has to check whether a call is for it.
- An exception raised by a flow hook becomes that adapter's error outcome, named by its message;
  it never disturbs other adapters. Prefer returning a result with an error outcome when some
  data is still usable.

The hooks come in the order of the regulator's path: the searched place, slots, accounts, SSO,
appointments, then plugin metadata and lifecycle.
"""

from __future__ import annotations

from collections.abc import Awaitable

import pluggy

from sas_core.accounts.models import AccountSync, AccountSyncResult, Regulator
from sas_core.appointments.models import AppointmentEvent
from sas_core.geography.models import GeocodeResult
from sas_core.plugins.models import AdapterConfig, PluginMetadata
from sas_core.slots.models import Slot, SlotBatch, SlotQuery
from sas_core.sso.models import SsoRedirect

#: The pluggy project name; markers below are bound to it.
PROJECT = "sas"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -------------------------------------------------------------------------------------------------
# The searched place (geocoding)
# -------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def sas_geocode(query: str) -> GeocodeResult | None:
    """Locate the place a regulator typed: an address, a commune, a postcode or a département.

    Called once per search (and by ``sas geocode``), before practitioners are looked up; the
    platform then derives the SAS territory and the search radius from ``departement`` and
    ``kind`` (digest §2.3). ``firstresult``: the first implementation returning something other
    than ``None`` wins. The platform's own (registered last) answers from the offline gazetteer
    built from open data, at the commune's centre; an online geocoder (the Base Adresse
    Nationale API, for street-level precision) is a plugin that answers before it. Write it as a
    plain ``def``: the first result must be an answer, not a coroutine.

    :param query: the place as typed, e.g. ``"12 rue de la Paix, 75002 Paris"``, ``"Bobigny"``,
        ``"75015 Paris"``, ``"93"``.
    :return: a :class:`~sas_core.GeocodeResult`: the point (WGS84), the ``kind`` of place, its
        département code and a label. Return ``None`` when the plugin cannot answer (unknown
        place, service unreachable) so that the next implementation, at worst the gazetteer,
        does. Raise :class:`~sas_core.GeocodeError` only to stop with a message for the regulator
        (a name several places bear); the gazetteer does so when nothing answers.

    Example::

        @hookimpl
        def sas_geocode(query):
            try:
                feature = ban_client.search(query, limit=1)
            except httpx.HTTPError:
                return None
            if feature is None or feature.score < 0.6:
                return None
            return GeocodeResult(lat=feature.lat, lon=feature.lon, kind=feature.kind,
                                 departement=feature.departement, label=feature.label,
                                 insee=feature.citycode, postcode=feature.postcode, source="ban")
    """


# -------------------------------------------------------------------------------------------------
# Slots (INT_R01 individual practitioners, INT_R04 CPTS, SOS Médecins)
# -------------------------------------------------------------------------------------------------


@hookspec
def sas_fetch_slots(
    adapter: AdapterConfig, query: SlotQuery
) -> SlotBatch | Awaitable[SlotBatch] | None:
    """Fetch the free slots of one lot of practitioners or structures from a source.

    Called during a search (and by ``sas slots fetch`` and ``sas demo``) once per lot: the
    platform splits the practitioners it wants into lots of at most 25 (structures: 10) and calls
    this hook for every lot concurrently, on the plugin that owns ``adapter``. Lots follow the
    plugin's declared use cases: ``sos-medecins`` plugins get structure lots, ``ps-individual`` and
    ``cpts`` plugins practitioner lots (a plugin declaring none gets both). The platform cuts
    the call at ``adapter.timeout_s`` (7 s by default, digest §4.1) and ignores a late answer.

    :param adapter: the configured instance to call; ``adapter.settings`` is an instance of the
        plugin's ``settings_schema`` (base URL, certificates, ...).
    :param query: the window in which slots must start, and either ``query.practitioners``
        (prefixed IDNPS, 1 to 25) or ``query.structures`` (prefixed IDNST, 1 to 10).
    :return: a :class:`~sas_core.SlotBatch`: every valid slot, each with ``adapter=adapter.name``,
        and a :class:`~sas_core.SourceOutcome` saying how the request went. Resources that break
        the IG are reported in ``outcome.issues`` with the reason; slots that are still usable are
        kept. Return ``None`` only if the plugin does not fetch slots at all.

    All implementations owning the adapter are called; in practice there is one.

    Example::

        @hookimpl
        async def sas_fetch_slots(adapter, query):
            answer = await my_api.free_slots(adapter.settings.base_url, query.practitioners,
                                             query.window.start, query.window.end)
            return SlotBatch(slots=[to_slot(a, adapter.name) for a in answer],
                             outcome=SourceOutcome(status="ok", slot_count=len(answer)))
    """


# -------------------------------------------------------------------------------------------------
# Regulator accounts (INT_R02)
# -------------------------------------------------------------------------------------------------


@hookspec
def sas_sync_regulator_account(
    adapter: AdapterConfig, sync: AccountSync
) -> AccountSyncResult | Awaitable[AccountSyncResult] | None:
    """Create, update or deactivate a regulator's account in a vendor's software.

    Called when a regulator logs in to the platform and their account differs from what the vendor
    was last sent (create or update), and at once when a regulator is withdrawn (deactivate), for
    every adapter enabled in the regulator's territory — on the plugin that owns ``adapter``.

    :param adapter: the vendor to update.
    :param sync: the action, the regulator as the platform knows them now, and ``sync.match``,
        the identifier (``system|value``) the vendor knows the account by (for the conditional
        ``PUT [base]/Practitioner?identifier=``), which differs from the regulator's new
        identifier when the account is re-keyed.
    :return: an :class:`~sas_core.AccountSyncResult`. ``status="retry"`` asks the platform to try
        again later with backoff (network failure, 5xx, 429); ``"rejected"`` is final.

    Example::

        @hookimpl
        async def sas_sync_regulator_account(adapter, sync):
            response = await client.put_practitioner(sync.match, to_fhir(sync.regulator))
            return AccountSyncResult(status="updated", http_status=response.status_code)
    """


# -------------------------------------------------------------------------------------------------
# SSO redirect to the vendor's booking page
# -------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def sas_sso_redirect(
    adapter: AdapterConfig, regulator: Regulator, slot: Slot, origin: str
) -> SsoRedirect | None:
    """Build the URL that takes a regulator to the vendor's page to book ``slot``.

    Called when a regulator picks a slot. ``firstresult``: the first implementation that returns
    something other than ``None`` wins. The platform's own default (registered last) appends
    ``origin`` to ``slot.booking_url`` (digest §8.1); a vendor overrides it only when its software
    needs something else (a signed parameter, a different path).

    :param adapter: the adapter that returned the slot.
    :param regulator: the regulator who will book.
    :param slot: the chosen slot; ``slot.booking_url`` is the vendor's ``Slot.comment``.
    :param origin: the value of the ``origin`` parameter for this environment (``sas``,
        ``sas-preprod``).
    :return: an :class:`~sas_core.SsoRedirect`, or ``None`` to let the next implementation
        answer.

    Example::

        @hookimpl
        def sas_sso_redirect(adapter, slot, origin):
            if adapter.plugin != "my-vendor":
                return None
            return SsoRedirect(url=f"{slot.booking_url}#origin={origin}", adapter=adapter.name)
    """


# -------------------------------------------------------------------------------------------------
# Appointments reported by vendors (INT_R03)
# -------------------------------------------------------------------------------------------------


@hookspec
def sas_appointment_reported(event: AppointmentEvent) -> Awaitable[None] | None:
    """Be told that an appointment was created or changed by a vendor.

    Called for every listener (the LRM forwarder, statistics, ...) after the appointment has been
    stored, from the platform's durable outbox: a listener that raises is called again later with
    the same event, so implementations must be idempotent (key on ``event.appointment.id`` and
    status). Listeners are called in no particular order.

    :param event: ``created`` or ``updated``, the appointment as stored, and the previous status.
    :return: nothing; the return value is ignored.

    Example::

        @hookimpl
        async def sas_appointment_reported(event):
            await hub.publish(to_rs_sas_rdv(event.appointment), key=str(event.appointment.id))
    """


# -------------------------------------------------------------------------------------------------
# Plugin metadata and lifecycle
# -------------------------------------------------------------------------------------------------


@hookspec
def sas_plugin_metadata() -> PluginMetadata:
    """Describe the plugin: the use cases it serves and its settings schema.

    Called once when the plugin is loaded, on that plugin only. A plugin whose metadata is
    missing or invalid is reported (``sas plugins list`` shows the error) and not used.

    :return: a :class:`~sas_core.PluginMetadata`. ``name`` may be left ``None``: the plugin is
        named by its entry point (a name given must be that one). ``version`` may be left
        ``None``: the distribution's version is used.

    Example::

        @hookimpl
        def sas_plugin_metadata():
            return PluginMetadata(use_cases=(UseCase.PS_INDIVIDUAL,),
                                  settings_schema=MyVendorSettings)
    """


@hookspec
def sas_adapter_closed(adapter: AdapterConfig) -> Awaitable[None] | None:
    """Release what the plugin holds for ``adapter`` (pooled connections, files).

    Called when the platform stops using an adapter instance: at the end of a CLI command, at
    server shutdown, when an adapter's settings change; on the plugin that owns ``adapter``
    only.

    :param adapter: the instance being closed.

    Example::

        @hookimpl
        async def sas_adapter_closed(adapter):
            client = _clients.pop(adapter.name, None)
            if client is not None:
                await client.aclose()
    """
