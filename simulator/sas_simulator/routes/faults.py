"""`GET|PUT /_sim/faults`: read or replace the faults at run time (outside the FHIR base)."""

from __future__ import annotations

from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody

from sas_simulator.faults import Faults
from sas_simulator.vendor import SimulatedVendor


class FaultsController(Controller):
    path = "/_sim/faults"

    @get(sync_to_thread=False)
    def read_faults(self, vendor: NamedDependency[SimulatedVendor]) -> Faults:
        return vendor.faults.current

    @put(sync_to_thread=False)
    def replace_faults(
        self, vendor: NamedDependency[SimulatedVendor], data: JSONBody[Faults]
    ) -> Faults:
        vendor.faults.set(data)
        return data
