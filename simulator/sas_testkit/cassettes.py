"""Recorded exchanges with the simulator (vcrpy cassettes), scrubbed before they are written.

A plugin's regression tests replay them with record mode "none": no socket, every interaction
played. Recording runs the plugin against a fresh simulator and scrubs what it saves: the
simulator's `http://127.0.0.1:<port>` becomes `https://vendor.example` (URIs, bodies, header
values such as `Location`), identifying and secret
headers (Host, User-Agent, Authorization, cookies, Date, Server) are dropped, and `redact`, when
given, rewrites every request and response body — the place to blank out personal data (a
regulator's e-mail in INT_R02, a patient in INT_R03) before it reaches the repository.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, Literal
from unittest.mock import patch

import vcr
from vcr.request import Request as VcrRequest
from vcr.serializers import yamlserializer

from sas_core import AdapterConfig, SearchWindow, SlotBatch, SlotQuery
from sas_core.fhir import FhirEndpointSettings
from sas_simulator.app import create_app
from sas_simulator.dataset import Dataset, build_dataset
from sas_simulator.faults import Faults
from sas_simulator.server import SimulatorServer

#: Set to 1 to re-record every cassette of the session instead of replaying them.
RECORD_ENV = "SAS_RECORD_CASSETTES"
#: What the vendor's root looks like in cassettes, whatever port the simulator had.
PLACEHOLDER_ROOT = "https://vendor.example"
PLACEHOLDER_BASE = f"{PLACEHOLDER_ROOT}/fhir"
DROPPED_REQUEST_HEADERS = ("host", "user-agent", "authorization", "cookie")
DROPPED_RESPONSE_HEADERS = frozenset({"date", "server", "set-cookie", "authorization", "cookie"})

#: Rewrites a recorded body (bytes in, bytes out) before it is saved.
Redact = Callable[[bytes], bytes]


def recorder(real_root: str | None = None, *, redact: Redact | None = None) -> vcr.VCR:
    """A VCR matching on method + path + query that scrubs what it records: `real_root` (the
    simulator's `http://127.0.0.1:<port>`) becomes PLACEHOLDER_ROOT in URIs and bodies,
    identifying headers are dropped, and every body goes through `redact`."""

    def scrub_body(body: Any) -> Any:
        if not isinstance(body, bytes):
            return body
        if real_root is not None:
            body = body.replace(real_root.encode(), PLACEHOLDER_ROOT.encode())
        return redact(body) if redact is not None else body

    def scrub_request(request: VcrRequest) -> VcrRequest:
        if real_root is not None:
            request.uri = request.uri.replace(real_root, PLACEHOLDER_ROOT)
        request.body = scrub_body(request.body)
        return request

    def scrub_header(values: list[str]) -> list[str]:
        if real_root is None:
            return values
        return [v.replace(real_root, PLACEHOLDER_ROOT) for v in values]

    def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
        # Header values too: a write's answer names the real root in `Location` (digest §7).
        headers = {
            k: scrub_header(v)
            for k, v in response["headers"].items()
            if k.lower() not in DROPPED_RESPONSE_HEADERS
        }
        body = scrub_body(response["body"]["string"])
        if isinstance(body, bytes):
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
    """A cassette file's content: `interactions`, each with its `request` and `response`."""
    loaded: dict[str, Any] = yamlserializer.deserialize(text)
    return loaded


@dataclass(frozen=True)
class Case:
    """One recorded exchange: its name (the cassette's file stem) and the simulator's faults."""

    name: str
    faults: dict[str, Any]
    #: How many of the recorded identifiers the lot names; 0: an unknown one instead.
    known: int = 1


@dataclass(frozen=True)
class Cassettes:
    """One plugin's recorded slot searches against the simulator, and how to record and replay
    them. For plugins built on the core's `FhirExchange` (its `clock` is frozen at the recording
    time on replay).

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
    #: Rewrites every recorded body (see `recorder`).
    redact: Redact | None = None

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
                    recorder(server.root_url, redact=self.redact).use_cassette(
                        str(path), record_mode="all"
                    ),
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
            assert_no_secrets(path.read_text(), path.name)
            for interaction in load_cassette(path.read_text())["interactions"]:
                request = interaction["request"]
                assert request["uri"].startswith(f"{PLACEHOLDER_BASE}/{self.resource}?")


def assert_no_secrets(text: str, name: str = "cassette") -> None:
    """A cassette's text names no key, certificate, loopback host or port, and carries none of
    the headers the recorder drops."""
    for marker in ("BEGIN", "PRIVATE KEY", "CERTIFICATE-----", "127.0.0.1", "localhost"):
        assert marker not in text, f"{name} contains {marker!r}"
    assert not re.search(r"https?://[^/\s\"']+:\d+", text), f"{name} names a port"
    for interaction in load_cassette(text)["interactions"]:
        request, response = interaction["request"], interaction["response"]
        sent = {k.lower() for k in request["headers"]}
        got = {k.lower() for k in response["headers"]}
        assert not sent & set(DROPPED_REQUEST_HEADERS), name
        assert not got & DROPPED_RESPONSE_HEADERS, name
