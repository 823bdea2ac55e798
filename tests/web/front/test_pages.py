"""The front's pages over a real socket: DSFR served locally under hashed URLs with a year of
cache, a CSP without inline script, pages under 100 KB, French error pages with what to do, the
contract's anonymous answers, and "my appointments" with the status history vendors reported."""

from __future__ import annotations

import re

import httpx

from sas_web.front.assets import CACHE_SECONDS
from tests.web.conftest import appointment
from tests.web.front.conftest import ADMIN_EMAIL, FrontBrowser, Platform

#: Issue #11 item 9: the HTML of a page.
FHIR_JSON = {"Content-Type": "application/fhir+json"}
PAGE_BUDGET_BYTES = 100_000
PAGES = ("/", "/recherche?lieu=Bordeaux", "/rendez-vous", "/admin", "/admin/regulateurs",
         "/admin/rendez-vous", "/admin/territoires/SAS-33/editeur-b")  # fmt: skip


def test_every_asset_is_local_hashed_and_cached_for_a_year(
    platform: Platform, browser: FrontBrowser
) -> None:
    home = browser.get("/")
    references = re.findall(r'(?:href|src)="([^"#]+)"', home.text)
    assets = [r for r in references if r.startswith("/static/")]
    assert {a.rsplit("/", 1)[-1] for a in assets} >= {
        "dsfr.min.css",
        "dsfr.module.min.js",
        "htmx.min.js",
    }
    assert not [r for r in references if r.startswith(("http:", "https:", "//"))]
    for url in assets:
        answer = browser.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["cache-control"] == f"max-age={CACHE_SECONDS}, public, immutable"
    # DSFR's fonts come from the same hashed folder (relative URLs in its CSS).
    css = next(a for a in assets if a.endswith("dsfr.min.css"))
    font = css.rsplit("/", 1)[0] + "/fonts/Marianne-Regular.woff2"
    assert browser.get(font).status_code == 200
    # A missing file is a plain 404 page, not cached.
    assert browser.get(css.rsplit("/", 1)[0] + "/nope.css").headers["cache-control"] == "no-store"


def test_pages_carry_a_csp_without_inline_script_and_stay_under_budget(
    platform: Platform, browser: FrontBrowser
) -> None:
    browser.log_in(ADMIN_EMAIL)
    for path in PAGES:
        page = browser.get(path)
        assert page.status_code == 200, (path, page.text[:500])
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert page.headers["cache-control"] == "no-store"
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), path
        assert not re.search(r"\sstyle=", page.text), path
        assert not re.search(r"\son[a-z]+=", page.text), path
        assert len(page.content) < PAGE_BUDGET_BYTES, (path, len(page.content))
        assert '<html lang="fr"' in page.text
        assert 'href="#contenu"' in page.text


def test_the_contracts_anonymous_answers(platform: Platform) -> None:
    base = platform.base
    assert httpx.get(f"{base}/health").json()["status"] == "ok"
    admin = httpx.get(f"{base}/admin")
    assert admin.status_code == 302
    assert admin.headers["location"].startswith("/connexion")
    for path in ("/api/v1/registry", "/api/v1/appointments", "/api/v1/geocode?q=Bordeaux"):
        assert httpx.get(base + path).status_code == 401, path
    schema = httpx.get(f"{base}/schema/openapi.json").json()
    assert {"/health", "/api/v1/geocode", "/api/v1/appointments", "/api/v1/registry"} <= set(
        schema["paths"]
    )
    assert not [p for p in schema["paths"] if p.startswith(("/fhir", "/realms", "/admin"))]


def test_error_pages_say_what_to_do_in_french_without_a_trace(
    platform: Platform, browser: FrontBrowser
) -> None:
    missing = browser.get("/nulle-part")
    assert missing.status_code == 404
    assert "Page introuvable" in missing.text and "Page d’accueil" in missing.text
    wrong_method = browser.http.delete(platform.base + "/")
    assert wrong_method.status_code == 405
    assert "Action impossible" in wrong_method.text
    browser.log_in(platform.regulator.email)
    unknown_place = browser.get("/recherche?lieu=Zzyzxville-sur-Rien")
    assert unknown_place.status_code == 422
    assert "Lieu introuvable : « Zzyzxville-sur-Rien »" in unknown_place.text
    assert 'value="Zzyzxville-sur-Rien"' in unknown_place.text  # the form again, as typed
    empty = browser.get("/recherche?lieu=&specialite=cardiologie")
    assert empty.status_code == 400
    assert 'value="cardiologie"' in empty.text  # nothing typed is lost
    for page in (missing, wrong_method, unknown_place, empty):
        assert "Traceback" not in page.text


def test_place_suggestions_as_you_type(platform: Platform, browser: FrontBrowser) -> None:
    browser.log_in(platform.regulator.email)
    fragment = browser.get("/lieux?lieu=bord", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert '<option value="Bordeaux (33000)">' in fragment.text
    assert browser.get("/api/v1/places?q=bord").json()[0] == "Bordeaux (33000)"
    found = browser.get("/api/v1/geocode?q=Bordeaux").json()
    assert found["departement"] == "33" and found["territory"] == "SAS-33"


def test_my_appointments_show_the_status_history_vendors_reported(
    platform: Platform, browser: FrontBrowser
) -> None:
    mine = appointment("web-1")
    mine["extension"][0]["valueReference"]["identifier"]["value"] = str(platform.regulator.id)
    fhir = f"{platform.base}/fhir/Appointment"
    assert httpx.post(fhir, json=mine, headers=FHIR_JSON).status_code == 201
    cancelled = {**mine, "status": "cancelled"}
    updated = httpx.put(
        f"{fhir}?identifier=urn:oid:1.2.250.1.999.1|web-1", json=cancelled, headers=FHIR_JSON
    )
    assert updated.status_code == 200, updated.text
    httpx.post(fhir, json=appointment("someone-else"), headers=FHIR_JSON)
    browser.log_in(platform.regulator.email)
    page = browser.get("/rendez-vous")
    assert "Annulé" in page.text and "Réservé" in page.text
    listed = browser.get("/api/v1/appointments").json()
    assert len(listed) == 1
    assert [h["status"] for h in listed[0]["history"]] == ["booked", "cancelled"]
