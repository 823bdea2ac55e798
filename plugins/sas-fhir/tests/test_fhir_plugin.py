"""What the plugin adds on top of the core's FHIR exchange: its User-Agent, its INT_R01 scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sas_core import SearchWindow, SlotQuery
from sas_core.plugins.host import PluginError, PluginHost
from sas_fhir_adapter import plugin
from sas_fhir_adapter.settings import FhirAdapterSettings


def test_vendors_see_the_plugin_in_the_user_agent() -> None:
    settings = FhirAdapterSettings(base_url="https://vendor.example/fhir/")

    assert settings.user_agent.startswith("sas-connect-fhir/")


def test_plugin_host_reports_the_field() -> None:
    host = PluginHost.discover(allow=["sas-fhir"])

    with pytest.raises(PluginError) as caught:
        host.adapter("sas-fhir", {"base_url": "gopher://x"})

    assert str(caught.value) == (
        "invalid settings for adapter 'sas-fhir': base_url: Value error, "
        "must be an http:// or https:// URL"
    )


@pytest.mark.anyio
async def test_structure_lots_are_refused(make_adapter: Any) -> None:
    now = datetime.now(UTC)
    sos = SlotQuery(
        window=SearchWindow(start=now, end=now + timedelta(hours=1)),
        structures=("334173748400020",),
    )

    outcome = (await plugin.sas_fetch_slots(make_adapter(), sos)).outcome

    assert outcome.status == "error"
    assert outcome.error == (
        "sas-fhir searches practitioners (INT_R01); structure lots are not supported"
    )
