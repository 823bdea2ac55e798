"""`GET /fhir/Slot` (INT_R01, and INT_R04 with the CPTS includes: digest §4, §5) and
`GET /fhir/Schedule` (SOS Médecins, §6): validated first (a bad request is a 400 whatever the
faults), then subject to the faults, then answered from the dataset."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency

from sas_core.clock import PARIS
from sas_simulator.bundles import schedule_search_bundle, slot_search_bundle
from sas_simulator.rest import fhir_response, negotiate
from sas_simulator.search import parse_schedule_search, parse_slot_search
from sas_simulator.vendor import SimulatedVendor


def _query_of(
    request: Request[Any, Any, Any], vendor: SimulatedVendor, resource: str
) -> tuple[str, str]:
    """The raw query string and the self link echoing it (the test kit compares them)."""
    query = request.scope["query_string"].decode("utf-8", errors="replace")
    return query, f"{vendor.root_of(request)}/fhir/{resource}" + (f"?{query}" if query else "")


class SearchController(Controller):
    path = "/fhir"

    @get("/Slot")
    async def search_slots(
        self, request: Request[Any, Any, Any], vendor: NamedDependency[SimulatedVendor]
    ) -> Response[Any]:
        negotiate(request)
        query, self_url = _query_of(request, vendor, "Slot")
        search = parse_slot_search(query)
        failed = await vendor.misbehave(request, self_url)
        if failed is not None:
            return failed
        root = vendor.root_of(request)
        bundle = slot_search_bundle(
            vendor.dataset,
            search.practitioners,
            search.start,
            search.end,
            base_url=f"{root}/fhir",
            self_url=self_url,
            agenda_base=root,
            not_before=datetime.now(PARIS),
            cpts=search.cpts,
        )
        return fhir_response(bundle)

    @get("/Schedule")
    async def search_schedules(
        self, request: Request[Any, Any, Any], vendor: NamedDependency[SimulatedVendor]
    ) -> Response[Any]:
        negotiate(request)
        query, self_url = _query_of(request, vendor, "Schedule")
        search = parse_schedule_search(query)
        failed = await vendor.misbehave(request, self_url)
        if failed is not None:
            return failed
        root = vendor.root_of(request)
        bundle = schedule_search_bundle(
            vendor.dataset,
            search.associations,
            search.start,
            search.end,
            base_url=f"{root}/fhir",
            self_url=self_url,
            agenda_base=root,
            not_before=datetime.now(PARIS),
        )
        return fhir_response(bundle)
