"""The vendor's web pages a regulator reaches from the platform (digest §8): a practitioner's
agenda `GET /agenda/{id}` behind the vendor's SSO (`GET /callback`, `sas_simulator.sso`), booking
`POST /agenda/{id}/book` reported to the platform (INT_R03, `sas_simulator.booking`) and
`GET /_sim/bookings`, what was booked; an SOS site's agenda `GET /site/{id}`."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from sas_core.clock import PARIS
from sas_core.sso.relying_party import LoginFailed
from sas_simulator import pages
from sas_simulator.booking import Booking, appointment_resource, new_appointment_id, report
from sas_simulator.rest import FhirError
from sas_simulator.sso import CALLBACK_PATH, LOGIN_COOKIE, SESSION_COOKIE
from sas_simulator.vendor import SimulatedVendor


class AgendaController(Controller):
    @get("/agenda/{practitioner_id:str}")
    async def agenda(
        self,
        request: Request[Any, Any, Any],
        vendor: NamedDependency[SimulatedVendor],
        practitioner_id: FromPath[str],
        place: FromQuery[str | None] = None,
        origin: FromQuery[str | None] = None,
        slot: FromQuery[str | None] = None,
    ) -> Response[str]:
        """Test-kit scenarios (digest §8.2): no `origin` → refused; `origin` and no session →
        the platform's realm; a session → the booking page."""
        practitioner = vendor.dataset.by_id(practitioner_id)
        if practitioner is None:
            raise FhirError(404, "not-found", f"no practitioner {practitioner_id!r}")
        if not origin:
            return pages.refused_without_origin()
        sso = vendor.sso
        user = sso.user(request.cookies.get(SESSION_COOKIE)) if sso else None
        if user is None:
            if sso is None:
                return pages.sso_not_configured()
            return await _to_the_realm(request, vendor)
        booked = vendor.booked_slots()
        free = [
            s
            for schedule in vendor.dataset.schedules_of(practitioner)
            if place is None or schedule.place.id == place
            for s in schedule.free_slots
            if s.id not in booked and (slot is None or s.id == slot)
        ]
        return pages.booking_page(practitioner, place, origin, user, free)

    @get(CALLBACK_PATH)
    async def callback(
        self, request: Request[Any, Any, Any], vendor: NamedDependency[SimulatedVendor]
    ) -> Response[str]:
        if vendor.sso is None:
            return pages.sso_not_configured()
        params = {k: str(v) for k, v in request.query_params.items()}
        try:
            session_id, return_to = await vendor.sso.finish(
                vendor.root_of(request), params, request.cookies.get(LOGIN_COOKIE)
            )
        except LoginFailed as exc:
            return pages.login_failed(str(exc), 401)
        return Response(
            "",
            status_code=302,
            headers={"Location": return_to},
            cookies=[
                _cookie(request, SESSION_COOKIE, session_id),
                Cookie(key=LOGIN_COOKIE, value="", path="/", max_age=0),
            ],
        )

    @post("/agenda/{practitioner_id:str}/book", status_code=200)
    async def book(
        self,
        request: Request[Any, Any, Any],
        vendor: NamedDependency[SimulatedVendor],
        practitioner_id: FromPath[str],
    ) -> Response[str]:
        """Book a free slot and report it to the platform (INT_R03)."""
        practitioner = vendor.dataset.by_id(practitioner_id)
        if practitioner is None:
            raise FhirError(404, "not-found", f"no practitioner {practitioner_id!r}")
        form = await request.form()
        user = vendor.sso.user(request.cookies.get(SESSION_COOKIE)) if vendor.sso else None
        if user is None or not form.get("origin"):
            return pages.refused_without_origin()
        slot_id = str(form.get("slot", ""))
        found = [
            s
            for schedule in vendor.dataset.schedules_of(practitioner)
            for s in schedule.free_slots
            if s.id == slot_id
        ]
        if not found or slot_id in vendor.booked_slots():
            return pages.login_failed(f"le créneau {slot_id} n'est pas libre", 409)
        appointment_id = new_appointment_id()
        resource = appointment_resource(
            appointment_id, found[0], practitioner, user, datetime.now(PARIS)
        )
        reporting = vendor.reporting
        status, location, body = (
            await report(reporting, resource) if reporting else (None, None, "")
        )
        booking = Booking(
            appointment_id, slot_id, practitioner.id, resource, status, location, body
        )
        vendor.bookings[appointment_id] = booking
        return pages.booked_page(practitioner, booking)

    @get("/_sim/bookings", sync_to_thread=False)
    def read_bookings(self, vendor: NamedDependency[SimulatedVendor]) -> list[dict[str, Any]]:
        return [
            {
                "id": b.id,
                "slot": b.slot_id,
                "practitioner": b.practitioner_id,
                "resource": b.resource,
                "report_status": b.report_status,
                "report_location": b.report_location,
            }
            for b in vendor.bookings.values()
        ]

    @get("/site/{site_id:str}")
    async def site_agenda(
        self,
        request: Request[Any, Any, Any],
        vendor: NamedDependency[SimulatedVendor],
        site_id: FromPath[str],
        slot: FromQuery[str | None] = None,
        origin: FromQuery[str | None] = None,
    ) -> Response[str]:
        """An SOS site's agenda page: the booking URL of its slots; refused without `origin`,
        and behind the platform's login when the simulator has one, as a practitioner's agenda
        is (digest §8.2, test-kit scenarios 1 and 2)."""
        found = [(a, s) for a in vendor.dataset.sos for s in a.sites if s.id == site_id]
        if not found:
            raise FhirError(404, "not-found", f"no SOS site {site_id!r}")
        if not origin:
            return pages.refused_without_origin()
        sso = vendor.sso
        if sso is not None and sso.user(request.cookies.get(SESSION_COOKIE)) is None:
            return await _to_the_realm(request, vendor)
        [(association, site)] = found
        title = html.escape(f"{association.name} — {site.name}")
        body = (
            f"<!doctype html><html lang='fr'><meta charset='utf-8'><title>{title}</title>"
            f"<h1>Agenda : {title}</h1>"
            f"<p>Lieu : {html.escape(f'{site.line}, {site.postal_code} {site.city}')}</p>"
            f"<p>Créneau : {html.escape(slot or 'aucun')}</p>"
            f"<p>Origine : {html.escape(origin)}</p></html>"
        )
        return Response(body, media_type="text/html; charset=utf-8")


async def _to_the_realm(request: Request[Any, Any, Any], vendor: SimulatedVendor) -> Response[str]:
    """Send a visitor without a vendor session to the platform's realm, back here afterwards."""
    assert vendor.sso is not None
    return_to = request.url.path + "?" + request.scope["query_string"].decode()
    try:
        url, state = await vendor.sso.begin(vendor.root_of(request), return_to)
    except LoginFailed as exc:
        return pages.login_failed(str(exc), 502)
    return Response(
        "",
        status_code=302,
        headers={"Location": url},
        cookies=[_cookie(request, LOGIN_COOKIE, state)],
    )


def _cookie(request: Request[Any, Any, Any], key: str, value: str) -> Cookie:
    return Cookie(
        key=key,
        value=value,
        path="/",
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="lax",
    )
