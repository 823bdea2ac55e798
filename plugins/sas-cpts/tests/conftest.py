"""Fixtures of the sas-cpts tests: the shared simulated vendor and certificates, and the host."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sas_core.plugins import PluginHost
from sas_cpts_adapter import plugin
from tests.plugin_support import dataset, simulator

__all__ = ["dataset", "host", "simulator"]


@pytest.fixture
async def host() -> AsyncIterator[PluginHost]:
    """The installed sas-cpts plugin; its adapters' connections are closed after each test."""
    host = PluginHost.discover(allow=["sas-cpts"])
    yield host
    for name in ("sas-cpts", "vendor-test"):
        await plugin.exchange.close(name)
