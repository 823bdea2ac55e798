"""FHIR R4 mapping of the SAS slot flows: codes, instants, search parameters and bundle reading;
and of regulator accounts (:func:`practitioner_regul`, INT_R02).

The HTTP adapters build their requests with :func:`slot_search_params` (INT_R01; INT_R04 with
:data:`CPTS_INCLUDES`) or :func:`schedule_search_params` (SOS Médecins) and read the answers with
:func:`parse_slot_bundle`, passing their flow's :class:`StructureReader` (:data:`CPTS_READER`,
:data:`SOS_READER`) when their slots are offered through structures. The per-resource functions
are public so that other flows (and the simulator's checks) map single resources the same way.

Vendor plugins search through :class:`FhirExchange` (pool, mTLS, deadline, body cap, 429, error
messages) with their own :class:`FhirEndpointSettings` schema, rather than writing their own HTTP.
"""

from sas_core.clock import PARIS
from sas_core.fhir.accounts import (
    PROFILE_PRACTITIONER_REGUL,
    account_identifier,
    account_token,
    practitioner_regul,
)
from sas_core.fhir.bundles import BundleError, dropped_slot_count, parse_slot_bundle
from sas_core.fhir.clients import ClientPool, TransportFactory
from sas_core.fhir.cpts import CPTS_INCLUDES, CPTS_READER, cpts_service_references
from sas_core.fhir.endpoint import VENDOR_ANSWER_MAX_BYTES, FhirEndpointSettings, user_agent_of
from sas_core.fhir.exchange import BundleParser, FhirExchange, WriteResult
from sas_core.fhir.failures import (
    DIAGNOSTICS_MAX_CHARS,
    FetchFailure,
    describe_status,
    describe_transport_error,
    operation_outcome_diagnostics,
    retry_after_seconds,
)
from sas_core.fhir.instants import format_instant, parse_instant, parse_search_date
from sas_core.fhir.references import ResourceIndex
from sas_core.fhir.resources import (
    RoleDetails,
    cpts_from_organization,
    healthcare_service_provider,
    phone_of,
    place_from_location,
    practitioner_from_resource,
    practitioner_role_details,
    schedule_actor_references,
    structure_from_identifier,
    structure_from_organization,
)
from sas_core.fhir.search import PS_INCLUDES, slot_search_params
from sas_core.fhir.slot_elements import (
    appointment_type_of,
    booking_url_of,
    modalities_of,
    reasons_of,
    service_types_of,
    slot_types_of,
    specialties_of,
)
from sas_core.fhir.sos import SOS_INCLUDES, SOS_READER, schedule_search_params
from sas_core.fhir.structures import BundleStructures, Report, Site, StructureReader
from sas_core.fhir.tls import TlsConfigError, build_ssl_context, describe_tls_error

__all__ = [
    "CPTS_INCLUDES",
    "CPTS_READER",
    "DIAGNOSTICS_MAX_CHARS",
    "PARIS",
    "PROFILE_PRACTITIONER_REGUL",
    "PS_INCLUDES",
    "SOS_INCLUDES",
    "SOS_READER",
    "VENDOR_ANSWER_MAX_BYTES",
    "BundleError",
    "BundleParser",
    "BundleStructures",
    "ClientPool",
    "FetchFailure",
    "FhirEndpointSettings",
    "FhirExchange",
    "Report",
    "ResourceIndex",
    "RoleDetails",
    "Site",
    "StructureReader",
    "TlsConfigError",
    "TransportFactory",
    "WriteResult",
    "account_identifier",
    "account_token",
    "appointment_type_of",
    "booking_url_of",
    "build_ssl_context",
    "cpts_from_organization",
    "cpts_service_references",
    "describe_status",
    "describe_tls_error",
    "describe_transport_error",
    "dropped_slot_count",
    "format_instant",
    "healthcare_service_provider",
    "modalities_of",
    "operation_outcome_diagnostics",
    "parse_instant",
    "parse_search_date",
    "parse_slot_bundle",
    "phone_of",
    "place_from_location",
    "practitioner_from_resource",
    "practitioner_regul",
    "practitioner_role_details",
    "reasons_of",
    "retry_after_seconds",
    "schedule_actor_references",
    "schedule_search_params",
    "service_types_of",
    "slot_search_params",
    "slot_types_of",
    "specialties_of",
    "structure_from_identifier",
    "structure_from_organization",
    "user_agent_of",
]
