"""Example adapter for a vendor that does not speak the SAS FHIR profiles ("Agendo", a
fictitious agenda whose API is proprietary JSON): the same hooks as a FHIR vendor, its own HTTP
client and mapping. The plugin module is `sas_example_json.plugin` (entry point
`sas-example-json`)."""
