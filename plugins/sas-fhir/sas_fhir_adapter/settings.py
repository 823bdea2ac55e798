"""The sas-fhir settings: the core's FHIR endpoint schema, naming this plugin to vendors."""

from __future__ import annotations

from pydantic import Field

from sas_core.fhir import FhirEndpointSettings, user_agent_of


class FhirAdapterSettings(FhirEndpointSettings):
    """How to reach one vendor that implements the ANS SAS FHIR IG; vendors see
    `sas-connect-fhir/<release>` as the User-Agent, as before the HTTP code moved to the core."""

    user_agent: str = Field(
        default_factory=lambda: user_agent_of("sas-plugin-fhir", "sas-connect-fhir"), min_length=1
    )
