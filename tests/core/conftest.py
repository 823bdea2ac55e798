"""Fixtures that install throwaway plugin distributions for discovery tests."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

MakePlugin = Callable[..., Path]


@pytest.fixture
def site_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory on sys.path where test distributions are 'installed' (dist-info + module)."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", str(site))
    yield site
    for name in [m for m in sys.modules if m.startswith("sastest_")]:
        del sys.modules[name]


@pytest.fixture
def make_plugin(site_dir: Path) -> MakePlugin:
    """Install a distribution declaring one `sas_connect.plugins` entry point.

    The module body is given as source, so a test can make a plugin that raises on import or
    returns bad metadata, exactly as a vendor's broken package would.
    """

    def make(entry_name: str, module: str, body: str, version: str = "1.2.3") -> Path:
        (site_dir / f"{module}.py").write_text(textwrap.dedent(body))
        dist = site_dir / f"{module}-{version}.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: {version}\n"
        )
        (dist / "entry_points.txt").write_text(f"[sas_connect.plugins]\n{entry_name} = {module}\n")
        (dist / "top_level.txt").write_text(f"{module}\n")
        (dist / "RECORD").write_text(f"{module}.py,,\n")
        return dist

    return make


GOOD_PLUGIN = """
    from sas_core import (
        PluginMetadata, SlotBatch, SourceOutcome, UseCase, hookimpl, Slot,
    )
    from pydantic import BaseModel

    class Settings(BaseModel):
        base_url: str
        weight: int = 1

    @hookimpl
    def sas_plugin_metadata():
        return PluginMetadata(name="{name}", use_cases=(UseCase.PS_INDIVIDUAL,),
                              settings_schema=Settings, description="test vendor")

    @hookimpl
    async def sas_fetch_slots(adapter, query):
        slots = [
            Slot(id=f"{{p}}-{{adapter.name}}", start=query.window.start,
                 end=query.window.start.replace(hour=23), practitioner=p,
                 adapter=adapter.name, fetched_at=query.window.start)
            for p in query.practitioners
        ]
        return SlotBatch(slots=slots, outcome=SourceOutcome(status="ok", slot_count=len(slots)))
"""
