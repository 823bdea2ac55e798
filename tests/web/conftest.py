"""Fixtures for the platform's web app: a real server on a loopback socket, a test PKI."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from sqlalchemy.engine import Engine

from sas_core.accounts.models import Regulator
from sas_core.accounts.regulators import add_regulator
from sas_core.serving.server import AsgiServer, ServerTls
from sas_core.storage import create_engine_for, upgrade
from sas_web import CertificateAllowList, DevelopmentVendor, VendorIdentity, create_app
from sas_web.tls import ClientCertH11Protocol

OPERATOR_EXT = "http://interopsante.org/fhir/StructureDefinition/FrAppointmentOperator"
FR_V2_0203 = "http://interopsante.org/fhir/CodeSystem/fr-v2-0203"
VENDOR_SYSTEM = "urn:oid:1.2.250.1.999.1"


def appointment(value: str = "a-1", status: str = "booked", **changes: Any) -> dict[str, Any]:
    """A valid FrAppointmentSAS, written here so the suite needs no IG package."""
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "meta": {"profile": ["http://sas.fr/fhir/StructureDefinition/FrAppointmentSAS"]},
        "extension": [
            {
                "url": OPERATOR_EXT,
                "valueReference": {
                    "identifier": {
                        "type": {"coding": [{"system": FR_V2_0203, "code": "INTRN"}]},
                        "system": "urn:oid:1.2.250.1.213.3.6",
                        "value": "b6e39355-8a61-4556-b340-36f7b95fec6a",
                    }
                },
            }
        ],
        "identifier": [{"system": VENDOR_SYSTEM, "value": value}],
        "status": status,
        "start": "2026-12-01T10:00:00.000+01:00",
        "end": "2026-12-01T10:15:00.000+01:00",
        "created": "2026-11-30T18:00:00.000+01:00",
        "participant": [
            {
                "actor": {
                    "identifier": {
                        "type": {"coding": [{"system": FR_V2_0203, "code": "IDNPS"}]},
                        "system": "urn:oid:1.2.250.1.71.4.2.1",
                        "value": "810100050075",
                    }
                },
                "status": "accepted",
            }
        ],
    }
    resource.update(changes)
    return copy.deepcopy(resource)


def sos_pending(value: str = "sos-1") -> dict[str, Any]:
    """A sas-sos-appointment awaiting its PS (the shape of main's Appointment-12345678)."""
    resource = appointment(value, status="pending")
    resource["meta"] = {
        "profile": [
            "https://interop.esante.gouv.fr/ig/fhir/sas/StructureDefinition/sas-sos-appointment"
        ]
    }
    resource["participant"] = [
        {
            "type": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                            "code": "ADM",
                        }
                    ]
                }
            ],
            "status": "needs-action",
        }
    ]
    return resource


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database at the head revision, migrated once for the session."""
    path = tmp_path_factory.mktemp("migrated") / "web.sqlite3"
    db = create_engine_for(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    return path


@pytest.fixture
def engine(tmp_path: Path, migrated_sqlite: Path) -> Iterator[Engine]:
    """The test's own empty, migrated SQLite database: a copy of the session's, the same file
    `upgrade` would give, without running the migrations again for every test."""
    path = tmp_path / "web.sqlite3"
    shutil.copyfile(migrated_sqlite, path)
    db = create_engine_for(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture
def regulator(engine: Engine) -> Regulator:
    """An active regulator of the realm's tests, with a national id."""
    return add_regulator(
        engine,
        family="Martin",
        given="Claire",
        email="claire.martin@sas.example",
        territory="SAS-33",
        national_id="3456780581/11242343",
    )


def serve(
    engine: Engine,
    identity: VendorIdentity | None = None,
    tls: ServerTls | None = None,
    **options: Any,
) -> AsgiServer:
    app = create_app(
        identity=identity or DevelopmentVendor(),
        engine=engine,
        **options,
    )
    return AsgiServer(app, tls=tls, http_protocol=ClientCertH11Protocol)


@pytest.fixture
def dev_server(engine: Engine) -> Iterator[AsgiServer]:
    with serve(engine) as server:
        yield server


class Pki:
    """An IGC-Santé-shaped test PKI: one CA for vendors' client certificates, one stranger CA."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ca = trustme.CA(organization_unit_name="IGC-SANTE TEST")
        self.other_ca = trustme.CA()
        server = self.ca.issue_cert("127.0.0.1", "localhost")
        self.server_chain = self._write("server.pem", server.private_key_and_cert_chain_pem)
        self.ca_file = self._write("ca.pem", self.ca.cert_pem)

    def _write(self, name: str, blob: trustme.Blob) -> Path:
        path = self.root / name
        blob.write_to_path(str(path))
        return path

    def client(
        self, name: str, cn: str, ou: str, *, ca: trustme.CA | None = None, **kw: Any
    ) -> Path:
        cert = (ca or self.ca).issue_cert(
            f"{name}.example", common_name=cn, organization_unit_name=ou, **kw
        )
        return self._write(f"{name}.pem", cert.private_key_and_cert_chain_pem)

    @property
    def tls(self) -> ServerTls:
        return ServerTls(self.server_chain, self.server_chain, self.ca_file)

    def allow_list(self) -> CertificateAllowList:
        from sas_web import VendorRule

        return CertificateAllowList(
            [VendorRule("acme", "acme-lga", "ACME"), VendorRule("globex", "globex-lga")]
        )


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))
