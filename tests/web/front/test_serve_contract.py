"""The contract of issue #11, as a subprocess from a fresh data directory: `sas serve --host H
--port P --insecure-dev` serves the pages at `/`, the OpenAPI schema at
`/schema/openapi.json` and `GET /health` → 200 `{"status": "ok", …}`; and `make run`'s command,
`sas demo --platform`, serves `/health` within two minutes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import httpx
import pytest

from sas_simulator.demo import PLATFORM_VENDOR_PORTS, demo_clients
from sas_web.oidc import parse_clients


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            answer = httpx.get(url, timeout=5)
            if answer.status_code == 200:
                return answer
        except httpx.TransportError:
            pass
        assert process.poll() is None, "the server stopped"
        assert time.monotonic() < deadline, f"{url} did not answer within {seconds} s"
        time.sleep(0.2)


def test_sas_serve_insecure_dev_serves_pages_schema_and_health(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "SAS_DATA_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "sas_core.cli", "serve", "--host", "127.0.0.1",
           "--port", str(port), "--insecure-dev"]  # fmt: skip
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        health = wait_for(f"{base}/health", process, 30)
        assert health.json()["status"] == "ok"
        home = httpx.get(f"{base}/")
        assert home.status_code == 200 and "text/html" in home.headers["content-type"]
        assert "Service d’accès aux soins" in home.text
        schema = httpx.get(f"{base}/schema/openapi.json")
        assert schema.status_code == 200 and "/health" in schema.json()["paths"]
        assert httpx.get(f"{base}/admin").status_code in (302, 401, 403)
        assert httpx.get(f"{base}/api/v1/registry").status_code == 401
    finally:
        process.terminate()
        process.communicate(timeout=15)


def _busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_make_runs_platform_serves_health_within_two_minutes(tmp_path: Path) -> None:
    busy = [p for p in PLATFORM_VENDOR_PORTS.values() if _busy(p)]
    if busy:
        pytest.skip(f"the demo vendors' ports {busy} are taken on this machine")
    port = free_port()
    env = {**os.environ, "SAS_DATA_DIR": str(tmp_path)}
    cli = [sys.executable, "-m", "sas_core.cli"]
    subprocess.run([*cli, "registry", "apply", "registry/"], env=env, check=True,
                   capture_output=True, cwd=Path(__file__).parents[3])  # fmt: skip
    process = subprocess.Popen(
        [*cli, "demo", "--platform", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        started = time.monotonic()
        assert wait_for(f"http://127.0.0.1:{port}/health", process, 120).json()["status"] == "ok"
        assert time.monotonic() - started < 120
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
    assert b"regulateur@demo.sas.example" in out


def test_make_run_registers_each_simulated_vendor_at_the_realm_with_its_callback() -> None:
    """`sas demo --platform` writes the realm's clients file: each simulated vendor, at the port
    the demo registry expects it, is a confidential client whose callback is its own."""
    clients = parse_clients(tomllib.loads(demo_clients())["clients"], "demo")
    assert sorted(clients) == sorted(PLATFORM_VENDOR_PORTS)
    for name, port in PLATFORM_VENDOR_PORTS.items():
        assert clients[name].redirect_uris == (f"http://127.0.0.1:{port}/callback",)
        assert not clients[name].public
