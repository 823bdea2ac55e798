"""The newcomer's path of `make run`, in Chromium and with the keyboard only (Tab, Enter, and
Space to pick a slot): log in → search a place → « Réserver » → the SSO redirect to the simulated
vendor's agenda (logged in through the platform's realm) → book → the vendor reports the booking
to the platform's /fhir (INT_R03) → « Mes rendez-vous » shows it with its status history.

The platform and the vendor are wired as `sas demo --platform` wires them: the vendor a client
of the realm, reporting over plain HTTP to a development listener. axe-core checks every page
(no serious or critical violation); screenshots go to tests/web/artifacts/."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from sas_core.accounts.models import Regulator
from sas_core.geography.gazetteer import load_gazetteer
from sas_core.offer.synthetic import generate_directory, store_directory
from sas_core.plugins.host import PluginHost
from sas_core.registry import changes
from sas_core.registry.models import AdapterState
from sas_core.serving.server import AsgiServer
from sas_simulator.app import create_app as create_simulator
from sas_simulator.booking import ReportSettings
from sas_simulator.dataset import build_dataset
from sas_simulator.demo import DEMO_PLACE, VENDORS
from sas_simulator.server import SimulatorServer
from sas_simulator.sso import CALLBACK_PATH, VendorSsoSettings
from sas_web import DevelopmentVendor, create_app
from sas_web.front.settings import FrontSettings
from sas_web.oidc import OidcClient, OidcProvider
from tests.web.front.test_browser import CHROMIUM, LAUNCH_ARGS, axe_violations, shot, sync_api
from tests.web.sso_support import DEV_PASSWORD
from tests.web.test_oidc_provider import dev_settings

pytestmark = pytest.mark.slow

VENDOR = next(v for v in VENDORS if v.name == "editeur-b")
SECRET = "editeur-b-test-secret"


@dataclass
class DemoWorld:
    base: str
    regulator: Regulator


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def world(
    engine: Engine, regulator: Regulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DemoWorld]:
    """The platform with the demo directory, and editeur-b simulated where `make run` puts it:
    a client of the realm, enabled in production in the territory of `DEMO_PLACE`."""
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    store_directory(engine, generate_directory(1, 0, load_gazetteer()))
    vendor_port = free_port()
    vendor_root = f"http://127.0.0.1:{vendor_port}"
    clients = {
        VENDOR.name: OidcClient(
            VENDOR.name, "editeur-b", (f"{vendor_root}{CALLBACK_PATH}",), secret=SECRET
        )
    }
    app = create_app(
        identity=DevelopmentVendor(),
        engine=engine,
        oidc=OidcProvider(engine, clients, dev_settings()),
        secure_cookies=False,
        front_settings=FrontSettings(),
    )
    with AsgiServer(app) as platform:  # type: ignore[arg-type]
        simulator = create_simulator(
            build_dataset(seed=VENDOR.seed, practitioners=VENDOR.practitioners, acceptance=False),
            public_base=vendor_root,
            sso=VendorSsoSettings(
                f"{platform.root_url}/realms/sas", VENDOR.name, client_secret=SECRET
            ),
            reporting=ReportSettings(fhir_base=f"{platform.root_url}/fhir"),
        )
        with SimulatorServer(simulator, port=vendor_port) as vendor:
            host = PluginHost.discover()
            changes.enable(
                engine, host, "SAS-31", VENDOR.name, plugin=VENDOR.plugin,
                settings={"base_url": vendor.base_url}, actor="test", reason="demo",
            )  # fmt: skip
            for state in (AdapterState.CONNECTED_TEST, AdapterState.PRODUCTION):
                changes.move(engine, "SAS-31", VENDOR.name, state, actor="test", reason="demo")
            yield DemoWorld(platform.root_url, regulator)


@pytest.fixture
def context(world: DemoWorld) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        # axe is injected as a script of the test, which the pages' CSP would refuse.
        found = browser.new_context(bypass_csp=True, locale="fr-FR")
        found.set_default_timeout(20_000)
        yield found
        found.close()
        browser.close()


def focused(page: Any, expression: str) -> Any:
    return page.evaluate(f"(() => {{ const e = document.activeElement; return {expression}; }})()")


def tab_to(page: Any, expression: str, limit: int = 120) -> None:
    """Tab until the focused element satisfies `expression` (JavaScript over `e`)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page, f"!!e && !!({expression})"):
            return
    raise AssertionError(f"no focusable element where {expression} within {limit} Tabs")


def test_keyboard_only_search_book_through_sso_and_see_it_in_my_appointments(
    world: DemoWorld, context: Any
) -> None:
    base = world.base
    violations: dict[str, list[dict[str, Any]]] = {}
    page = context.new_page()
    page.goto(f"{base}/")
    violations["accueil"] = axe_violations(page)
    tab_to(page, "e.textContent.trim() === 'Se connecter'")
    page.keyboard.press("Enter")
    page.wait_for_selector("input[name=email]")
    violations["connexion"] = axe_violations(page)
    tab_to(page, "e.name === 'email'", limit=10)
    page.keyboard.type(world.regulator.email)
    page.keyboard.press("Tab")
    page.keyboard.type(DEV_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")

    tab_to(page, "e.id === 'lieu'", limit=30)
    page.keyboard.type(DEMO_PLACE)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/recherche?**")
    page.wait_for_selector("text=Créneaux disponibles")
    violations["resultats"] = axe_violations(page)
    shot(page, "parcours-resultats")

    tab_to(page, "e.tagName === 'A' && e.textContent.startsWith('Réserver')")
    with context.expect_page() as opened:
        page.keyboard.press("Enter")
    agenda = opened.value
    agenda.wait_for_selector("text=Régulateur : Claire Martin")
    assert agenda.url.startswith("http://127.0.0.1:") and "/agenda/" in agenda.url
    violations["agenda-editeur"] = axe_violations(agenda)
    shot(agenda, "parcours-agenda-editeur")
    tab_to(agenda, "e.name === 'slot'", limit=10)
    agenda.keyboard.press("Space")
    tab_to(agenda, "e.tagName === 'BUTTON'", limit=5)
    agenda.keyboard.press("Enter")
    agenda.wait_for_selector("text=Rendez-vous pris")
    assert "HTTP 201" in agenda.inner_text("body")
    shot(agenda, "parcours-reserve")
    agenda.close()

    tab_to(page, "e.textContent.trim() === 'Mes rendez-vous'")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/rendez-vous")
    main = page.inner_text("main")
    assert "Rendez-vous déclarés (1)" in main and "Réservé" in main, main
    violations["rendez-vous"] = axe_violations(page)
    shot(page, "parcours-rendez-vous")
    assert {k: v for k, v in violations.items() if v} == {}
