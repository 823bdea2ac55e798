"""Fixtures shared by the whole suite. Area-specific fixtures live in each folder's conftest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: The spec folder beside the clone (`../shared`), read by tests only, never copied.
SHARED = Path(os.environ.get("SAS_SHARED_DIR", REPO.parent / "shared"))
IG_PACKAGES = {
    "1.1.0": SHARED / "spec" / "ig-package",
    "1.2.0-main": SHARED / "spec" / "ig-package-main-ci",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def ig_example_files() -> list[Path]:
    """Every example resource of both IG packages, or [] when ../shared is absent."""
    files: list[Path] = []
    for root in IG_PACKAGES.values():
        files.extend(sorted((root / "example").glob("*.json")))
    return files


needs_ig = pytest.mark.skipif(
    not ig_example_files(),
    reason=f"the IG packages are not at {SHARED}/spec (set SAS_SHARED_DIR to their parent)",
)


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own SAS_DATA_DIR so nothing leaks into the developer's data."""
    data = tmp_path / "sas-data"
    monkeypatch.setenv("SAS_DATA_DIR", str(data))
    monkeypatch.delenv("SAS_DATABASE_URL", raising=False)
    monkeypatch.delenv("SAS_PLUGINS", raising=False)
    return data
