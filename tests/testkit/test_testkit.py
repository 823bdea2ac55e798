"""The test kit as a plugin's tests meet it: its fixtures on real sockets, and cassettes that
keep neither secrets nor personal data."""

from __future__ import annotations

import json
import ssl
import uuid
from pathlib import Path

import httpx
import pytest

from sas_core import Regulator, SlotQuery
from sas_core.fhir import practitioner_regul, slot_search_params
from sas_simulator.dataset import Dataset
from sas_simulator.server import SimulatorServer
from sas_testkit.cassettes import PLACEHOLDER_BASE, assert_no_secrets, load_cassette, recorder
from sas_testkit.pki import Pki
from sas_testkit.searches import window
from sas_testkit.vendors import mtls_vendor


def test_the_vendor_fixture_serves_the_dataset(
    sas_vendor: SimulatorServer, sas_dataset: Dataset
) -> None:
    statement = httpx.get(f"{sas_vendor.base_url}/metadata")

    assert statement.status_code == 200
    assert statement.json()["resourceType"] == "CapabilityStatement"
    # Seeded, then the acceptance scenarios (3 practitioners, 1 association).
    assert len(sas_dataset.practitioners) == 10 + 3 and len(sas_dataset.sos) == 2 + 1


def test_the_mtls_vendor_requires_the_platforms_certificate(
    sas_pki: Pki, sas_dataset: Dataset
) -> None:
    platform = ssl.create_default_context(cafile=str(sas_pki.vendor_ca))
    platform.load_cert_chain(str(sas_pki.client_cert), str(sas_pki.client_key))
    stranger = ssl.create_default_context(cafile=str(sas_pki.vendor_ca))

    with mtls_vendor(sas_pki, sas_dataset) as server:
        assert httpx.get(f"{server.base_url}/metadata", verify=platform).status_code == 200
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{server.base_url}/metadata", verify=stranger)


def test_a_recorded_search_keeps_no_host_secret_nor_personal_data(
    sas_vendor: SimulatorServer, sas_dataset: Dataset, tmp_path: Path
) -> None:
    practitioner = sas_dataset.practitioners[0]
    cassette = tmp_path / "search.yaml"

    def redact_family(body: bytes) -> bytes:
        return body.replace(practitioner.family.encode(), b"REDACTED")

    with recorder(sas_vendor.root_url, redact=redact_family).use_cassette(
        str(cassette), record_mode="all"
    ):
        found = httpx.get(
            f"{sas_vendor.base_url}/Slot",
            params=slot_search_params(
                SlotQuery(window=window(), practitioners=(practitioner.idnps,))
            ),
            headers={"Authorization": "Bearer s3cret"},
        )

    assert found.status_code == 200 and practitioner.family in found.text
    text = cassette.read_text()
    assert practitioner.family not in text and "s3cret" not in text
    assert_no_secrets(text, cassette.name)
    [interaction] = load_cassette(text)["interactions"]
    assert interaction["request"]["uri"].startswith(f"{PLACEHOLDER_BASE}/Slot?")
    body = interaction["response"]["body"]["string"]
    assert "REDACTED" in body and f"{PLACEHOLDER_BASE}/" in body
    assert interaction["response"]["headers"]["content-length"] == [str(len(body.encode()))]


def test_a_recorded_write_names_no_real_host_in_its_location(
    sas_vendor: SimulatorServer, tmp_path: Path
) -> None:
    email = "jeanne.martin@hopital.example"
    regulator = Regulator(id=uuid.uuid4(), family="MARTIN", given="Jeanne", email=email)
    cassette = tmp_path / "account.yaml"

    with recorder(
        sas_vendor.root_url, redact=lambda body: body.replace(email.encode(), b"x@example.invalid")
    ).use_cassette(str(cassette), record_mode="all"):
        created = httpx.post(
            f"{sas_vendor.base_url}/Practitioner",
            content=json.dumps(practitioner_regul(regulator)),
            headers={"Content-Type": "application/fhir+json"},
        )

    assert created.status_code == 201, created.text
    text = cassette.read_text()
    assert email not in text
    assert_no_secrets(text, cassette.name)
    [interaction] = load_cassette(text)["interactions"]
    [location] = interaction["response"]["headers"]["location"]
    assert location.startswith(f"{PLACEHOLDER_BASE}/Practitioner/")
