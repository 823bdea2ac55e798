"""The `sas-lrm` plugin: every appointment version, recorded for the SAMU's LRM (INT_L02).

The outbox tells `sas_appointment_reported` of each created or changed appointment, at least
once. The listener only records — one message per (appointment, version), the same version
recorded again changes nothing — and returns; the forwarder (`sas lrm forward`) publishes to Hub
Santé on its own schedule. So a broker that is down never holds the outbox back, and a message
that cannot be built (unknown regulator, a territory without a SAMU, a schema error) is recorded
`failed` with the reason, visible in `sas lrm status`, instead of being dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from sqlalchemy.engine import Engine

from sas_core import AppointmentEvent, PluginMetadata, hookimpl
from sas_core.appointments.forwarding import DeliveryStore
from sas_core.settings import load_settings
from sas_core.storage import open_database
from sas_core.storage.appointments import get_appointment
from sas_lrm.schemas import MessageSchemas
from sas_lrm.settings import LrmSettings
from sas_lrm.snapshots import snapshot


@hookimpl
def sas_plugin_metadata() -> PluginMetadata:
    return PluginMetadata(
        description=(
            "Forwards every appointment version to the SAMU's regulation software (LRM) through "
            "Hub Santé: RS-SAS-RDV in EDXL-DE, validated, over AMQP (INT_L02)."
        )
    )


@hookimpl
def sas_appointment_reported(event: AppointmentEvent) -> None:
    """Record the message of this version (idempotent: the outbox may call again)."""
    record_event(_engine(load_settings().effective_database_url), LrmSettings(), event)


def record_event(engine: Engine, settings: LrmSettings, event: AppointmentEvent) -> None:
    """Record `event`'s version for the LRM: its message, or why none can be sent."""
    appointment = event.appointment
    version = appointment.version
    if version is None:  # an event stored before appointments carried their version
        stored = get_appointment(engine, str(appointment.id))
        version = stored.version if stored is not None else 1
    now = datetime.now(UTC)
    found = snapshot(
        engine,
        settings,
        MessageSchemas(settings.hub_schemas),
        appointment,
        version=version,
        created=event.kind == "created",
        now=now,
    )
    DeliveryStore(engine).record(
        appointment.id,
        version,
        distribution_id=found.distribution_id,
        recipient=found.recipient,
        payload=found.payload,
        error=found.error,
    )


@cache
def _engine(url: str) -> Engine:
    """One engine per database for the process (the outbox calls the listener per event)."""
    return open_database(load_settings(database_url=url))
