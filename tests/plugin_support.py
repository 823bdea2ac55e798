"""Test helpers shared by the vendor plugins' suites (plugins/*/tests): the simulated vendor,
certificates, calling a plugin through the host, and vcrpy cassettes recorded from the simulator
and scrubbed.

Each plugin's tests import this module (`tests` is on pytest's `pythonpath`) rather than copying
it, so every plugin's cassettes are scrubbed and checked the same way. A plugin's conftest
imports the fixtures below (`dataset`, `simulator`, `pki`) to use them.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, Literal
from unittest.mock import patch

import pytest
import trustme
import vcr
from vcr.request import Request as VcrRequest
from vcr.serializers import yamlserializer

from sas_core import AdapterConfig, SearchWindow, SlotBatch, SlotQuery
from sas_core.fhir import FhirEndpointSettings
from sas_core.plugins import PluginHost, resolve
from sas_simulator.app import create_app
from sas_simulator.dataset import Dataset, build_dataset
from sas_simulator.faults import Faults
from sas_simulator.server import ServerTls, SimulatorServer

# -------------------------------------------------------------------------------------------------
# The simulated vendor and certificates
# -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    """The default dataset: practitioners, CPTS and SOS associations (see `build_dataset`)."""
    return build_dataset(seed=42, practitioners=10)


@pytest.fixture
def simulator(dataset: Dataset) -> Iterator[SimulatorServer]:
    """The simulated vendor over plain HTTP on a free port (`.base_url`, `.set_faults`)."""
    with SimulatorServer(create_app(dataset)) as server:
        yield server


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@contextmanager
def mtls_simulator(pki: Pki, dataset: Dataset, *, rogue: bool = False) -> Iterator[SimulatorServer]:
    """The simulator requiring a client certificate signed by the platform's CA; with `rogue`,
    its own certificate comes from a CA the adapter does not trust."""
    cert, key = (
        (pki.rogue_server_cert, pki.rogue_server_key)
        if rogue
        else (pki.server_cert, pki.server_key)
    )
    tls = ServerTls(cert, key, client_ca_file=pki.platform_ca)
    with SimulatorServer(create_app(dataset), tls=tls) as server:
        yield server


@dataclass(frozen=True)
class Pki:
    """Certificates made at test time: a vendor CA, a platform CA, and an untrusted CA."""

    vendor_ca: Path
    server_cert: Path
    server_key: Path
    platform_ca: Path
    client_cert: Path
    client_key: Path
    rogue_server_cert: Path
    rogue_server_key: Path
    rogue_client_cert: Path
    rogue_client_key: Path


def make_pki(root: Path) -> Pki:
    """Issue the certificates with trustme and write them as PEM files under `root`."""
    vendor_ca, platform_ca, rogue_ca = trustme.CA(), trustme.CA(), trustme.CA()
    server = vendor_ca.issue_cert("127.0.0.1", "localhost")
    client = platform_ca.issue_cert(
        common_name="ptf-sas.test", organization_unit_name="PTF SAS", organization_name="ANS"
    )
    rogue = rogue_ca.issue_cert("127.0.0.1", "localhost")
    rogue_client = rogue_ca.issue_cert(common_name="ptf-sas.test")

    def write(name: str, blob: trustme.Blob) -> Path:
        blob.write_to_path(str(root / name))
        return root / name

    return Pki(
        vendor_ca=write("vendor-ca.pem", vendor_ca.cert_pem),
        server_cert=write("server.pem", server.cert_chain_pems[0]),
        server_key=write("server.key", server.private_key_pem),
        platform_ca=write("platform-ca.pem", platform_ca.cert_pem),
        client_cert=write("client.pem", client.cert_chain_pems[0]),
        client_key=write("client.key", client.private_key_pem),
        rogue_server_cert=write("rogue.pem", rogue.cert_chain_pems[0]),
        rogue_server_key=write("rogue.key", rogue.private_key_pem),
        rogue_client_cert=write("rogue-client.pem", rogue_client.cert_chain_pems[0]),
        rogue_client_key=write("rogue-client.key", rogue_client.private_key_pem),
    )


# -------------------------------------------------------------------------------------------------
# Calling a plugin
# -------------------------------------------------------------------------------------------------


def window(hours: int = 48) -> SearchWindow:
    """From now (whole seconds) to `hours` later."""
    now = datetime.now(UTC).replace(microsecond=0)
    return SearchWindow(start=now, end=now + timedelta(hours=hours))


async def fetch(host: PluginHost, adapter: AdapterConfig, query: SlotQuery) -> SlotBatch:
    """`sas_fetch_slots` on the plugin owning `adapter`, as the fan-out calls it."""
    [answer] = host.hooks.sas_fetch_slots(adapter, query)
    batch = await resolve(answer)
    assert isinstance(batch, SlotBatch)
    return batch


# -------------------------------------------------------------------------------------------------
# Cassettes
# -------------------------------------------------------------------------------------------------

RECORD_ENV = "SAS_RECORD_CASSETTES"
#: What the vendor's root looks like in cassettes, whatever port the simulator had.
PLACEHOLDER_ROOT = "https://vendor.example"
PLACEHOLDER_BASE = f"{PLACEHOLDER_ROOT}/fhir"
DROPPED_REQUEST_HEADERS = ("host", "user-agent", "authorization", "cookie")
DROPPED_RESPONSE_HEADERS = frozenset({"date", "server", "set-cookie", "authorization", "cookie"})


def recorder(real_root: str | None = None) -> vcr.VCR:
    """A VCR matching on method + path + query that scrubs what it records: the simulator's
    `http://127.0.0.1:<port>` becomes PLACEHOLDER_ROOT, and identifying headers are dropped."""

    def scrub_request(request: VcrRequest) -> VcrRequest:
        if real_root is not None:
            request.uri = request.uri.replace(real_root, PLACEHOLDER_ROOT)
        return request

    def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
        headers = {
            k: v
            for k, v in response["headers"].items()
            if k.lower() not in DROPPED_RESPONSE_HEADERS
        }
        body = response["body"]["string"]
        if real_root is not None and isinstance(body, bytes):
            body = body.replace(real_root.encode(), PLACEHOLDER_ROOT.encode())
            for name in headers:
                if name.lower() == "content-length":
                    headers[name] = [str(len(body))]
        return {**response, "headers": headers, "body": {"string": body}}

    return vcr.VCR(
        serializer="yaml",
        match_on=["method", "path", "query"],
        filter_headers=list(DROPPED_REQUEST_HEADERS),
        before_record_request=scrub_request,
        before_record_response=scrub_response,
        decode_compressed_response=True,
    )


def load_cassette(text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yamlserializer.deserialize(text)
    return loaded


@dataclass(frozen=True)
class Case:
    name: str
    faults: dict[str, Any]
    #: How many of the recorded identifiers the lot names; 0: an unknown one instead.
    known: int = 1


@dataclass(frozen=True)
class Cassettes:
    """One plugin's recorded exchanges with the simulator, and how to record and replay them.

    `recording.json` keeps the window, identifiers and time of the recording, since the simulated
    agenda is anchored to the hour it was generated and requests are matched on their query.
    """

    folder: Path
    plugin: ModuleType
    plugin_name: str
    #: The `GET [base]/<resource>` the plugin sends.
    resource: str
    #: Whether the plugin's lots name practitioners or structures.
    kind: Literal["practitioners", "structures"]
    #: The identifiers recorded as known, drawn from the dataset.
    known: Callable[[Dataset], list[str]]
    #: A shape-valid identifier the simulator does not know.
    unknown: str
    cases: tuple[Case, ...]
    settings_schema: type[FhirEndpointSettings] = FhirEndpointSettings

    @property
    def recording_file(self) -> Path:
        return self.folder / "recording.json"

    def path(self, case: str) -> Path:
        return self.folder / f"{case}.yaml"

    def case(self, name: str) -> Case:
        [found] = [c for c in self.cases if c.name == name]
        return found

    def query(self, case: Case, recording: dict[str, Any]) -> SlotQuery:
        lot = tuple(recording["known"][: case.known]) or (self.unknown,)
        span = SearchWindow(start=recording["start"], end=recording["end"])
        return SlotQuery.model_validate({"window": span, self.kind: lot})

    def adapter(self, base_url: str) -> AdapterConfig:
        return AdapterConfig(
            name="vendor-test",
            plugin=self.plugin_name,
            timeout_s=5,
            settings=self.settings_schema(base_url=base_url),
        )

    def load(self) -> dict[str, Any]:
        """The recording, re-recorded first when SAS_RECORD_CASSETTES=1 (a module fixture)."""
        if os.environ.get(RECORD_ENV) == "1":
            asyncio.run(self.record_all())
        if not self.recording_file.exists():
            raise AssertionError(f"no cassettes in {self.folder}: record them with {RECORD_ENV}=1")
        loaded: dict[str, Any] = json.loads(self.recording_file.read_text())
        return loaded

    async def record_all(self) -> None:
        """Run every case against a fresh simulator and save scrubbed cassettes."""
        now = datetime.now(UTC).replace(microsecond=0)
        dataset = build_dataset(seed=42, practitioners=10, now=now)
        recording = {
            "recorded_at": now.isoformat(),
            "start": now.isoformat(),
            "end": (now + timedelta(hours=48)).isoformat(),
            "known": self.known(dataset),
        }
        self.folder.mkdir(exist_ok=True)
        with SimulatorServer(create_app(dataset, public_base=PLACEHOLDER_ROOT)) as server:
            adapter = self.adapter(server.base_url)
            for case in self.cases:
                server.set_faults(Faults(**case.faults))
                path = self.path(case.name)
                path.unlink(missing_ok=True)
                with (
                    patch.object(self.plugin.exchange, "clock", lambda: now),
                    recorder(server.root_url).use_cassette(str(path), record_mode="all"),
                ):
                    await self.plugin.sas_fetch_slots(adapter, self.query(case, recording))
                await self.plugin.exchange.close(adapter.name)
        self.recording_file.write_text(json.dumps(recording, indent=2) + "\n")

    async def replay(self, name: str, recording: dict[str, Any]) -> SlotBatch:
        """The case replayed with record mode "none": no socket, every interaction played."""
        adapter = self.adapter(PLACEHOLDER_BASE)
        recorded_at = datetime.fromisoformat(recording["recorded_at"])
        try:
            with (
                patch.object(self.plugin.exchange, "clock", lambda: recorded_at),
                recorder().use_cassette(str(self.path(name)), record_mode="none") as cassette,
            ):
                batch = await self.plugin.sas_fetch_slots(
                    adapter, self.query(self.case(name), recording)
                )
                assert cassette.all_played
        finally:
            await self.plugin.exchange.close(adapter.name)
        assert isinstance(batch, SlotBatch)
        return batch

    def recorded_body(self, name: str) -> dict[str, Any]:
        """The first recorded answer of a case, as JSON."""
        recorded = load_cassette(self.path(name).read_text())
        body: dict[str, Any] = json.loads(recorded["interactions"][0]["response"]["body"]["string"])
        return body

    def assert_scrubbed(self) -> None:
        """One cassette per case, and none names a real host, a port, a key or a certificate."""
        files = sorted(self.folder.glob("*.yaml"))
        assert {f.stem for f in files} == {c.name for c in self.cases}
        for path in files:
            text = path.read_text()
            for marker in ("BEGIN", "PRIVATE KEY", "CERTIFICATE-----", "127.0.0.1", "localhost"):
                assert marker not in text, f"{path.name} contains {marker!r}"
            assert not re.search(r"https?://[^/\s\"']+:\d+", text), f"{path.name} names a port"
            for interaction in load_cassette(text)["interactions"]:
                request, response = interaction["request"], interaction["response"]
                assert request["uri"].startswith(f"{PLACEHOLDER_BASE}/{self.resource}?")
                sent = {k.lower() for k in request["headers"]}
                got = {k.lower() for k in response["headers"]}
                assert not sent & set(DROPPED_REQUEST_HEADERS), path.name
                assert not got & DROPPED_RESPONSE_HEADERS, path.name
