"""SSO-01 and SSO-02 against the simulator delegating its login to a realm (digest §8.2): only
the realm's discovery document is needed, since the checker follows no redirect."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from sas_core.conformance import Status, run
from sas_simulator.app import create_app
from sas_simulator.dataset import Dataset
from sas_simulator.server import SimulatorServer
from sas_simulator.sso import VendorSsoSettings


@pytest.fixture
def realm() -> Iterator[str]:
    """An issuer URL whose discovery document names its authorization endpoint."""
    issuer: list[str] = []

    class Discovery(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(
                {
                    "issuer": issuer[0],
                    "authorization_endpoint": f"{issuer[0]}/protocol/openid-connect/auth",
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Discovery)
    issuer.append(f"http://127.0.0.1:{server.server_address[1]}/realms/sas")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield issuer[0]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("mode", ["ps", "sos"])
def test_the_booking_url_refuses_without_origin_and_sends_to_the_realm_with_it(
    realm: str, sas_dataset: Dataset, mode: str
) -> None:
    app = create_app(sas_dataset, sso=VendorSsoSettings(realm, "simulateur"))
    with SimulatorServer(app) as server:
        report = run(server.base_url, mode, sso_issuer=realm, only=["SSO-01", "SSO-02"])

    statuses = {r.id: r.status for r in report.results}
    assert statuses == {"SSO-01": Status.PASSED, "SSO-02": Status.PASSED}, report.as_json()
