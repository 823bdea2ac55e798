"""The simulated vendor's HTML pages (agenda, booking, refusals); French, as a vendor's are."""

from __future__ import annotations

from html import escape

from litestar import Response

from sas_simulator.booking import Booking
from sas_simulator.bundles import fhir_instant
from sas_simulator.dataset import SimPractitioner, SimSlot
from sas_simulator.sso import VendorUser


def page(title: str, body: str, status: int = 200) -> Response[str]:
    return Response(
        f"<!doctype html><html lang='fr'><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<h1>{escape(title)}</h1>{body}</html>",
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )


def refused_without_origin() -> Response[str]:
    """Test-kit scenario 1: without `origin`, the regulator path is not open."""
    return page(
        "Accès refusé",
        "<p>Le parcours régulateur SAS exige le paramètre <code>origin</code> : ouvrez ce lien "
        "depuis la plateforme SAS (the SAS regulator path needs the <code>origin</code> "
        "parameter).</p>",
        403,
    )


def sso_not_configured() -> Response[str]:
    return page(
        "Connexion SAS non configurée",
        "<p>Ce simulateur ne connaît pas le fournisseur d'identité du SAS : lancez-le avec "
        "<code>--platform-issuer URL --client-id ID [--client-secret S]</code>.</p>",
        503,
    )


def login_failed(reason: str, status: int) -> Response[str]:
    return page("Échec", f"<p>{escape(reason)}</p>", status)


def booking_page(
    practitioner: SimPractitioner,
    place: str | None,
    origin: str,
    user: VendorUser,
    free: list[SimSlot],
) -> Response[str]:
    title = f"Agenda de Dr {practitioner.given} {practitioner.family}"
    names = {p.id: f"{p.name}, {p.line}, {p.postal_code} {p.city}" for p in practitioner.places}
    options = "".join(
        f"<li><label><input type='radio' name='slot' value='{escape(s.id, quote=True)}' required>"
        f" {escape(fhir_instant(s.start))} – {escape(fhir_instant(s.end))}</label></li>"
        for s in free
    )
    return page(
        title,
        f"<p>Lieu : {escape(names.get(place or '', 'tous les lieux'))}</p>"
        f"<p>Origine : {escape(origin)}</p>"
        f"<p>Régulateur : {escape(user.display_name)}</p>"
        f"<form method='post' action='/agenda/{escape(practitioner.id, quote=True)}/book'>"
        f"<input type='hidden' name='origin' value='{escape(origin, quote=True)}'>"
        f"<ul>{options or '<li>Aucun créneau libre</li>'}</ul>"
        "<button>Réserver pour le patient</button></form>",
    )


def booked_page(practitioner: SimPractitioner, booking: Booking) -> Response[str]:
    if booking.report_status is None:
        answer = "non déclaré : la plateforme n'est pas configurée (--platform-fhir)"
    else:
        answer = f"HTTP {booking.report_status} {booking.report_location or ''}"
    return page(
        "Rendez-vous pris",
        f"<p>Dr {escape(practitioner.given)} {escape(practitioner.family)}, "
        f"{escape(booking.resource['start'])}</p>"
        f"<p>Identifiant : <code>{escape(booking.id)}</code></p>"
        f"<p>Déclaration à la plateforme SAS : <span id='report'>{escape(answer)}</span></p>"
        f"<pre>{escape(booking.report_body)}</pre>",
        200 if booking.report_status in (None, 200, 201) else 502,
    )
