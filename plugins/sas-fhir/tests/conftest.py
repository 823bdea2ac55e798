"""Fixtures of the sas-fhir tests: queries, adapters, simulated vendors, certificates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sas_core import AdapterConfig, SearchWindow, SlotQuery
from sas_fhir_adapter.settings import FhirAdapterSettings
from tests.plugin_support import dataset, pki, simulator

#: Shape-valid IDNPS (`8` + RPPS) that no simulated practitioner has.
UNKNOWN_IDNPS = "810000000042"

__all__ = ["dataset", "make_adapter", "pki", "query", "simulator"]


def build_adapter(
    base_url: str = "https://vendor.example/fhir", *, timeout_s: float = 1.0, **settings: Any
) -> AdapterConfig:
    """An adapter instance as `PluginHost.adapter` builds it (settings validated)."""
    return AdapterConfig(
        name="vendor-test",
        plugin="sas-fhir",
        timeout_s=timeout_s,
        settings=FhirAdapterSettings(base_url=base_url, **settings),
    )


@pytest.fixture
def make_adapter() -> Callable[..., AdapterConfig]:
    """`make_adapter(base_url, timeout_s=…, **settings)`; timeout 1 s unless told."""
    return build_adapter


@pytest.fixture
def query() -> SlotQuery:
    now = datetime.now(UTC).replace(microsecond=0)
    return SlotQuery(
        window=SearchWindow(start=now, end=now + timedelta(hours=48)),
        practitioners=(UNKNOWN_IDNPS,),
    )
