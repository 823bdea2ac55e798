"""The template's contract, as a vendor meets it: `sas adapter new NAME --output DIR`, installed
next to the platform, is listed loaded by `sas plugins list --format json`, and its own tests
pass with pytest on the first run (cassettes recorded from the simulator), lint-clean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import REPO, run, uv_binary

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("name", "use_cases"),
    [
        ("acme-agenda", ("slots", "accounts", "sso", "appointments")),
        ("booking-only", ("appointments",)),
    ],
)
def test_a_generated_adapter_installs_loads_and_passes_its_tests(
    platform_venv: Path, tmp_path: Path, name: str, use_cases: tuple[str, ...]
) -> None:
    sas, python = platform_venv / "bin" / "sas", platform_venv / "bin" / "python"
    adapter = tmp_path / name
    flows = [a for u in use_cases for a in ("--use-case", u)]

    generated = run(sas, "adapter", "new", name, *flows, "--output", adapter)
    assert generated.returncode == 0, generated.stderr
    installed = run(uv_binary() or "uv", "pip", "install", "--python", python, "-e", adapter)
    assert installed.returncode == 0, installed.stderr

    listed = run(sas, "plugins", "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    [plugin] = [p for p in json.loads(listed.stdout) if p["name"] == name]
    assert plugin["error"] is None and plugin["distribution"] == name

    tested = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=adapter)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert " failed" not in tested.stdout and " error" not in tested.stdout
    if "slots" in use_cases:
        assert (adapter / "tests" / "cassettes" / "recording.json").exists()

    ruff = REPO / ".venv" / "bin" / "ruff"
    for check in (("check",), ("format", "--check")):
        linted = run(ruff, *check, ".", cwd=adapter)
        assert linted.returncode == 0, linted.stdout
