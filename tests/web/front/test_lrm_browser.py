"""The LRM's contextual search in a real browser (slow): an anonymous regulator opens the LRM's
URL, logs in through the realm and lands on the results of that very context; the pages pass
axe (no serious or critical violation). Skipped as tests/web/front/test_browser.py is."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from sas_core.registry.lrms import LrmDirectory
from sas_core.registry.models import LrmRegistration
from tests.web.front.conftest import Platform
from tests.web.front.test_browser import axe_violations, page, shot
from tests.web.sso_support import DEV_PASSWORD

pytestmark = pytest.mark.slow
__all__ = ["page"]  # the browser tab fixture


def test_the_lrm_entry_through_the_login_passes_axe(platform: Platform, page: Any) -> None:
    LrmDirectory(platform.engine).register(
        LrmRegistration("samu33", "lrm-33.example", "fr.health.samu330", "SAS-33")
    )
    query = urlencode(
        {"origin": "lrm-33.example", "streetnumber": "12", "streetname": "rue sainte-catherine",
         "inseecode": "33063", "specialty": "pédiatrie", "caseid": "DRM-7"}
    )  # fmt: skip
    entry = f"{platform.base}/sas/recherche?{query}"
    page.goto(entry)
    page.get_by_label("E-mail").fill(platform.regulator.email)
    page.get_by_label("Mot de passe").fill(DEV_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(entry)
    assert page.get_by_text("Le médecin traitant n’a pas été renseigné dans le LRM.").is_visible()
    assert page.get_by_text("12 Rue Sainte-Catherine, 33000 Bordeaux").is_visible()
    checked = {"lrm-resultats": axe_violations(page)}
    shot(page, "lrm-resultats")
    page.goto(f"{platform.base}/sas/recherche?origin=inconnu&inseecode=33063")
    assert page.get_by_text("désactivé", exact=False).first.is_visible()
    checked["lrm-origine-inconnue"] = axe_violations(page)
    page.goto(f"{platform.base}/sas/recherche?origin=lrm-33.example&streetnumber=4")
    checked["lrm-adresse-invalide"] = axe_violations(page)
    shot(page, "lrm-adresse-invalide")
    assert {k: v for k, v in checked.items() if v} == {}
