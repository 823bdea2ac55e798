"""The gazetteer (built by `make install`) and the reference files beside the clone.

The ANS radius table and the communes reference live in `../shared/data`, are read by tests
only (through the platform's settings, as an operator would provide them) and never copied;
tests that need them skip when they are absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sas_core.geography.gazetteer import Gazetteer, load_gazetteer
from tests.conftest import SHARED

RADIUS_TABLE = SHARED / "data" / "sas_search_radius_by_department_2025.csv"
COMMUNES_REFERENCE = SHARED / "data" / "communes-postcodes-coordinates.csv"


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    return load_gazetteer()


@pytest.fixture
def official_radius_table() -> Path:
    if not RADIUS_TABLE.exists():
        pytest.skip(f"ANS's radius table is not at {RADIUS_TABLE} (set SAS_SHARED_DIR)")
    return RADIUS_TABLE


@pytest.fixture
def communes_reference() -> Path:
    if not COMMUNES_REFERENCE.exists():
        pytest.skip(f"the communes reference is not at {COMMUNES_REFERENCE} (set SAS_SHARED_DIR)")
    return COMMUNES_REFERENCE
