"""Agendo, a vendor that does not speak FHIR, through the platform's own flows over real
sockets: `sas slots fetch`, the territory registry and `sas regulators` for accounts, and the
SSO redirect of a fetched slot, checked by Agendo's signature."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import httpx
import pytest
from agendo import API_KEY, LINK_SECRET, AgendoServer, agendo_state
from click.testing import CliRunner, Result

from sas_core import AccountAction, AccountSync, Regulator, SlotQuery, sso_redirect
from sas_core.cli.main import cli
from sas_core.plugins.host import PluginHost, resolve
from sas_simulator.dataset import Dataset
from sas_testkit.searches import fetch, window

PLUGIN = "sas-example-json"


def slots_fetch(settings: dict[str, Any], *rpps: str, timeout: str = "5") -> tuple[int, Any]:
    result = CliRunner().invoke(
        cli,
        [
            "slots", "fetch", "--adapter", PLUGIN, "--base-url", settings["base_url"],
            "--setting", f"api_key={settings['api_key']}",
            "--setting", f"link_secret={settings['link_secret']}",
            *[a for r in rpps for a in ("--rpps", r)],
            "--timeout", timeout, "--format", "json", "--no-store",
        ],
    )  # fmt: skip
    return result.exit_code, json.loads(result.stdout)


def test_slots_fetch_reads_agendo(agendo_settings: dict[str, Any], sas_dataset: Dataset) -> None:
    wanted = [p.idnps for p in sas_dataset.practitioners[:2]]

    code, document = slots_fetch(agendo_settings, *wanted)

    assert code == 0, document
    [outcome] = document["outcomes"]
    assert outcome["status"] == "ok" and outcome["issues"] == []
    assert document["slots"] and {s["practitioner"] for s in document["slots"]} == set(wanted)
    assert all(s["booking_url"] and s["place"]["address"]["postal_code"] for s in document["slots"])


def test_a_refused_key_is_the_adapters_error(agendo_settings: dict[str, Any]) -> None:
    code, document = slots_fetch({**agendo_settings, "api_key": "wrong"}, "810101000007")

    assert code == 1
    assert document["outcomes"][0]["error"] == "HTTP 401 Unauthorized: unknown API key"


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("http-500", "HTTP 500 Internal Server Error: agenda database unavailable"),
        ("not-json", "unusable answer: not Agendo's availabilities"),
        ("hang", "no answer within the 1 s deadline"),
    ],
)
def test_a_failing_vendor_is_an_error_outcome(
    agendo: AgendoServer, agendo_settings: dict[str, Any], mode: str, error: str
) -> None:
    agendo_state(agendo.app).mode = mode

    code, document = slots_fetch(agendo_settings, "810101000007", timeout="1")

    assert code == 1
    assert document["outcomes"][0]["error"].startswith(error), document


def sas(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_accounts_follow_the_registry_and_the_regulators(
    agendo: AgendoServer, agendo_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The secrets reach the registry as references only (`env:`), as for any plugin."""
    monkeypatch.setenv("AGENDO_API_KEY", API_KEY)
    monkeypatch.setenv("AGENDO_LINK_SECRET", LINK_SECRET)
    for args in (
        ["enable", "--territory", "SAS-33", "--adapter", "agendo", "--plugin", PLUGIN,
         "--set", f"base_url={agendo_settings['base_url']}",
         "--set", "api_key=env:AGENDO_API_KEY", "--set", "link_secret=env:AGENDO_LINK_SECRET"],
        ["state", "--territory", "SAS-33", "--adapter", "agendo", "connected-test",
         "--reason", "test"],
    ):  # fmt: skip
        result = CliRunner().invoke(cli, ["registry", *args])
        assert result.exit_code == 0, result.stderr
    added = sas(
        "regulators", "add", "--family", "Martin", "--given", "Jeanne",
        "--email", "jeanne.martin@test.fr", "--territory", "SAS-33",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    rid = added.stdout.strip()

    created = sas("regulators", "sync", rid, "--login")
    rekeyed = (sas("regulators", "update", rid, "--national-id", "810002673899"),
               sas("regulators", "sync", rid))  # fmt: skip
    withdrawn = sas("regulators", "deactivate", rid)

    assert "agendo: create created HTTP 201" in created.stderr, created.stderr
    assert "agendo: update updated HTTP 200" in rekeyed[1].stderr, rekeyed[1].stderr
    assert "agendo: deactivate updated HTTP 200" in withdrawn.stderr, withdrawn.stderr
    state = agendo_state(agendo.app)
    assert state.writes == [rid, rid, rid]
    assert state.users[rid]["rpps"] == "10002673899"
    assert state.users[rid]["enabled"] is False


@pytest.mark.anyio
async def test_the_sso_redirect_of_a_fetched_slot_is_signed_for_agendo(
    agendo_settings: dict[str, Any], sas_dataset: Dataset
) -> None:
    host = PluginHost.discover(allow=[PLUGIN])
    adapter = host.adapter(PLUGIN, agendo_settings)
    regulator = Regulator(
        id=uuid4(), family="Martin", given="Jeanne", email="regul@test.fr", territory="SAS-33"
    )
    practitioner = sas_dataset.practitioners[0].idnps
    try:
        batch = await fetch(
            host, adapter, SlotQuery(window=window(), practitioners=(practitioner,))
        )
        [told] = host.hooks.sas_sync_regulator_account(
            adapter, AccountSync(action=AccountAction.CREATE, regulator=regulator)
        )
        assert (await resolve(told)).status == "created"
    finally:
        await host.close_adapter(adapter)
    slot = batch.slots[0]

    redirect = sso_redirect(host, adapter, regulator, slot, origin="sas")

    async with httpx.AsyncClient() as client:
        opened = await client.get(redirect.url)
        forged = await client.get(redirect.url.replace("origin=sas", "origin=sas-preprod"))
        bare = await client.get(slot.booking_url or "")
    assert opened.status_code == 200 and opened.text == f"Agendo: booking {slot.id} for Jeanne"
    assert forged.status_code == bare.status_code == 403
