"""SAS Connect adapter for CPTS slot aggregation (INT_R04) over the ANS SAS FHIR IG.

The plugin module is `sas_cpts_adapter.plugin` (entry point `sas-cpts`); its settings schema is
the core's `sas_core.fhir.FhirEndpointSettings`.
"""
