"""`GET /fhir/metadata`: the CapabilityStatement of a PS-indiv, CPTS and SOS agenda server
(digest §1, §4.2, §5.1, §6.2).

One statement instantiating the three vendor CapabilityStatements, since one base URL serves the
three flows; resources only reachable through includes say so in `documentation`. It is data,
`capability_statement.json`, read once; only `date` (when the app was made) and
`implementation.url` (the base the client reached) are filled in.
"""

from __future__ import annotations

import functools
import importlib.resources
from typing import Any

import orjson
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency

from sas_simulator.rest import fhir_response, negotiate
from sas_simulator.vendor import SimulatedVendor


@functools.cache
def capability_statement_template() -> dict[str, Any]:
    """The statement as shipped, `date` and `implementation.url` null."""
    text = importlib.resources.files(__package__).joinpath("capability_statement.json")
    loaded: dict[str, Any] = orjson.loads(text.read_bytes())
    return loaded


def capability_statement(base_url: str, date: str) -> dict[str, Any]:
    """The statement of a simulator started at `date` and reached at `base_url`."""
    template = capability_statement_template()
    return {
        **template,
        "date": date,
        "implementation": {**template["implementation"], "url": base_url},
    }


class MetadataController(Controller):
    path = "/fhir/metadata"

    @get(sync_to_thread=False)
    def metadata(
        self, request: Request[Any, Any, Any], vendor: NamedDependency[SimulatedVendor]
    ) -> Response[bytes]:
        negotiate(request)
        return fhir_response(
            capability_statement(f"{vendor.root_of(request)}/fhir", vendor.started)
        )
