"""The front in a real browser: Playwright for Python driving Debian's Chromium (never a
downloaded browser), against the platform on a real socket. axe-core (from npm) checks every
page: no serious or critical violation. Screenshots are kept in tests/web/artifacts/.

Skipped, with the reason, where `/usr/bin/chromium` or Playwright is missing (`.ci/run`
installs Chromium)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sas_core.plugins.host import PluginHost
from sas_core.registry import changes
from sas_core.storage.registry import read_registry
from tests.web.front.conftest import ADMIN_EMAIL, Platform
from tests.web.sso_support import DEV_PASSWORD

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[3]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "tests" / "web" / "artifacts"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.exists() and shutil.which("chromium") is None:
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True
    )
if not AXE.exists():
    pytest.skip("axe-core is not installed (make install runs npm ci)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is missing")


@pytest.fixture
def page(platform: Platform) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            args=LAUNCH_ARGS,
        )
        # axe is injected as a script of the test, which the pages' CSP would refuse.
        context = browser.new_context(bypass_csp=True, locale="fr-FR")
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        yield tab
        context.close()
        browser.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def log_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/")
    page.get_by_role("banner").get_by_role("link", name="Se connecter").click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe").fill(DEV_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}/")


def test_every_page_passes_axe_and_login_works(platform: Platform, page: Any) -> None:
    base = platform.base
    checked: dict[str, list[dict[str, Any]]] = {}
    page.goto(f"{base}/")
    checked["accueil-anonyme"] = axe_violations(page)
    shot(page, "accueil-anonyme")
    page.goto(f"{base}/nulle-part")
    checked["404"] = axe_violations(page)
    log_in(page, base, ADMIN_EMAIL)
    assert page.get_by_text("Alex Durand").is_visible()
    for name, path in (
        ("accueil", "/"),
        ("resultats", "/recherche?lieu=Bordeaux"),
        ("rendez-vous", "/rendez-vous"),
        ("admin", "/admin"),
        ("admin-adaptateur", "/admin/territoires/SAS-33/editeur-b"),
        ("admin-regulateurs", "/admin/regulateurs"),
        ("admin-rendez-vous", "/admin/rendez-vous"),
    ):
        page.goto(base + path)
        checked[name] = axe_violations(page)
        shot(page, name)
    assert {k: v for k, v in checked.items() if v} == {}


def test_an_admin_enables_an_adapter_in_a_territory_with_a_reason(
    platform: Platform, page: Any
) -> None:
    changes.configure(
        platform.engine, PluginHost.discover(), "editeur-b", plugin="sas-fhir",
        settings={"base_url": "http://127.0.0.1:9/fhir"}, actor="test", reason="declared",
    )  # fmt: skip
    base = platform.base
    log_in(page, base, ADMIN_EMAIL)
    page.get_by_role("link", name="Administration").click()
    page.get_by_label("Territoire").select_option("SAS-69")
    page.get_by_label("Adaptateur").select_option("editeur-b")
    page.get_by_role("button", name="Ouvrir").click()
    page.wait_for_url(f"{base}/admin/territoires/SAS-69/editeur-b")
    page.get_by_role("radio", name="Activer", exact=True).check(force=True)
    page.get_by_label("Raison (obligatoire)").fill("Convention signée avec l’éditeur")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("Changement enregistré dans le journal.").is_visible()
    assert page.get_by_role("cell", name="Convention signée avec l’éditeur").is_visible()
    shot(page, "admin-adaptateur-active")
    assert read_registry(platform.engine).assignments[("SAS-69", "editeur-b")].enabled


def test_keyboard_only_from_login_to_results(platform: Platform, page: Any) -> None:
    base = platform.base
    page.goto(f"{base}/")
    # The first Tab reaches the skip links; the login link is reached by Tab alone.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Contenu"
    for _ in range(20):
        if page.evaluate("document.activeElement.textContent").strip() == "Se connecter":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("input[name=email]")
    page.keyboard.press("Tab")  # the first field of the realm's form
    for _ in range(5):
        if page.evaluate("document.activeElement.name") == "email":
            break
        page.keyboard.press("Tab")
    page.keyboard.type(platform.regulator.email)
    page.keyboard.press("Tab")
    page.keyboard.type(DEV_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
    # Skip link to the content, then the place field, typed, and the form sent with Enter.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "lieu":
            break
    assert page.evaluate("document.activeElement.id") == "lieu"
    page.keyboard.type("Bordeaux")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/recherche?**")
    assert "Autour de Bordeaux" in page.inner_text("main")
    shot(page, "clavier-resultats")
