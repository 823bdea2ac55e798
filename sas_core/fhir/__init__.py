"""FHIR R4 mapping of the SAS slot flows: codes, instants, search parameters and bundle reading.

The HTTP adapter builds its requests with :func:`slot_search_params` and reads the answers with
:func:`parse_slot_bundle`; the per-resource functions are public so that other flows (CPTS, SOS,
the simulator's checks) map single resources the same way.
"""

from sas_core.fhir.bundles import BundleError, parse_slot_bundle
from sas_core.fhir.instants import PARIS, format_instant, parse_instant, parse_search_date
from sas_core.fhir.references import ResourceIndex
from sas_core.fhir.resources import (
    RoleDetails,
    healthcare_service_provider,
    phone_of,
    place_from_location,
    practitioner_from_resource,
    practitioner_role_details,
    schedule_actor_references,
    structure_from_identifier,
    structure_from_organization,
)
from sas_core.fhir.search import CPTS_INCLUDES, PS_INCLUDES, slot_search_params
from sas_core.fhir.slot_elements import (
    appointment_type_of,
    booking_url_of,
    modalities_of,
    reasons_of,
    service_types_of,
    slot_types_of,
    specialties_of,
)

__all__ = [
    "CPTS_INCLUDES",
    "PARIS",
    "PS_INCLUDES",
    "BundleError",
    "ResourceIndex",
    "RoleDetails",
    "appointment_type_of",
    "booking_url_of",
    "format_instant",
    "healthcare_service_provider",
    "modalities_of",
    "parse_instant",
    "parse_search_date",
    "parse_slot_bundle",
    "phone_of",
    "place_from_location",
    "practitioner_from_resource",
    "practitioner_role_details",
    "reasons_of",
    "schedule_actor_references",
    "service_types_of",
    "slot_search_params",
    "slot_types_of",
    "specialties_of",
    "structure_from_identifier",
    "structure_from_organization",
]
