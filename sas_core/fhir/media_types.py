"""The media type of FHIR R4 JSON, for every side of the platform that speaks it."""

from __future__ import annotations

from typing import Final

#: Digest §2: the CapabilityStatements declare `application/fhir+json`. What the platform asks
#: vendors for and sends them (`exchange`), what its FHIR endpoint answers (`sas_web`) and what
#: the simulator answers.
FHIR_JSON: Final = "application/fhir+json"
