"""The regulator path end to end over real sockets (issue 4, part 6): local login at the
platform → account sync (INT_R02) → the core's SSO redirect for a simulator slot → the vendor
sends the browser to the platform's realm → silent authorization → callback → booking page →
booking reported over mutual TLS (INT_R03) → stored on the platform → an outbox listener told.

The platform listens twice on one app: the vendor-facing FHIR endpoint with client
certificates required, the browser-facing realm with server TLS only (see README)."""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from sas_core import AppointmentEvent, hookimpl
from sas_core.accounts.models import Regulator
from sas_core.accounts.regulators import add_regulator
from sas_core.appointments.outbox import dispatch_outbox
from sas_core.plugins.host import PluginHost
from sas_core.registry.adapters_file import FileAdapterDirectory, parse_adapters
from sas_core.serving.server import AsgiServer, ServerTls
from sas_core.slots.fanout import fetch_lot
from sas_core.slots.models import SearchWindow, SlotQuery
from sas_core.sso.redirect import sso_redirect
from sas_simulator.app import create_app as create_simulator
from sas_simulator.booking import ReportSettings
from sas_simulator.dataset import Dataset, build_dataset
from sas_simulator.server import SimulatorServer
from sas_simulator.sso import VendorSsoSettings
from sas_web import create_app
from sas_web.oidc import OidcClient, OidcProvider, OidcSettings, account_sync_at_login
from sas_web.tls import ClientCertH11Protocol
from tests.web.conftest import Pki
from tests.web.sso_support import DEV_PASSWORD, Browser, query_of

CLIENT_ID = "acme-agenda"
CLIENT_SECRET = "acme-agenda-secret-0123456789"


class Listener:
    """A test plugin: what the platform's outbox tells appointment listeners."""

    def __init__(self) -> None:
        self.told: list[AppointmentEvent] = []

    @hookimpl
    async def sas_appointment_reported(self, event: AppointmentEvent) -> None:
        self.told.append(event)


@dataclass
class World:
    platform_vendor: AsgiServer
    platform_browser: AsgiServer
    simulator: SimulatorServer
    provider: OidcProvider
    host: PluginHost
    directory: FileAdapterDirectory
    listener: Listener
    regulator: Regulator
    dataset: Dataset
    vendor_cert: str

    @property
    def issuer(self) -> str:
        return f"{self.platform_browser.root_url}/realms/sas"


def trust(pki: Pki) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(pki.ca_file))


@pytest.fixture
def world(engine: Engine, pki: Pki) -> Iterator[World]:
    regulator = add_regulator(
        engine,
        family="Martin",
        given="Claire",
        email="claire.martin@sas.example",
        territory="SAS-33",
        national_id="3456780581/11242343",
    )
    host = PluginHost.discover(allow=["sas-fhir"])
    listener = Listener()
    host.pm.register(listener, name="test-listener")
    directories: list[FileAdapterDirectory] = []

    async def sync_accounts(who: Regulator) -> object:
        # The simulator's URL, hence the adapter, is known once it listens (below).
        return await account_sync_at_login(engine, host, directories[0])(who)

    provider = OidcProvider(
        engine,
        {},
        OidcSettings(login="local", development=True, dev_password=SecretStr(DEV_PASSWORD)),
        on_login=sync_accounts,
    )
    app = create_app(
        identity=pki.allow_list(),
        engine=engine,
        oidc=provider,
    )
    vendor_cert = str(pki.client("acme", "acme-lga", "ACME"))
    platform_vendor = AsgiServer(app, tls=pki.tls, http_protocol=ClientCertH11Protocol)
    platform_browser = AsgiServer(
        app, tls=ServerTls(pki.server_chain, pki.server_chain), lifespan=False
    )
    dataset = build_dataset(practitioners=2)
    with platform_vendor, platform_browser:
        simulator = SimulatorServer(
            create_simulator(
                dataset,
                sso=VendorSsoSettings(
                    f"{platform_browser.root_url}/realms/sas",
                    CLIENT_ID,
                    CLIENT_SECRET,
                    verify=trust(pki),
                ),
                reporting=ReportSettings(
                    platform_vendor.base_url,
                    pki.client("acme", "acme-lga", "ACME"),
                    None,
                    pki.ca_file,
                ),
            ),
            tls=ServerTls(pki.server_chain, pki.server_chain),
        )
        with simulator:
            provider.clients[CLIENT_ID] = OidcClient(
                CLIENT_ID, "ACME agenda", (f"{simulator.root_url}/callback",), CLIENT_SECRET
            )
            directories.append(
                parse_adapters(
                    {
                        "adapters": {
                            "acme": {
                                "plugin": "sas-fhir",
                                "territories": ["SAS-33"],
                                "settings": {
                                    "base_url": simulator.base_url,
                                    "ca_bundle": str(pki.ca_file),
                                },
                            }
                        }
                    },
                    host,
                )
            )
            yield World(
                platform_vendor,
                platform_browser,
                simulator,
                provider,
                host,
                directories[0],
                listener,
                regulator,
                dataset,
                vendor_cert,
            )


