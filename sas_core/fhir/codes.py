"""Code systems, codes, profiles and extension URLs of the SAS slot flows.

Every URL is written exactly as the IG publishes it (digest §13, §14): the IG mixes
`http://sas.fr/...` and `https://interop.esante.gouv.fr/...` canonicals on purpose (§16.2), so none
of them may be "fixed" here.
"""

from __future__ import annotations

from typing import Final

from sas_core.identifiers import IDNPS_SYSTEM, IDNST_SYSTEM, SAS_TECHNICAL_SYSTEM
from sas_core.slots.models import AppointmentType, Modality, SlotType

__all__ = [
    "APPOINTMENT_TYPES",
    "BUNDLE_TYPE_SEARCHSET",
    "CPTS_CATEGORY_CODE",
    "CPTS_SLOT_TYPES",
    "FR_CORE_CS_V2_0203",
    "FR_LOCATION_IDENTIFIER_TYPE",
    "FR_PRACTITIONER_SPECIALTY_VS",
    "FR_V2_0203",
    "IDNPS_SYSTEM",
    "IDNPS_TYPE_CODE",
    "IDNST_SYSTEM",
    "IDNST_TYPE_CODE",
    "INTRN_TYPE_CODE",
    "JDV_J165_TYPE_CRENEAU_SAS",
    "MODALITIES",
    "PROFILE_BUNDLE_PS",
    "PROFILE_CPTS_BUNDLE",
    "PROFILE_CPTS_HEALTHCARE_SERVICE",
    "PROFILE_CPTS_ORGANIZATION",
    "PROFILE_CPTS_SLOT",
    "PROFILE_LOCATION",
    "PROFILE_PRACTITIONER",
    "PROFILE_PRACTITIONER_ROLE",
    "PROFILE_SCHEDULE",
    "PROFILE_SLOT",
    "PROFILE_SOS_BUNDLE",
    "PROFILE_SOS_LOCATION",
    "PROFILE_SOS_ORGANIZATION",
    "PROFILE_SOS_SCHEDULE",
    "PROFILE_SOS_SLOT",
    "PS_SLOT_TYPES",
    "SAS_TECHNICAL_SYSTEM",
    "SEARCH_PARAM_CPTS_SERVICE_TYPE",
    "SEARCH_PARAM_SLOT_START",
    "SLOT_SERVICE_TYPE_EXTENSION",
    "SLOT_STATUS_FREE",
    "SLOT_STATUS_SYSTEM",
    "SOS_SLOT_TYPES",
    "TRE_R38_SPECIALITE_ORDINALE",
    "TRE_R66_CATEGORIE_ETABLISSEMENT",
    "TRE_R314_TYPE_CRENEAU",
    "V2_0276",
    "V3_ACT_CODE",
    "V3_ACT_ENCOUNTER_CODE_VS",
]

# --- Code systems (digest §13) -------------------------------------------------------------------

#: Slot visibility types, carried in `Slot.meta.security`.
TRE_R314_TYPE_CRENEAU: Final = (
    "https://mos.esante.gouv.fr/NOS/TRE_R314-TypeCreneau/FHIR/TRE-R314-TypeCreneau"
)
#: The NOS value set FrSlotAgregateur binds `meta.security` to (PUBLIC, PRO, SNP).
JDV_J165_TYPE_CRENEAU_SAS: Final = (
    "https://mos.esante.gouv.fr/NOS/JDV_J165-TypeCreneau-SAS/FHIR/JDV-J165-TypeCreneau-SAS"
)
#: Consultation type (AMB/HH/VR) in `Slot.serviceType`.
V3_ACT_CODE: Final = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V3_ACT_ENCOUNTER_CODE_VS: Final = "http://terminology.hl7.org/ValueSet/v3-ActEncounterCode"
#: ROUTINE / WALKIN in `Slot.appointmentType`.
V2_0276: Final = "http://terminology.hl7.org/CodeSystem/v2-0276"
#: Identifier types IDNPS / IDNST / INTRN (FR Core 1.x).
FR_V2_0203: Final = "http://interopsante.org/fhir/CodeSystem/fr-v2-0203"
#: The FR Core 2.x URL the 1.2.0 CPTS Organization uses for IDNST (digest §3, §16.3).
FR_CORE_CS_V2_0203: Final = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
#: Location identifier types (INTRN, IDNST); also the SOS/1.1.0-CPTS Organization IDNST type.
FR_LOCATION_IDENTIFIER_TYPE: Final = (
    "http://interopsante.org/fhir/CodeSystem/fr-location-identifier-type"
)
#: Ordinal specialties (e.g. SM54 general medicine) in `Slot.specialty`.
TRE_R38_SPECIALITE_ORDINALE: Final = (
    "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"
)
FR_PRACTITIONER_SPECIALTY_VS: Final = (
    "http://interopsante.org/fhir/ValueSet/fr-practitioner-specialty"
)
#: Establishment categories; code 604 marks a CPTS `serviceType` entry (digest §5.3).
TRE_R66_CATEGORIE_ETABLISSEMENT: Final = "https://mos.esante.gouv.fr/NOS/TRE_R66-CategorieEtablissement/FHIR/TRE-R66-CategorieEtablissement"
CPTS_CATEGORY_CODE: Final = "604"
SLOT_STATUS_SYSTEM: Final = "http://hl7.org/fhir/slotstatus"
SLOT_STATUS_FREE: Final = "free"
BUNDLE_TYPE_SEARCHSET: Final = "searchset"

