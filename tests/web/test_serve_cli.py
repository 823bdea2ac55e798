"""The acceptance contract of `sas serve --insecure-dev`, as a subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.web.conftest import VENDOR_SYSTEM, appointment


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_insecure_dev_contract(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "SAS_DATA_DIR": str(tmp_path)}
    cmd = [
        sys.executable,
        "-m",
        "sas_core.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--insecure-dev",
    ]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/fhir"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/metadata").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.1)
        headers = {"Content-Type": "application/fhir+json"}
        created = httpx.post(
            f"{base}/Appointment", content=json.dumps(appointment()), headers=headers
        )
        assert created.status_code == 201 and created.headers["location"]
        invalid = httpx.post(f"{base}/Appointment", content=b"{}", headers=headers)
        assert invalid.status_code in (400, 422)
        assert invalid.json()["resourceType"] == "OperationOutcome"
        found = httpx.get(
            f"{base}/Appointment", params={"identifier": f"{VENDOR_SYSTEM}|a-1"}
        ).json()
        assert found["type"] == "searchset" and found["total"] == 1
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert b"NO TLS" in err


def test_insecure_dev_refuses_a_public_address() -> None:
    cmd = [sys.executable, "-m", "sas_core.cli", "serve", "--host", "0.0.0.0", "--insecure-dev"]
    result = subprocess.run(cmd, capture_output=True, timeout=30)
    assert result.returncode == 2 and b"loopback" in result.stderr