def wait_for(check: Any, timeout_s: float = 10) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_regulator_books_at_the_vendor_and_the_platform_hears_of_it(
    world: World, pki: Pki, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = Browser(trust(pki))
    # 1. The regulator logs in to the platform (development login).
    form = browser.get(f"{world.issuer}/login-actions/authenticate")
    assert form.status_code == 200 and "développement" in form.text
    logged = browser.log_in(form, world.regulator.email)
    assert logged.status_code == 302
    session = browser.http.cookies.jar
    cookie = next(c for c in session if c.name == "SAS_SESSION")
    assert cookie.secure and cookie.has_nonstandard_attr("HttpOnly")
    account = browser.follow(logged)
    assert account.status_code == 200 and "Claire Martin" in account.text

    # 2. The login synchronised the regulator's account at the vendor (INT_R02).
    accounts = wait_for(
        lambda: (
            httpx.get(f"{world.simulator.root_url}/_sim/accounts", verify=trust(pki))
            .json()
            .get("accounts")
        )
    )
    assert any("11242343" in str(a) for a in accounts)

    # 3. The regulator picks a slot the platform fetched; the core builds the redirect with
    #    this environment's origin.
    practitioner = world.dataset.practitioners[0]
    adapter = world.directory.adapter_named("acme")
    assert adapter is not None
    now = datetime.now(UTC)
    query = SlotQuery(
        window=SearchWindow(start=now, end=now + timedelta(hours=48)),
        practitioners=(practitioner.idnps,),
    )
    batch = anyio.run(lambda: fetch_lot(world.host, adapter, query))
    slot = next(s for s in batch.slots if s.booking_url)
    monkeypatch.setenv("SAS_ORIGIN", "sas-preprod")
    redirect = sso_redirect(world.host, adapter, world.regulator, slot)
    assert query_of(redirect.url)["origin"] == "sas-preprod"

    # 4. The vendor has no session: it sends the browser to the platform's realm (scenario 2).
    at_vendor = browser.get(redirect.url)
    assert at_vendor.status_code == 302
    authorize_url = at_vendor.headers["location"]
    assert authorize_url.startswith(f"{world.issuer}/protocol/openid-connect/auth?")
    params = query_of(authorize_url)
    assert params["client_id"] == CLIENT_ID
    assert params["code_challenge_method"] == "S256"
    assert {"state", "nonce", "code_challenge"} <= set(params)

    # 5. Already logged in: the realm answers at once with a code (scenario 3).
    silent = browser.follow(at_vendor)
    assert silent.status_code == 302
    assert silent.headers["location"].startswith(f"{world.simulator.root_url}/callback?code=")

    # 6. The callback redeems the code on the back channel and opens the vendor session.
    callback = browser.follow(silent)
    assert callback.status_code == 302
    booking_page = browser.follow(callback)
    assert booking_page.status_code == 200, booking_page.text
    assert "Claire Martin" in booking_page.text
    assert f"value='{slot.id}'" in booking_page.text

    # 7. Booking: the vendor reports the appointment to the platform over mTLS (INT_R03).
    booked = browser.post(
        f"{world.simulator.root_url}/agenda/{practitioner.id}/book",
        data={"slot": slot.id, "origin": "sas-preprod"},
    )
    assert booked.status_code == 200, booked.text
    assert re.search(r"HTTP 201 https://127\.0\.0\.1:\d+/fhir/Appointment/", booked.text)
    [booking] = httpx.get(f"{world.simulator.root_url}/_sim/bookings", verify=trust(pki)).json()
    operator = booking["resource"]["extension"][0]["valueReference"]["identifier"]
    assert (operator["system"], operator["value"]) == (
        "urn:oid:1.2.250.1.71.4.2.1",
        "3456780581/11242343",
    )

    # 8. Stored on the platform, readable by that vendor only, over mTLS.
    identifier = booking["resource"]["identifier"][0]
    context = trust(pki)
    context.load_cert_chain(world.vendor_cert)
    found = httpx.get(
        f"{world.platform_vendor.base_url}/Appointment",
        params={"identifier": f"{identifier['system']}|{identifier['value']}"},
        verify=context,
    ).json()
    assert found["total"] == 1
    assert found["entry"][0]["resource"]["status"] == "booked"

    # 9. The outbox tells the listeners.
    report = asyncio.run(dispatch_outbox(engine, world.host))
    assert report.delivered == 1
    [event] = world.listener.told
    assert event.appointment.status == "booked"
    browser.close()


def test_the_browser_listener_asks_no_client_certificate_and_fhir_still_requires_one(
    world: World, pki: Pki
) -> None:
    answer = httpx.get(
        f"{world.platform_browser.root_url}/fhir/Appointment",
        params={"identifier": "urn:x|1"},
        verify=trust(pki),
    )
    assert answer.status_code == 403
    with pytest.raises(httpx.HTTPError):
        httpx.get(
            f"{world.issuer}/.well-known/openid-configuration".replace(
                world.platform_browser.root_url, world.platform_vendor.root_url
            ),
            verify=trust(pki),
        )


def test_kit_scenarios_at_the_simulator(world: World, pki: Pki) -> None:
    practitioner = world.dataset.practitioners[0]
    url = f"{world.simulator.root_url}/agenda/{practitioner.id}"
    browser = Browser(trust(pki))
    # Scenario 1: no origin → refused, and nothing of the agenda shown.
    refused = browser.get(url)
    assert refused.status_code == 403
    assert "origin" in refused.text and practitioner.family not in refused.text
    # Scenario 2: origin, not logged in at the platform → the realm's authorize endpoint, then
    # its login page (not a code).
    sent = browser.get(url, params={"origin": "sas-preprod"})
    assert sent.status_code == 302
    assert sent.headers["location"].startswith(f"{world.issuer}/protocol/openid-connect/auth?")
    login = browser.follow(browser.follow(sent))
    assert login.status_code == 200 and "password" in login.text
    # ... after logging in, the flow resumes to the booking page.
    back = browser.follow(browser.log_in(login, world.regulator.email))
    page = browser.follow(browser.follow(back))
    assert page.status_code == 200 and practitioner.family in page.text
    # Scenario 3: already logged in at the platform, new vendor browser session → straight
    # through (the realm does not show its login page).
    browser.http.cookies.delete("sim_session")
    hop = browser.follow(browser.get(url, params={"origin": "sas"}))
    assert hop.headers["location"].startswith(f"{world.simulator.root_url}/callback?code=")
    landed = browser.follow(browser.follow(hop))
    assert landed.status_code == 200 and practitioner.family in landed.text
    # A forged callback (state not bound to this browser) is refused.
    forged = browser.get(f"{world.simulator.root_url}/callback", params={"code": "x", "state": "y"})
    assert forged.status_code == 401
    browser.close()
