"""Fixtures of the sas-sos tests: the host (the simulated vendor comes from the test kit)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sas_core.plugins.host import PluginHost
from sas_sos_adapter import plugin


@pytest.fixture
async def host() -> AsyncIterator[PluginHost]:
    """The installed sas-sos plugin; its adapters' connections are closed after each test."""
    host = PluginHost.discover(allow=["sas-sos"])
    yield host
    for name in ("sas-sos", "vendor-test"):
        await plugin.exchange.close(name)
