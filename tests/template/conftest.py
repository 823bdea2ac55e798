"""Fixtures of the template tests: a throwaway environment holding the platform as a vendor
installs it next to their adapter, made from the lock file and uv's cache in seconds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def uv_binary() -> str | None:
    """The uv the Makefile uses: on PATH, else bootstrapped into .tools/."""
    found = shutil.which("uv")
    local = REPO / ".tools" / "bin" / "uv"
    return found or (str(local) if local.exists() else None)


def run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """A command as a person types it; its output is kept for the assertion message."""
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.fixture(scope="session")
def platform_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with the platform and the test kit (every workspace package,
    no dev or docs group), synced from `uv.lock`: what `make install` gives a vendor, apart."""
    uv = uv_binary()
    if uv is None:
        pytest.skip("uv is not installed (make install bootstraps it into .tools/)")
    venv = tmp_path_factory.mktemp("platform") / "venv"
    synced = run(
        uv, "sync", "--frozen", "--all-packages", "--no-default-groups", "--python", sys.executable,
        cwd=REPO, env={"UV_PROJECT_ENVIRONMENT": str(venv)},
    )  # fmt: skip
    assert synced.returncode == 0, synced.stderr
    return venv
