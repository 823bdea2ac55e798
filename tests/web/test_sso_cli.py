"""`sas oidc` and `sas serve --sso-port` from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.web.test_serve_cli import free_port


def sas(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sas_core.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_rotate_key_publishes_the_new_key_beside_the_old(tmp_path: Path) -> None:
    env = {"SAS_DATA_DIR": str(tmp_path)}
    first = sas("oidc", "keys", env=env).stdout.split()[0]
    rotated = sas("oidc", "rotate-key", env=env)
    assert rotated.returncode == 0
    new = rotated.stdout.split()[-1]
    listed = sas("oidc", "keys", env=env).stdout.splitlines()
    assert listed == [f"{new}  (signing)", first]


def test_local_login_refused_outside_development(tmp_path: Path) -> None:
    result = sas("serve", "--insecure-dev", "--sso-port", "0", env={"SAS_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "DEVELOPMENT" in result.stderr


def test_serve_with_the_realm_on_its_own_port(tmp_path: Path) -> None:
    port, sso_port = free_port(), free_port()
    env = {
        **os.environ,
        "SAS_DATA_DIR": str(tmp_path),
        "SAS_OIDC_DEVELOPMENT": "1",
        "SAS_OIDC_DEV_PASSWORD": "development-only",
    }
    cmd = [sys.executable, "-m", "sas_core.cli", "serve", "--insecure-dev"]
    cmd += ["--port", str(port), "--sso-port", str(sso_port)]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = process.stdout.readline() if process.stdout else b""
        assert b"serving the platform" in line
        line = process.stdout.readline() if process.stdout else b""
        issuer = f"http://127.0.0.1:{sso_port}/realms/sas"
        assert issuer.encode() in line
        doc = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
        assert doc["issuer"] == issuer
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert b"DEVELOPMENT login" in err