IDNPS_TYPE_CODE: Final = "IDNPS"
IDNST_TYPE_CODE: Final = "IDNST"
INTRN_TYPE_CODE: Final = "INTRN"

# --- Codes the platform processes ----------------------------------------------------------------

#: Digest §15.2: slot types each use case may carry. A practitioner search answers for both INT_R01
#: and INT_R04 (same request, §5), and §4.1 lists CPTS-visible slots among those to expose.
PS_SLOT_TYPES: Final = frozenset({SlotType.PUBLIC, SlotType.PRO, SlotType.SNP, SlotType.CPTS})
CPTS_SLOT_TYPES: Final = PS_SLOT_TYPES
SOS_SLOT_TYPES: Final = frozenset({SlotType.PUBLIC, SlotType.SNP})
#: Digest §15.2: the platform only processes AMB, HH and VR.
MODALITIES: Final = {m.value: m for m in Modality}
APPOINTMENT_TYPES: Final = {a.value: a for a in AppointmentType}

# --- Profiles (digest §14) -----------------------------------------------------------------------

PROFILE_BUNDLE_PS: Final = "http://sas.fr/fhir/StructureDefinition/BundleAgregateur"
PROFILE_SLOT: Final = "http://sas.fr/fhir/StructureDefinition/FrSlotAgregateur"
PROFILE_SCHEDULE: Final = "http://sas.fr/fhir/StructureDefinition/FrScheduleAgregateur"
PROFILE_PRACTITIONER: Final = "http://sas.fr/fhir/StructureDefinition/FrPractitionerAgregateur"
PROFILE_PRACTITIONER_ROLE: Final = (
    "http://sas.fr/fhir/StructureDefinition/FrPractitionerRoleExerciceAgregateur"
)
PROFILE_LOCATION: Final = "http://sas.fr/fhir/StructureDefinition/FrLocationAgregateur"

_SAS: Final = "https://interop.esante.gouv.fr/ig/fhir/sas"
PROFILE_CPTS_BUNDLE: Final = f"{_SAS}/StructureDefinition/sas-cpts-bundle-aggregator"
PROFILE_CPTS_SLOT: Final = f"{_SAS}/StructureDefinition/sas-cpts-slot-aggregator"
PROFILE_CPTS_HEALTHCARE_SERVICE: Final = (
    f"{_SAS}/StructureDefinition/sas-cpts-healthcareservice-aggregator"
)
PROFILE_CPTS_ORGANIZATION: Final = f"{_SAS}/StructureDefinition/sas-cpts-organization-aggregator"
PROFILE_SOS_BUNDLE: Final = f"{_SAS}/StructureDefinition/sas-sos-bundle-aggregator"
PROFILE_SOS_SLOT: Final = f"{_SAS}/StructureDefinition/sas-sos-slot-aggregator"
PROFILE_SOS_SCHEDULE: Final = f"{_SAS}/StructureDefinition/sas-sos-schedule-aggregator"
PROFILE_SOS_LOCATION: Final = f"{_SAS}/StructureDefinition/sas-sos-location-aggregator"
PROFILE_SOS_ORGANIZATION: Final = f"{_SAS}/StructureDefinition/sas-sos-organization-aggregator"

#: The R5-style extension linking a CPTS `Slot.serviceType` entry to its HealthcareService (§5.3).
SLOT_SERVICE_TYPE_EXTENSION: Final = (
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-Slot.serviceType"
)
SEARCH_PARAM_SLOT_START: Final = f"{_SAS}/SearchParameter/slot-sp-start"
SEARCH_PARAM_CPTS_SERVICE_TYPE: Final = f"{_SAS}/SearchParameter/cptsslot-sp-servicetype"
