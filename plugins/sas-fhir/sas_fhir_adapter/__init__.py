"""SAS Connect adapter for vendors implementing the ANS SAS FHIR IG (INT_R01 slot search).

The plugin module is `sas_fhir_adapter.plugin` (entry point `sas-fhir`); settings are
`FhirAdapterSettings`.
"""

from sas_fhir_adapter.settings import FhirAdapterSettings

__all__ = ["FhirAdapterSettings"]
