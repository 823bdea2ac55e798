"""The SAS Connect test kit: what a plugin's tests need to run against a simulated vendor.

Installed with the `sas-simulator` distribution. Its pytest plugin (`sas_testkit.plugin`, entry
point `pytest11`) gives every test session the fixtures `sas_dataset`, `sas_vendor` and
`sas_pki`; the modules hold the rest, imported by the tests that use them (this package imports
nothing, so pytest's start-up does not pay for the simulator):

- `sas_testkit.vendors`: a simulated vendor on a real socket, plain or requiring mutual TLS;
- `sas_testkit.pki`: the certificates for it (trustme);
- `sas_testkit.searches`: a search window, and calling a plugin as the fan-out does;
- `sas_testkit.cassettes`: vcrpy cassettes recorded from the simulator, scrubbed when saved;
- `sas_testkit.contract`: the transport contract a FHIR plugin runs against itself.

See docs/test-kit.md.
"""
