"""The contract of issue #13: `sas conformance --base URL` against the simulator exits 0 with a
last line `N passed, 0 failed` (N > 0) in every mode; against a faulty simulator it exits 1, each
fault caught by the check expected; bad input is a failed check or exit 2, never a traceback."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from sas_core.conformance import Report, Status, run
from sas_simulator.faults import Faults
from sas_simulator.server import SimulatorServer

from .conftest import Conformance, last_line

SUMMARY = re.compile(r"(\d+) passed, (\d+) failed")


@pytest.mark.parametrize("mode", ["ps", "cpts", "sos"])
def test_the_simulator_passes_every_check_in_every_mode(
    sas_vendor: SimulatorServer, conformance: Conformance, mode: str
) -> None:
    result = conformance("--base", sas_vendor.base_url, "--mode", mode)

    assert result.exit_code == 0, result.output
    passed, failed = map(int, SUMMARY.fullmatch(last_line(result)).groups())  # type: ignore[union-attr]
    assert passed > 0 and failed == 0
    assert "FAIL" not in result.output
    # One line per check, with its id; checks of another mode say they were skipped.
    assert re.search(r"^PASS SRCH-01 ", result.output, re.MULTILINE)
    assert re.search(r"^SKIP \S+ .*does not apply to mode", result.output, re.MULTILINE)


@pytest.mark.parametrize(
    ("faults", "caught_by", "cause"),
    [
        (Faults(mode="http-500"), "SRCH-01", "HTTP 500"),
        (Faults(mode="malformed-json"), "SRCH-01", "not JSON"),
        (Faults(mode="http-429"), "SRCH-01", "HTTP 429"),
        (Faults(mode="hang"), "SRCH-01", "no answer within"),
        (Faults(mode="trickle"), "SRCH-01", "still arriving"),
        (Faults(mode="oversized", oversized_mb=21), "SRCH-01", "over 20 MiB"),
        (Faults(latency_ms=1100), "PERF-01", "answered in"),
    ],
    ids=["http-500", "malformed-json", "http-429", "hang", "trickle", "oversized", "latency"],
)
def test_a_faulty_simulator_fails_the_check_expected(
    sas_vendor: SimulatorServer,
    conformance: Conformance,
    faults: Faults,
    caught_by: str,
    cause: str,
) -> None:
    sas_vendor.set_faults(faults)
    began = time.monotonic()
    result = conformance(
        "--base", sas_vendor.base_url, "--check", caught_by, "--check", "CAP-01",
        "--timeout", "1.5", "--deadline", "10",
    )  # fmt: skip

    assert result.exit_code == 1, result.output
    assert time.monotonic() - began < 15
    line = next(x for x in result.output.splitlines() if x.startswith(f"FAIL {caught_by}"))
    assert cause in line
    assert re.fullmatch(r"1 passed, 1 failed", last_line(result)), result.output


def test_a_full_run_against_a_hanging_vendor_ends_by_its_deadline(
    sas_vendor: SimulatorServer,
) -> None:
    sas_vendor.set_faults(Faults(mode="hang"))
    began = time.monotonic()
    report = run(sas_vendor.base_url, "ps", timeout_s=1, deadline_s=4)

    assert time.monotonic() - began < 10
    assert not report.ok and report.result("CAP-01").status is Status.PASSED
    assert any("deadline" in r.detail for r in report.results if r.status is Status.FAILED)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_an_unreachable_base_is_a_failed_check_with_its_cause(conformance: Conformance) -> None:
    result = conformance("--base", f"http://127.0.0.1:{free_port()}/fhir", "--deadline", "20")

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    cap = next(x for x in result.output.splitlines() if x.startswith("FAIL CAP-01"))
    assert "cannot connect" in cap
    assert re.fullmatch(r"0 passed, \d+ failed", last_line(result))


class _Html(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><body>Bienvenue</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def html_site() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Html)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/fhir"
    server.shutdown()
    server.server_close()


def test_a_non_fhir_answer_is_a_failed_check(html_site: str) -> None:
    report = run(html_site, "ps", only=["CAP-01", "SRCH-01"], deadline_s=20)

    assert [r.status for r in report.results] == [Status.FAILED, Status.FAILED]
    assert "not JSON" in report.result("CAP-01").detail


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base", "ftp://vendor.test/fhir"], "not an http:// or https:// URL"),
        (["--base", "http://vendor.test/fhir", "--rpps", "12345"], "neither an RPPS"),
        (["--base", "http://vendor.test/fhir", "--siret", "abc"], "not a SIRET"),
        (["--base", "http://vendor.test/fhir", "--check", "NOPE-1"], "unknown check ids"),
        ([], "give --base URL"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    conformance: Conformance, args: list[str], message: str
) -> None:
    result = conformance(*args)

    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_json_and_junit_reports(sas_vendor: SimulatorServer, conformance: Conformance) -> None:
    checks = ["--check", "CAP-01", "--check", "SRCH-01", "--check", "SCN-03"]
    as_json = conformance("--base", sas_vendor.base_url, *checks, "--format", "json")
    report = json.loads(as_json.output)
    assert (report["passed"], report["failed"], report["skipped"]) == (2, 0, 1)
    assert [r["id"] for r in report["results"]] == ["CAP-01", "SRCH-01", "SCN-03"]

    junit = ET.fromstring(
        conformance("--base", sas_vendor.base_url, *checks, "--format", "junit").output
    )
    suite = junit.find("testsuite")
    assert suite is not None and suite.get("tests") == "3" and suite.get("skipped") == "1"


def test_the_python_api_the_template_calls(sas_vendor: SimulatorServer) -> None:
    report: Report = run(sas_vendor.base_url, "cpts")

    assert report.ok, report.summary
    assert report.summary == f"{report.passed} passed, 0 failed"


@pytest.mark.slow
def test_the_commands_as_a_vendor_types_them(tmp_path: Path) -> None:
    """`sas simulator serve` in its own process, `sas conformance` in another: exit 0."""
    port = free_port()
    sas = str(Path(sys.executable).with_name("sas"))
    served = subprocess.Popen(
        [sas, "simulator", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert served.stdout is not None
        assert "serving" in served.stdout.readline().decode()
        checked = subprocess.run(
            [sas, "conformance", "--base", f"http://127.0.0.1:{port}/fhir"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        served.terminate()
        served.wait(10)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert re.fullmatch(r"[1-9]\d* passed, 0 failed", checked.stdout.strip().splitlines()[-1])
