"""INT_L01, the LRM's contextual search (`/sas/recherche`), over a real socket and the realm's
login: the origin allow-list, the address rebuilt from its parts, the specialty, the attending
doctor first and the two `sas_pf_*` notices, and the context kept across the login."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlencode

import pytest
from sqlalchemy.engine import Engine

from sas_core.geography.gazetteer import Gazetteer, load_gazetteer
from sas_core.offer.directory import OfferDirectory
from sas_core.offer.models import OfferKind
from sas_core.offer.synthetic import generate_directory, store_directory
from sas_core.registry.lrms import LrmDirectory
from sas_core.registry.models import LrmRegistration
from sas_web.front.lrm_entry import FLOW_DISABLED, PF_NOTICES, read_context
from sas_web.front.pages import lrm_case
from sas_web.front.services import LrmCase
from tests.web.front.conftest import FrontBrowser, Platform

IDNPS_URN = "urn:oid:1.2.250.1.71.4.2.1|"
ORIGIN = "lrm-33.example"


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer()


# -- the parameters, as the platform reads them ------------------------------------------------


def test_address_is_rebuilt_from_its_parts(gazetteer: Gazetteer) -> None:
    found = read_context(
        {"streetnumber": "12 bis", "streetname": "rue sainte-catherine", "inseecode": "33063"},
        gazetteer,
    )
    assert found.place == "12 Rue Sainte-Catherine, 33000 Bordeaux"
    assert found.shown_place == "12 Rue Sainte-Catherine, Bordeaux, Gironde"
    assert not found.problems


@pytest.mark.parametrize(
    ("insee", "city"), [("75105", "Paris"), ("75056", "Paris"), ("69383", "Lyon"),
                        ("13055", "Marseille"), ("13216", "Marseille")],
)  # fmt: skip
def test_plm_arrondissements_name_their_city(gazetteer: Gazetteer, insee: str, city: str) -> None:
    found = read_context({"inseecode": insee}, gazetteer)
    assert found.place is not None and found.place.endswith(city)
    if city == "Paris":
        assert found.shown_place == "Paris"  # no département name for Paris


def test_city_is_the_fallback_of_an_unknown_insee_code(gazetteer: Gazetteer) -> None:
    found = read_context({"inseecode": "99999", "city": "mérignac"}, gazetteer)
    assert found.place == "Mérignac" and not found.problems


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"streetname": "rue X"}, "aucune commune"),
        ({"inseecode": "99999"}, "aucune commune"),
        ({"streetnumber": "12", "inseecode": "33063"}, "sans nom de rue"),
    ],
)
def test_an_invalid_address_is_said(gazetteer: Gazetteer, query: dict[str, str], says: str) -> None:
    found = read_context(query, gazetteer)
    assert found.place is None and says in " ".join(found.problems)


@pytest.mark.parametrize(
    ("value", "code", "label"),
    [
        ("", "SM54", "Consultation de médecine générale"),
        ("urn:oid:1.2.250.1.213.2.28|SM54", "SM54", "Médecine générale"),
        ("urn:oid:1.2.250.1.213.2.28|SM40", "SM40", "Pédiatrie"),
        ("pédiatrie", "SM40", "Pédiatrie"),
        ("Consultation de médecine générale", "SM54", "Consultation de médecine générale"),
        ("urn:oid:1.2.250.1.213.2.28|ZZ99", None, "Toutes spécialités"),
        ("astrologie", None, "Toutes spécialités"),
    ],
)
def test_specialty_text_or_code(
    gazetteer: Gazetteer, value: str, code: str | None, label: str
) -> None:
    found = read_context({"inseecode": "33063", "specialty": value}, gazetteer)
    assert (found.specialty, found.specialty_label) == (code, label)
    assert bool(found.notices) == (code is None)


def test_a_malformed_case_reference_is_dropped_with_a_notice(gazetteer: Gazetteer) -> None:
    assert read_context({"caseid": "DRM-2026-0042"}, gazetteer).case_reference == "DRM-2026-0042"
    bad = read_context({"caseid": "Jean Dupont <b>"}, gazetteer)
    assert bad.case_reference is None and "dossier" in bad.notices[0]


# -- over the socket ----------------------------------------------------------------------------


@pytest.fixture
def lrm_platform(platform: Platform) -> Platform:
    LrmDirectory(platform.engine).register(
        LrmRegistration("samu33", ORIGIN, "fr.health.samu330", "SAS-33")
    )
    store_directory(platform.engine, generate_directory(1, 0, load_gazetteer()))
    return platform


def _doctor(engine: Engine) -> str:
    """An IDNPS of the directory near Bordeaux."""
    near = OfferDirectory(engine).candidates((44.8376, -0.5792), 20, kinds=[OfferKind.PRACTITIONER])
    assert near
    return near[-1].id


def _entry(**params: str) -> str:
    return f"/sas/recherche?{urlencode({'origin': ORIGIN, 'inseecode': '33063', **params})}"


def _first_lot(browser: FrontBrowser, page_text: str) -> str:
    url = unescape(re.search(r'hx-get="([^"]+)"', page_text).group(1))  # type: ignore[union-attr]
    lot = browser.get(url, headers={"HX-Request": "true"})
    assert lot.status_code == 200, lot.text
    return lot.text


def test_a_valid_origin_shows_the_results_with_the_attending_doctor_first(
    lrm_platform: Platform, browser: FrontBrowser
) -> None:
    idnps = _doctor(lrm_platform.engine)
    browser.log_in(lrm_platform.regulator.email)
    entry = _entry(streetnumber="12", streetname="rue sainte-catherine",
                   practitioner=IDNPS_URN + idnps, caseid="DRM-42")  # fmt: skip
    page = browser.get(entry)
    assert page.status_code == 200, page.text
    assert "Recherche ouverte depuis le LRM" in page.text and "samu33" in page.text
    assert "Consultation de médecine générale" in page.text and "dossier DRM-42" in page.text
    assert not any(n in page.text for n in PF_NOTICES.values())
    lot = _first_lot(browser, page.text)
    badges = re.findall(r'<div class="fr-card__start">(.*?)</div>', lot)
    assert badges and "Médecin traitant (LRM)" in badges[0]


@pytest.mark.parametrize(
    ("practitioner", "code"),
    [(None, "sas_pf_002"), ("urn:oid:1.2.3|810000000000", "sas_pf_001"),
     (IDNPS_URN + "899999999999", "sas_pf_001")],
)  # fmt: skip
def test_the_attending_doctor_codes_are_a_notice_and_the_search_runs(
    lrm_platform: Platform, browser: FrontBrowser, practitioner: str | None, code: str
) -> None:
    browser.log_in(lrm_platform.regulator.email)
    params = {} if practitioner is None else {"practitioner": practitioner}
    page = browser.get(_entry(**params))
    assert page.status_code == 200, page.text
    assert PF_NOTICES[code] in unescape(page.text)
    assert 'class="fr-notice fr-notice--info' in page.text
    assert 'hx-trigger="load"' in page.text  # the search still runs


def test_an_unknown_or_inactive_origin_is_refused(
    lrm_platform: Platform, browser: FrontBrowser
) -> None:
    browser.log_in(lrm_platform.regulator.email)
    unknown = browser.get(_entry(origin="lrm-inconnu"))
    assert unknown.status_code == 403
    assert "désactivé" in unknown.text and 'hx-trigger="load"' not in unknown.text
    assert FLOW_DISABLED.split(" pour")[0] in unescape(unknown.text)
    LrmDirectory(lrm_platform.engine).register(
        LrmRegistration("samu33", ORIGIN, "fr.health.samu330", "SAS-33", active=False)
    )
    assert browser.get(_entry()).status_code == 403


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"inseecode": "", "streetname": "rue X"}, "aucune commune"),
        ({"streetnumber": "12"}, "sans nom de rue"),
    ],
)
def test_a_malformed_address_shows_the_form_with_what_was_understood(
    lrm_platform: Platform, browser: FrontBrowser, params: dict[str, str], says: str
) -> None:
    browser.log_in(lrm_platform.regulator.email)
    page = browser.get(_entry(specialty="pédiatrie", **params))
    assert page.status_code == 422
    assert says in page.text and 'hx-trigger="load"' not in page.text
    assert 'value="SM40"' in page.text  # the specialty understood, pre-filled


def test_an_anonymous_regulator_logs_in_and_lands_back_with_the_context(
    lrm_platform: Platform, browser: FrontBrowser
) -> None:
    entry = _entry(streetnumber="3", streetname="cours de l'intendance", specialty="pédiatrie",
                   practitioner="urn:oid:x", caseid="DRM-7")  # fmt: skip
    first = browser.get(entry)
    assert first.status_code == 302 and first.headers["location"].startswith("/connexion?next=")
    page = browser.log_in(lrm_platform.regulator.email, start=entry)
    assert page.status_code == 200, page.text
    assert str(page.url).endswith(entry.removeprefix("/"))
    assert "Pédiatrie" in page.text and "dossier DRM-7" in page.text
    assert "3 Cours De L'Intendance, 33000 Bordeaux" in unescape(page.text)
    assert PF_NOTICES["sas_pf_001"] in unescape(page.text)


def test_the_case_travels_with_the_lots_and_never_to_the_vendor(
    lrm_platform: Platform, browser: FrontBrowser
) -> None:
    browser.log_in(lrm_platform.regulator.email)
    page = browser.get(_entry(caseid="DRM-2026-0042"))
    url = unescape(re.search(r'hx-get="(/recherche/resultats[^"]+)"', page.text).group(1))  # type: ignore[union-attr]
    assert "lrm=samu33" in url and "dossier=DRM-2026-0042" in url
    lot = browser.get(url, headers={"HX-Request": "true"})
    assert lot.status_code == 200
    links = re.findall(r'href="(https?://[^"]+)"', lot.text)
    assert all("DRM-2026-0042" not in unescape(u) for u in links)
    assert lrm_case("samu33", "DRM-1") == LrmCase("samu33", "DRM-1")
    assert lrm_case("samu33", "Jean Dupont") is None and lrm_case(None, "DRM-1") is None
