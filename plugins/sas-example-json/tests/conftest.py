"""Fixtures of the sas-example-json tests: Agendo on a real socket, over the test kit's
dataset, and the settings an operator gives its adapter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from agendo import API_KEY, LINK_SECRET, AgendoServer, create_agendo

from sas_simulator.dataset import Dataset


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The platform's data (registry, regulators) in the test's own folder."""
    monkeypatch.setenv("SAS_DATA_DIR", str(tmp_path / "sas-data"))
    monkeypatch.delenv("SAS_DATABASE_URL", raising=False)
    monkeypatch.delenv("SAS_PLUGINS", raising=False)


@pytest.fixture
def agendo(sas_dataset: Dataset) -> Iterator[AgendoServer]:
    with AgendoServer(create_agendo(sas_dataset)) as server:
        yield server


@pytest.fixture
def agendo_settings(agendo: AgendoServer) -> dict[str, Any]:
    return {"base_url": agendo.base_url, "api_key": API_KEY, "link_secret": LINK_SECRET}
