"""SAS Connect adapter for SOS Médecins slot aggregation over the ANS SAS FHIR IG (digest §6).

The plugin module is `sas_sos_adapter.plugin` (entry point `sas-sos`); its settings schema is
the core's `sas_core.fhir.FhirEndpointSettings`.
"""
