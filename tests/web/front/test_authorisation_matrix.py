"""Every route of the app × every role, over a real socket: the expected answer is data here,
so a route added without an entry fails `test_the_matrix_covers_every_route`.

Roles: anonymous (a browser without a session), regulator and admin (logged in through the
realm), vendor (a client certificate forwarded by the trusted TLS-terminating proxy, and no
front session). Litestar's automatic OPTIONS answers carry no data (checked for every route).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy.engine import Engine

from sas_core.accounts.models import Regulator
from sas_core.registry import changes
from sas_core.serving.server import AsgiServer
from sas_web import CertificateAllowList, VendorRule, create_app
from sas_web.front.settings import FrontSettings
from sas_web.oidc import OidcProvider
from tests.web.conftest import Pki
from tests.web.front.conftest import ADMIN_EMAIL, FrontBrowser
from tests.web.test_oidc_provider import dev_settings

ROLES = ("anonymous", "regulator", "admin", "vendor")
#: What a path's parameters are filled with.
PARAMETERS = {
    "{appointment_id:str}": "unknown",
    "{code:str}": "SAS-33",
    "{adapter:str}": "editeur-b",
    "{file_path:path}": "app/app.css",
    "{path:str}": "swagger",
}
#: Query strings some routes are called with.
QUERIES = {
    "/fhir/Appointment": "identifier=urn:x|1",
    "/recherche": "lieu=Bordeaux",
    "/recherche/resultats": "lieu=Bordeaux&affichage=tous",
    "/sas/recherche": "origin=lrm-inconnu&inseecode=33063",
    "/api/v1/search": "lieu=Bordeaux",
    "/lieux": "lieu=bord",
    "/api/v1/geocode": "q=Bordeaux",
    "/api/v1/places": "q=bord",
}
R = 302  # to the login
A = (200, 400, 401, 404, 422)  # anything but a server error: the realm's or vendor's own rules
MATRIX: dict[tuple[str, str], tuple[object, object, object, object]] = {
    #                                             anonymous regulator admin vendor
    ("GET", "/fhir/metadata"): (200, 200, 200, 200),
    ("GET", "/fhir/Appointment"): (403, 403, 403, 200),
    ("POST", "/fhir/Appointment"): (403, 403, 403, 415),
    ("PUT", "/fhir/Appointment"): (403, 403, 403, 415),
    ("GET", "/fhir/Appointment/{appointment_id:str}"): (403, 403, 403, 404),
    # The realm: its own authentication (sessions, client credentials, tokens).
    ("GET", "/realms/sas/account"): (302, 200, 200, 302),
    ("GET", "/realms/sas/protocol/openid-connect/auth"): (400, 400, 400, 400),
    ("GET", "/realms/sas/broker/psc/endpoint"): (400, 400, 400, 400),
    ("GET", "/realms/sas/protocol/openid-connect/certs"): (200, 200, 200, 200),
    ("GET", "/realms/sas/.well-known/openid-configuration"): (200, 200, 200, 200),
    ("GET", "/realms/sas/login-actions/authenticate"): (200, 200, 200, 200),
    ("POST", "/realms/sas/login-actions/authenticate"): (401, 401, 401, 401),
    ("GET", "/realms/sas/protocol/openid-connect/logout"): (200, 200, 200, 200),
    ("POST", "/realms/sas/protocol/openid-connect/logout"): (200, 200, 200, 200),
    ("POST", "/realms/sas/protocol/openid-connect/token"): (A, A, A, A),
    ("GET", "/realms/sas/protocol/openid-connect/userinfo"): (401, 401, 401, 401),
    ("POST", "/realms/sas/protocol/openid-connect/userinfo"): (401, 401, 401, 401),
    # The front.
    ("GET", "/"): (200, 200, 200, 200),
    ("GET", "/lieux"): (R, 200, 200, R),
    ("GET", "/recherche"): (R, 200, 200, R),
    ("GET", "/recherche/resultats"): (R, 200, 200, R),
    # The LRM's entry (INT_L01): an origin no LRM registered is refused.
    ("GET", "/sas/recherche"): (R, 403, 403, R),
    ("GET", "/rendez-vous"): (R, 200, 200, R),
    ("GET", "/admin"): (R, 403, 200, R),
    ("GET", "/admin/territoires"): (R, 403, 303, R),
    ("GET", "/admin/territoires/{code:str}/{adapter:str}"): (R, 403, 200, R),
    ("POST", "/admin/territoires/{code:str}/{adapter:str}"): (R, 403, 400, R),
    ("GET", "/admin/regulateurs"): (R, 403, 200, R),
    ("GET", "/admin/rendez-vous"): (R, 403, 200, R),
    ("GET", "/health"): (200, 200, 200, 200),
    ("GET", "/api/v1/geocode"): (401, 200, 200, 401),
    ("GET", "/api/v1/places"): (401, 200, 200, 401),
    ("GET", "/api/v1/search"): (401, 200, 200, 401),
    ("GET", "/api/v1/appointments"): (401, 200, 200, 401),
    ("GET", "/api/v1/registry"): (401, 403, 200, 401),
    ("GET", "/api/v1/registry/health"): (401, 403, 200, 401),
    ("GET", "/connexion"): (302, 302, 302, 302),
    # After `/connexion` above: a login under way, whose state this callback lacks.
    ("GET", "/connexion/retour"): (401, 401, 401, 401),
    ("GET", "/static/{version}/{file_path:path}"): (200, 200, 200, 200),
    ("HEAD", "/static/{version}/{file_path:path}"): (200, 200, 200, 200),
    ("GET", "/schema/openapi.json"): (200, 200, 200, 200),
    ("GET", "/schema"): (A, A, A, A),
    ("GET", "/schema/{path:str}"): (404, 404, 404, 404),
    # Last: it ends the session.
    ("POST", "/deconnexion"): (302, 302, 302, 302),
}
VENDOR_CN = "acme-lga"


def pattern(path: str) -> str:
    """The route's path with the static files' version as a name (it changes with them)."""
    return re.sub(r"^/static/[0-9a-f]{12}/", "/static/{version}/", path)


@pytest.fixture
def served(
    engine: Engine,
    regulator: Regulator,
    admin: Regulator,
    pki: Pki,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[AsgiServer, object]]:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    changes.configure(
        engine, _plugins(), "editeur-b", plugin="sas-fhir",
        settings={"base_url": "http://127.0.0.1:9/fhir"}, actor="test", reason="matrix",
    )  # fmt: skip
    app = create_app(
        identity=CertificateAllowList(
            [VendorRule("acme", VENDOR_CN, "ACME")], trusted_proxies=["127.0.0.1/32"]
        ),
        engine=engine,
        oidc=OidcProvider(engine, {}, dev_settings()),
        secure_cookies=False,
        front_settings=FrontSettings(admins=(ADMIN_EMAIL,)),
    )
    with AsgiServer(app) as server:
        yield server, app


def _plugins():  # type: ignore[no-untyped-def]
    from sas_core.plugins.host import PluginHost

    return PluginHost.discover()


def routes_of(app: object) -> set[tuple[str, str]]:
    return {
        (method, pattern(route.path))
        for route in app.routes  # type: ignore[attr-defined]
        for method in route.methods
        if method != "OPTIONS"
    }


def test_the_matrix_covers_every_route(served: tuple[AsgiServer, object]) -> None:
    _, app = served
    assert routes_of(app) == set(MATRIX), "add the new route to MATRIX with its answers"


def _clients(base: str, pki: Pki, regulator: Regulator) -> dict[str, FrontBrowser]:
    clients = {role: FrontBrowser(base) for role in ROLES}
    clients["regulator"].log_in(regulator.email)
    clients["admin"].log_in(ADMIN_EMAIL)
    cert = pki.ca.issue_cert("acme.example", common_name=VENDOR_CN, organization_unit_name="ACME")
    clients["vendor"].http.headers["X-SSL-Client-Cert"] = quote(
        cert.cert_chain_pems[0].bytes().decode()
    )
    for client in clients.values():
        client.get("/")  # the CSRF cookie, which the front's forms echo
    return clients


def _url(path: str, version: str) -> str:
    url = path.replace("{version}", version)
    for name, value in PARAMETERS.items():
        url = url.replace(name, value)
    query = QUERIES.get(path)
    return f"{url}?{query}" if query else url


def test_every_route_answers_each_role_as_the_matrix_says(
    served: tuple[AsgiServer, object], pki: Pki, regulator: Regulator
) -> None:
    server, app = served
    version = next(
        r.path.split("/")[2]
        for r in app.routes
        if r.path.startswith("/static/")  # type: ignore[attr-defined]
    )
    clients = _clients(server.root_url, pki, regulator)
    found: dict[tuple[str, str], list[int]] = {}
    for method, path in MATRIX:
        row = []
        for role, client in clients.items():
            token = client.http.cookies.get("sas_csrf", "")
            data = (
                {"_csrf_token": token}
                if method == "POST" and not path.startswith(("/fhir", "/realms"))
                else None
            )
            headers = {"Content-Type": "text/plain"} if path.startswith("/fhir") else None
            answer = client.http.request(
                method, server.root_url + _url(path, version), data=data, headers=headers
            )
            row.append(answer.status_code)
            assert answer.status_code < 500, (method, path, role, answer.text[:300])
        found[(method, path)] = row
    wrong = {
        key: (row, MATRIX[key])
        for key, row in found.items()
        if any(
            (got not in want) if isinstance(want, tuple) else got != want
            for got, want in zip(row, MATRIX[key], strict=True)
        )
    }
    assert not wrong, wrong
    for client in clients.values():
        client.close()


def test_options_answers_carry_no_data(served: tuple[AsgiServer, object]) -> None:
    server, app = served
    for route in app.routes:  # type: ignore[attr-defined]
        if "OPTIONS" in route.methods:
            path = route.path
            for name, value in {**PARAMETERS, "{version}": "x"}.items():
                path = path.replace(name, value)
            answer = httpx.options(server.root_url + path)
            assert answer.status_code == 204, (route.path, answer.status_code)
            assert answer.content == b""
