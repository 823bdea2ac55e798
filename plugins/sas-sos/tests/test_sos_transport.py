"""The transport contract (test kit) kept by sas-sos: mutual TLS both ways, an HTTP error
named with its OperationOutcome, the deadline."""

from __future__ import annotations

from sas_core import SlotQuery
from sas_simulator.dataset import Dataset
from sas_testkit.contract import TransportContract
from sas_testkit.searches import window


class TestTransport(TransportContract):
    plugin = "sas-sos"

    def query(self, dataset: Dataset) -> SlotQuery:
        return SlotQuery(window=window(), structures=(dataset.sos[0].idnst,))
