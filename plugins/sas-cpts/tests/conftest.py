"""Fixtures of the sas-cpts tests: the host (the simulated vendor comes from the test kit)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sas_core.plugins.host import PluginHost
from sas_cpts_adapter import plugin


@pytest.fixture
async def host() -> AsyncIterator[PluginHost]:
    """The installed sas-cpts plugin; its adapters' connections are closed after each test."""
    host = PluginHost.discover(allow=["sas-cpts"])
    yield host
    for name in ("sas-cpts", "vendor-test"):
        await plugin.exchange.close(name)
