"""SAS Connect core: the public API that plugins import.

Plugins import from `sas_core` only (never from its submodules), so the core can move code
around without breaking them.
"""

from sas_core.accounts.models import AccountAction, AccountSync, AccountSyncResult, Regulator
from sas_core.appointments.models import Appointment, AppointmentEvent, AppointmentStatus
from sas_core.geography.models import GeocodeError, GeocodeResult, PlaceKind
from sas_core.hookspecs import hookimpl
from sas_core.identifiers import (
    IDNPS_SYSTEM,
    IDNST_SYSTEM,
    SAS_TECHNICAL_SYSTEM,
    IdentifierError,
    Idnps,
    IdnpsStr,
    Idnst,
    IdnstStr,
    parse_adeli,
    parse_finess,
    parse_idnps,
    parse_idnst,
    parse_rpps,
    parse_siret,
)
from sas_core.offer.models import Address, Place, Practitioner, Schedule, Structure, StructureKind
from sas_core.plugins.models import DEFAULT_TIMEOUT_S, AdapterConfig, PluginMetadata, UseCase
from sas_core.slots.models import (
    MAX_PRACTITIONERS_PER_QUERY,
    MAX_STRUCTURES_PER_QUERY,
    MAX_WINDOW,
    SLOT_STRUCTURE_KINDS,
    AdapterOutcome,
    AppointmentType,
    BundleIssue,
    Modality,
    SearchWindow,
    Slot,
    SlotBatch,
    SlotQuery,
    SlotType,
    SourceOutcome,
)
from sas_core.sso.models import DEFAULT_ORIGIN, NoBookingUrl, SsoRedirect, with_origin
from sas_core.sso.redirect import sso_redirect

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_ORIGIN",
    "DEFAULT_TIMEOUT_S",
    "IDNPS_SYSTEM",
    "IDNST_SYSTEM",
    "MAX_PRACTITIONERS_PER_QUERY",
    "MAX_STRUCTURES_PER_QUERY",
    "MAX_WINDOW",
    "SAS_TECHNICAL_SYSTEM",
    "SLOT_STRUCTURE_KINDS",
    "AccountAction",
    "AccountSync",
    "AccountSyncResult",
    "AdapterConfig",
    "AdapterOutcome",
    "Address",
    "Appointment",
    "AppointmentEvent",
    "AppointmentStatus",
    "AppointmentType",
    "BundleIssue",
    "GeocodeError",
    "GeocodeResult",
    "IdentifierError",
    "Idnps",
    "IdnpsStr",
    "Idnst",
    "IdnstStr",
    "Modality",
    "NoBookingUrl",
    "Place",
    "PlaceKind",
    "PluginMetadata",
    "Practitioner",
    "Regulator",
    "Schedule",
    "SearchWindow",
    "Slot",
    "SlotBatch",
    "SlotQuery",
    "SlotType",
    "SourceOutcome",
    "SsoRedirect",
    "Structure",
    "StructureKind",
    "UseCase",
    "hookimpl",
    "parse_adeli",
    "parse_finess",
    "parse_idnps",
    "parse_idnst",
    "parse_rpps",
    "parse_siret",
    "sso_redirect",
    "with_origin",
]
