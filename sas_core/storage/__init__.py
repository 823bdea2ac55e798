"""Persistence of what the platform fetches, on SQLite (embedded default) or PostgreSQL."""

from sas_core.storage.appointments import AppointmentChange, OutboxMessage, StoredAppointment
from sas_core.storage.database import open_database
from sas_core.storage.engine import create_engine_for
from sas_core.storage.lrm import LrmDeliveryRow, LrmReceiptRow, LrmRegistrationRow
from sas_core.storage.schema import (
    SchemaNotCurrentError,
    current_revision,
    ensure_schema,
    head_revision,
    upgrade,
)
from sas_core.storage.slots import FetchRunSummary, fetch_runs, latest_slots, record_fetch

__all__ = [
    "AppointmentChange",
    "FetchRunSummary",
    "LrmDeliveryRow",
    "LrmReceiptRow",
    "LrmRegistrationRow",
    "OutboxMessage",
    "SchemaNotCurrentError",
    "StoredAppointment",
    "create_engine_for",
    "current_revision",
    "ensure_schema",
    "fetch_runs",
    "head_revision",
    "latest_slots",
    "open_database",
    "record_fetch",
    "upgrade",
]
