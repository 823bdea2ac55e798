"""The front's login through the platform's realm (code + PKCE), roles, logout, the session's
idle expiry that keeps what was typed, CSRF on forms and the login's rate limit, over a real
socket."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.engine import Engine

from sas_core.plugins.host import PluginHost
from sas_core.registry import changes
from sas_core.serving.server import AsgiServer
from sas_core.storage.registry import audit_entries, read_registry
from tests.web.front.conftest import ADMIN_EMAIL, FrontBrowser, Platform, front_app


def test_a_regulator_logs_in_through_the_realm_and_lands_where_they_asked(
    platform: Platform, browser: FrontBrowser
) -> None:
    sent = browser.get("/rendez-vous")
    assert sent.status_code == 302
    assert sent.headers["location"] == "/connexion?next=%2Frendez-vous"
    page = browser.log_in(platform.regulator.email, start=sent.headers["location"])
    assert page.status_code == 200
    assert page.url.path == "/rendez-vous"
    assert "Mes rendez-vous" in page.text
    assert "Claire Martin" in page.text
    cookie = next(c for c in browser.http.cookies.jar if c.name == "sas_front")
    assert cookie.has_nonstandard_attr("HttpOnly")
    # A regulator is no admin: the page and the API say so, in French for the page.
    refused = browser.get("/admin")
    assert refused.status_code == 403
    assert "Accès refusé" in refused.text
    assert browser.get("/api/v1/registry").status_code == 403
    assert browser.get("/api/v1/appointments").json() == []


def test_an_admin_reaches_the_platform_team_pages(
    platform: Platform, browser: FrontBrowser
) -> None:
    page = browser.log_in(ADMIN_EMAIL, start="/connexion?next=/admin")
    assert page.status_code == 200
    assert "Territoires et adaptateurs" in page.text
    assert browser.get("/api/v1/registry").status_code == 200


def test_logout_ends_the_front_session_and_the_realms(
    platform: Platform, browser: FrontBrowser
) -> None:
    home = browser.log_in(platform.regulator.email)
    left = browser.post("/deconnexion", data={"_csrf_token": browser.csrf(home)})
    assert left.status_code == 302
    assert left.headers["location"].startswith("/realms/sas/protocol/openid-connect/logout?")
    confirm = browser.follow(left)
    assert confirm.status_code == 200  # the realm asks before ending its own session
    assert browser.get("/rendez-vous").status_code == 302
    assert browser.get("/api/v1/appointments").status_code == 401


def test_a_form_without_its_csrf_token_is_refused(
    platform: Platform, browser: FrontBrowser
) -> None:
    browser.log_in(ADMIN_EMAIL)
    sent = browser.post(
        "/admin/territoires/SAS-33/editeur-b", data={"action": "enable", "raison": "x"}
    )
    assert sent.status_code == 403
    assert "<html" in sent.text and "Traceback" not in sent.text


def test_an_admin_enables_an_adapter_with_a_reason_kept_in_the_audit_trail(
    platform: Platform, browser: FrontBrowser
) -> None:
    changes.configure(
        platform.engine, PluginHost.discover(), "editeur-b", plugin="sas-fhir",
        settings={"base_url": "http://127.0.0.1:9/fhir"}, actor="test", reason="declared",
    )  # fmt: skip
    browser.log_in(ADMIN_EMAIL)
    form = browser.get("/admin/territoires/SAS-33/editeur-b")
    token = browser.csrf(form)
    # No reason: refused, and what was chosen is kept.
    refused = browser.post(
        "/admin/territoires/SAS-33/editeur-b", data={"_csrf_token": token, "action": "enable"}
    )
    assert refused.status_code == 400
    assert "Indiquez la raison" in refused.text
    assert 'value="enable" checked' in refused.text
    done = browser.post(
        "/admin/territoires/SAS-33/editeur-b",
        data={"_csrf_token": token, "action": "enable", "raison": "convention signée"},
    )
    assert done.status_code == 303
    page = browser.follow(done)
    assert "Changement enregistré" in page.text
    assert "convention signée" in page.text
    assert read_registry(platform.engine).assignments[("SAS-33", "editeur-b")].enabled
    entry = audit_entries(platform.engine, territory="SAS-33", adapter="editeur-b")[0]
    assert (entry.actor, entry.reason) == (ADMIN_EMAIL, "convention signée")
    # An illegal move is refused in French, not a server error.
    illegal = browser.post(
        "/admin/territoires/SAS-33/editeur-b",
        data={"_csrf_token": token, "action": "state", "etat": "production", "raison": "vite"},
    )
    assert illegal.status_code == 409
    assert "Changement refusé" in illegal.text


def test_an_admin_changes_an_adapters_settings_with_a_reason_kept_in_the_audit_trail(
    platform: Platform, browser: FrontBrowser
) -> None:
    changes.configure(
        platform.engine, PluginHost.discover(), "editeur-b", plugin="sas-fhir",
        settings={"base_url": "http://127.0.0.1:9/fhir"}, actor="test", reason="declared",
    )  # fmt: skip
    browser.log_in(ADMIN_EMAIL)
    form = browser.get("/admin/territoires/SAS-33/editeur-b")
    assert 'name="reglage-base_url" value="http://127.0.0.1:9/fhir"' in form.text
    token = browser.csrf(form)
    wanted = {"_csrf_token": token, "action": "settings", "reglage-base_url":
              "http://127.0.0.1:8082/fhir", "delai": "4,5"}  # fmt: skip
    # No reason: refused, and what was typed is kept.
    refused = browser.post("/admin/territoires/SAS-33/editeur-b", data=wanted)
    assert refused.status_code == 400 and "Indiquez la raison" in refused.text
    assert 'value="http://127.0.0.1:8082/fhir"' in refused.text
    bad = browser.post(
        "/admin/territoires/SAS-33/editeur-b", data={**wanted, "delai": "vite", "raison": "x"}
    )
    assert bad.status_code == 400 and "nombre de secondes" in bad.text
    wrong = browser.post(
        "/admin/territoires/SAS-33/editeur-b",
        data={**wanted, "reglage-base_url": "pas une URL", "raison": "essai"},
    )
    assert wrong.status_code == 409 and "Changement refusé" in wrong.text
    done = browser.post(
        "/admin/territoires/SAS-33/editeur-b", data={**wanted, "raison": "nouvelle adresse"}
    )
    assert done.status_code == 303
    assert "nouvelle adresse" in browser.follow(done).text
    declared = read_registry(platform.engine).adapters["editeur-b"]
    assert declared.settings["base_url"] == "http://127.0.0.1:8082/fhir"
    assert declared.timeout_s == 4.5
    entry = audit_entries(platform.engine, territory=None, adapter="editeur-b")[0]
    assert (entry.actor, entry.reason) == (ADMIN_EMAIL, "nouvelle adresse")


def test_an_idle_session_ends_with_a_french_page_and_keeps_what_was_typed(
    engine: Engine, regulator: object, admin: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    with AsgiServer(front_app(engine, session_idle_s=1)) as server:  # type: ignore[arg-type]
        browser = FrontBrowser(server.root_url)
        browser.log_in(ADMIN_EMAIL)
        token = browser.csrf(browser.get("/admin/territoires/SAS-33/editeur-b"))
        time.sleep(1.5)
        sent = browser.post(
            "/admin/territoires/SAS-33/editeur-b",
            data={"_csrf_token": token, "action": "disable", "raison": "panne chez l’éditeur"},
        )
        assert sent.status_code == 401
        assert "Votre session a expiré" in sent.text
        assert "/connexion?next=%2Fadmin%2Fterritoires%2FSAS-33%2Fediteur-b" in sent.text
        again = browser.log_in(
            ADMIN_EMAIL, start="/connexion?next=/admin/territoires/SAS-33/editeur-b"
        )
        assert again.url.path == "/admin/territoires/SAS-33/editeur-b"
        assert "panne chez l’éditeur" in again.text
        assert 'value="disable" checked' in again.text
        browser.close()


def test_login_starts_are_rate_limited(
    engine: Engine, regulator: object, admin: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    with AsgiServer(front_app(engine, login_rate_per_minute=3)) as server:  # type: ignore[arg-type]
        browser = FrontBrowser(server.root_url)
        statuses = [browser.get("/connexion").status_code for _ in range(4)]
        assert statuses == [302, 302, 302, 429]
        limited = browser.get("/connexion")
        assert "Trop de tentatives" in limited.text
        browser.close()
