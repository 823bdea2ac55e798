"""The SSO redirect service: the environment's origin, the firstresult hook, no booking URL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sas_core import AdapterConfig, NoBookingUrl, Regulator, Slot, SsoRedirect, hookimpl
from sas_core.plugins.host import PluginHost
from sas_core.sso.redirect import sso_redirect

ADAPTER = AdapterConfig(name="acme", plugin="sas-fhir")
REGULATOR = Regulator(
    id=uuid.uuid4(), family="Martin", given="Claire", email="claire.martin@sas.example"
)


def slot(booking_url: str | None) -> Slot:
    start = datetime.now(UTC) + timedelta(hours=1)
    return Slot(
        id="s-1",
        start=start,
        end=start + timedelta(minutes=15),
        booking_url=booking_url,
        adapter="acme",
        fetched_at=datetime.now(UTC),
    )


@pytest.fixture
def host() -> PluginHost:
    return PluginHost.discover(allow=["sas-fhir"])


def test_origin_comes_from_the_environment(
    host: PluginHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "https://agenda.example/ps/42?place=p1"
    assert sso_redirect(host, ADAPTER, REGULATOR, slot(url)).url == f"{url}&origin=sas"
    monkeypatch.setenv("SAS_ORIGIN", "sas-preprod")
    assert sso_redirect(host, ADAPTER, REGULATOR, slot(url)).url == f"{url}&origin=sas-preprod"
    explicit = sso_redirect(host, ADAPTER, REGULATOR, slot(url), origin="sas")
    assert explicit.url.endswith("origin=sas")
    monkeypatch.setenv("SAS_ORIGIN", "")
    assert sso_redirect(host, ADAPTER, REGULATOR, slot(url)).url.endswith("origin=sas")


def test_a_plugin_overrides_the_default(host: PluginHost) -> None:
    class Vendor:
        @hookimpl
        def sas_sso_redirect(self, slot: Slot, origin: str) -> SsoRedirect:
            return SsoRedirect(url=f"{slot.booking_url}#o={origin}", adapter="acme")

    host.pm.register(Vendor(), name="vendor-override")
    redirect = sso_redirect(host, ADAPTER, REGULATOR, slot("https://a.example/x"))
    assert redirect.url == "https://a.example/x#o=sas"


def test_no_booking_url(host: PluginHost) -> None:
    with pytest.raises(NoBookingUrl):
        sso_redirect(host, ADAPTER, REGULATOR, slot(None))
