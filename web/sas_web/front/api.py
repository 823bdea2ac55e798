"""The JSON API under `/api/v1` (OpenAPI at `/schema/openapi.json`) and `GET /health`.

Same roles as the pages (`opt["role"]`, the `authorised` guard), but an anonymous call is a
401, never a redirect. Read-only in phase 1: changes to the registry go through the admin pages
(CSRF-protected forms) or `sas registry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from litestar import Request, get
from litestar.exceptions import HTTPException
from litestar.params import FromQuery

from sas_core.geography.gazetteer import GazetteerMissing
from sas_core.geography.models import GeocodeError
from sas_core.search.models import SearchInputError
from sas_web.front.auth import current_user
from sas_web.front.pages import ADMIN, ANYONE, REGULATOR, services
from sas_web.front.places import place_suggestions

AnyRequest = Request[Any, Any, Any]


@dataclass(frozen=True)
class Health:
    """The probe's answer."""

    status: str
    version: str


@dataclass(frozen=True)
class Geocoded:
    """A place and the circle a search around it covers (`sas geocode --format json`)."""

    label: str
    kind: str
    departement: str
    lat: float
    lon: float
    territory: str | None
    radius_km: float
    note: str | None


@dataclass(frozen=True)
class StatusChange:
    at: str
    status: str


@dataclass(frozen=True)
class MyAppointment:
    id: str
    vendor: str
    start: str
    status: str
    history: list[StatusChange]


@dataclass(frozen=True)
class AdapterInTerritory:
    name: str
    state: str
    enabled: bool


@dataclass(frozen=True)
class Territory:
    code: str
    name: str
    adapters: list[AdapterInTerritory]


@dataclass(frozen=True)
class AdapterHealthLine:
    territory: str
    adapter: str
    enabled: bool
    state: str
    circuit: str
    calls: int
    errors: int
    p50_ms: float | None


@get("/health", opt=ANYONE, tags=["probes"])
async def health() -> Health:
    """For load balancers and probes: the process answers (anonymous)."""
    return Health("ok", "1")


@get("/api/v1/geocode", opt=REGULATOR, tags=["geography"])
async def api_geocode(request: AnyRequest, q: FromQuery[str]) -> Geocoded:
    """The place `q` (commune, postcode, address) and its search circle; 422 when not found."""
    front = services(request)
    try:
        place, area = await anyio.to_thread.run_sync(front.geocode, q[:200])
    except (GeocodeError, GazetteerMissing) as exc:
        raise HTTPException(status_code=422, detail=f"place not understood: {exc}") from None
    return Geocoded(
        place.label,
        str(place.kind),
        place.departement,
        place.lat,
        place.lon,
        area.territory,
        area.radius_km,
        place.note,
    )


@get("/api/v1/places", opt=REGULATOR, tags=["geography"])
async def api_places(q: FromQuery[str]) -> list[str]:
    """Place suggestions for what was typed so far (2 characters at least)."""
    return await anyio.to_thread.run_sync(lambda: place_suggestions().suggest(q[:100]))


@get("/api/v1/search", opt=REGULATOR, tags=["search"])
async def api_search(
    request: AnyRequest,
    lieu: FromQuery[str],
    specialite: FromQuery[str] = "",
    affichage: FromQuery[str] = "creneaux",
    graine: FromQuery[int | None] = None,
    lot: FromQuery[int] = 1,
) -> dict[str, Any]:
    """One lot of a search (lots of 25, from 1): the header of `sas search --format json`,
    `lot`, `more` and `results` (each card with its `status`); 422 when not understood."""
    front = services(request)
    try:
        _, area = await anyio.to_thread.run_sync(front.geocode, lieu[:200])
        running = await anyio.to_thread.run_sync(
            lambda: front.start_search(area, specialite.strip(), affichage, graine)
        )
    except (GeocodeError, GazetteerMissing, SearchInputError, ValueError) as exc:
        raise HTTPException(status_code=422, detail=f"search not understood: {exc}") from None
    cards, more = await front.cards_of_lot(running, max(lot, 1))
    return {
        **running.header.as_contract(),
        "lot": max(lot, 1),
        "more": more,
        "results": [c.as_contract() for c in cards],
    }


@get("/api/v1/appointments", opt=REGULATOR, tags=["appointments"])
async def api_appointments(request: AnyRequest) -> list[MyAppointment]:
    """The caller's appointments, as vendors reported them (INT_R03), with their history."""
    user = current_user(request)
    assert user is not None
    lines = await anyio.to_thread.run_sync(
        lambda: services(request).my_appointments(user.sub, user.national_id)
    )
    return [
        MyAppointment(
            a.id, a.vendor, a.start, a.status, [StatusChange(h.at, h.status) for h in a.history]
        )
        for a in lines
    ]


@get("/api/v1/registry", opt=ADMIN, tags=["registry"])
async def api_registry(request: AnyRequest) -> list[Territory]:
    """Every territory with its adapters (enabled or not) and their state."""
    views = await anyio.to_thread.run_sync(services(request).territories)
    return [
        Territory(
            v.code,
            v.name,
            [AdapterInTerritory(a.adapter, str(a.state), a.enabled) for a in v.adapters],
        )
        for v in views
    ]


@get("/api/v1/registry/health", opt=ADMIN, tags=["registry"])
async def api_registry_health(request: AnyRequest) -> list[AdapterHealthLine]:
    """Each (territory, adapter): state, circuit, calls and errors in the window, p50 latency."""
    lines = await anyio.to_thread.run_sync(services(request).adapter_lines)
    return [
        AdapterHealthLine(
            x.territory, x.adapter, x.enabled, x.state, x.circuit, x.calls, x.errors, x.p50_ms
        )
        for x in lines
    ]


API_HANDLERS = [
    health,
    api_geocode,
    api_places,
    api_search,
    api_appointments,
    api_registry,
    api_registry_health,
]
