"""Fixtures of the sas-fhir tests: adapters (the simulated vendor comes from the test kit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sas_core import AdapterConfig
from sas_fhir_adapter.settings import FhirAdapterSettings


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
