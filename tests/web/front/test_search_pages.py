"""The results pages on the search engine, over real sockets: a directory with the demo vendors'
agendas, one vendor simulated, a regulator logged in. The cards come lot by lot, each with its
status in words, and a slot's booking link is the vendor's SSO redirect."""

from __future__ import annotations

import re
from html import unescape

from sas_core.geography.gazetteer import load_gazetteer
from sas_core.offer.synthetic import generate_directory, store_directory
from sas_core.plugins.host import PluginHost
from sas_core.registry import changes
from sas_core.registry.models import AdapterState
from sas_simulator.app import create_app
from sas_simulator.dataset import build_dataset
from sas_simulator.faults import Faults
from sas_simulator.server import SimulatorServer
from tests.web.front.conftest import FrontBrowser, Platform


def test_results_come_lot_by_lot_with_a_status_per_card_and_booking_links(
    platform: Platform, browser: FrontBrowser
) -> None:
    store_directory(platform.engine, generate_directory(1, 0, load_gazetteer()))
    vendor = SimulatorServer(create_app(build_dataset(seed=7, practitioners=20), Faults()))
    with vendor:
        host = PluginHost.discover()
        changes.enable(
            platform.engine, host, "SAS-33", "editeur-b", plugin="sas-fhir",
            settings={"base_url": vendor.base_url}, actor="test", reason="test",
        )  # fmt: skip
        for state in (AdapterState.CONNECTED_TEST, AdapterState.PRODUCTION):
            changes.move(platform.engine, "SAS-33", "editeur-b", state, actor="t", reason="t")
        browser.log_in(platform.regulator.email)
        page = browser.get("/recherche?lieu=Bordeaux&specialite=&affichage=tous")
        assert page.status_code == 200, page.text
        assert "Autour de" in page.text and "SAS-33" in page.text
        first = unescape(re.search(r'hx-get="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]
        assert first.endswith("&lot=1")
        lot = browser.get(first, headers={"HX-Request": "true"})
        assert lot.status_code == 200
        assert "<html" not in lot.text  # a fragment
        labels = set(re.findall(r'class="fr-badge [^"]*">([^<]+)</p>', lot.text))
        assert labels, lot.text[:2000]
        assert labels <= {
            "Créneaux disponibles",
            "Aucun créneau libre",
            "Agenda non connecté : téléphoner",
            "Erreur de l’éditeur",
            "Éditeur indisponible",
        }
        if "Créneaux disponibles" in labels:
            assert re.search(r'href="https?://[^"]+"[^>]*target="_blank"', lot.text)
        # Without script: the same lot as a page of its own.
        whole = browser.get(first)
        assert "<html" in whole.text and "Résultats" in whole.text
        api = browser.get("/api/v1/search?lieu=Bordeaux&affichage=tous").json()
        assert api["lot"] == 1 and api["territory"] == "SAS-33"
        assert {c["status"] for c in api["results"]} <= {
            "slots", "no-slot", "not-connected", "vendor-error", "circuit-open"
        }  # fmt: skip


def test_the_search_form_takes_specialty_labels_and_answers_in_french(
    platform: Platform, browser: FrontBrowser
) -> None:
    browser.log_in(platform.regulator.email)
    home = browser.get("/")
    assert '<datalist id="specialites">' in home.text
    assert '<option value="Médecine générale">' in home.text
    for typed in ("médecine générale", "PEDIATRIE", "SM54", ""):
        found = browser.get("/recherche", params={"lieu": "Bordeaux", "specialite": typed})
        assert found.status_code == 200, (typed, found.text[:2000])
    unknown = browser.get("/recherche", params={"lieu": "Bordeaux", "specialite": "pédiatre zz"})
    assert unknown.status_code == 422
    assert "Spécialité inconnue : « pédiatre zz »" in unknown.text
    assert 'value="pédiatre zz"' in unknown.text and 'value="Bordeaux"' in unknown.text
    ambiguous = browser.get("/recherche", params={"lieu": "Saint-Denis", "specialite": "pédiatrie"})
    assert ambiguous.status_code == 422, ambiguous.text[:2000]
    assert "« Saint-Denis » désigne plusieurs lieux" in ambiguous.text
    links = [unescape(u) for u in re.findall(r'<li><a href="(/recherche\?[^"]+)">', ambiguous.text)]
    assert len(links) >= 2 and all("specialite=p%C3%A9diatrie" in u for u in links)
    chosen = browser.get(links[0])
    assert chosen.status_code == 200, chosen.text[:2000]
    lot = browser.get("/recherche/resultats", params={"lieu": "Bordeaux", "specialite": "x"})
    assert lot.status_code == 422 and "Spécialité inconnue" in lot.text
    for page in (unknown, ambiguous, lot):
        assert "Traceback" not in page.text and "Recherche impossible" not in page.text
