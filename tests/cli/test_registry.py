"""`sas registry` as an operator runs it, on SQLite and PostgreSQL: the contract of `list` and
`show`, the lifecycle, refusals that change nothing, and secrets that never show."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sas_core.cli.main import cli
from tests.core.conftest import MakePlugin, make_plugin, site_dir  # noqa: F401

pytestmark = pytest.mark.usefixtures("database")

URL = "http://127.0.0.1:9/fhir"


def subprocess_sas(*args: str) -> subprocess.CompletedProcess[str]:
    """`sas ARGS…` in a real process, for what only a process shows (its logs)."""
    run = subprocess.run(
        [sys.executable, "-m", "sas_core.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
    )
    assert run.returncode == 0, run.stderr
    return run


def sas(*args: str) -> Result:
    return CliRunner().invoke(cli, ["registry", *args])


def ok(*args: str) -> Result:
    result = sas(*args)
    assert result.exit_code == 0, result.output + result.stderr
    return result


def as_json(*args: str) -> Any:
    return json.loads(ok(*args, "--format", "json").stdout)


def test_list_prints_the_101_territories_with_their_adapters() -> None:
    territories = as_json("list")
    assert len(territories) == 101
    assert territories[0] == {"code": "SAS-01", "name": "Ain", "adapters": []}
    assert {t["code"] for t in territories} >= {"SAS-20A", "SAS-20B", "SAS-971", "SAS-976"}
    assert all(set(t) == {"code", "name", "adapters"} for t in territories)


def test_enable_show_disable_round_trip() -> None:
    ok("enable", "--territory", "SAS-75", "--adapter", "sas-fhir", "--set", f"base_url={URL}")

    shown = as_json("show", "SAS-75")
    assert shown == {
        "code": "SAS-75",
        "name": "Paris",
        "adapters": [{"name": "sas-fhir", "state": "onboarding", "enabled": True}],
    }
    [paris] = [t for t in as_json("list") if t["code"] == "SAS-75"]
    assert paris == shown
    assert as_json("show", "--adapter", "sas-fhir")["settings"] == {"base_url": URL}

    again = ok("enable", "--territory", "SAS-75", "--adapter", "sas-fhir")
    assert "no change" in again.stdout

    ok("disable", "--territory", "SAS-75", "--adapter", "sas-fhir")
    assert as_json("show", "SAS-75")["adapters"] == [
        {"name": "sas-fhir", "state": "onboarding", "enabled": False}
    ]
    ok("enable", "--territory", "SAS-75", "--adapter", "sas-fhir")
    assert as_json("show", "SAS-75")["adapters"][0]["enabled"] is True


def test_a_declared_adapter_serves_several_territories_under_its_own_name() -> None:
    ok("enable", "--territory", "SAS-2A", "--adapter", "vendor-a", "--plugin", "sas-fhir",
       "--set", f"base_url={URL}", "--timeout", "3")  # fmt: skip
    ok("enable", "--territory", "SAS-33", "--adapter", "vendor-a")

    assert as_json("show", "SAS-20A")["adapters"][0]["name"] == "vendor-a"
    declared = as_json("show", "--adapter", "vendor-a")
    assert declared["plugin"] == "sas-fhir" and declared["timeout_s"] == 3.0
    assert [t["code"] for t in declared["territories"]] == ["SAS-20A", "SAS-33"]

    ok("set", "--adapter", "vendor-a", "--set", "max_connections=5", "--timeout", "4")
    declared = as_json("show", "--adapter", "vendor-a")
    assert declared["settings"] == {"base_url": URL, "max_connections": 5}
    assert declared["timeout_s"] == 4.0
    ok("set", "--adapter", "vendor-a", "--unset", "max_connections")
    assert as_json("show", "--adapter", "vendor-a")["settings"] == {"base_url": URL}


def test_the_lifecycle_and_an_illegal_transition_that_changes_nothing() -> None:
    ok("enable", "--territory", "SAS-33", "--adapter", "sas-fhir", "--set", f"base_url={URL}")

    def state() -> str:
        result: str = as_json("show", "SAS-33")["adapters"][0]["state"]
        return result

    refused = sas("state", "--territory", "SAS-33", "--adapter", "sas-fhir", "production",
                  "--reason", "skipping the tests")  # fmt: skip
    assert refused.exit_code == 1
    assert "onboarding → production is not allowed" in refused.stderr
    assert state() == "onboarding"
    assert len(as_json("audit")) == 2  # the declaration and the enabling only

    for step in ("connected-test", "production", "suspended", "connected-test", "production"):
        ok("state", "--territory", "SAS-33", "--adapter", "sas-fhir", step, "--reason", "ok")
        assert state() == step

    audit = as_json("audit", "--territory", "SAS-33")
    assert [e["action"] for e in audit][:2] == ["state", "state"]
    assert audit[0]["reason"] == "ok" and audit[0]["actor"]
    assert audit[0]["before"]["state"] == "connected-test"
    assert audit[0]["after"] == {"enabled": True, "state": "production", "suspended_from": None}


def test_actor_and_reason_are_recorded() -> None:
    ok("enable", "--territory", "SAS-33", "--adapter", "sas-fhir", "--set", f"base_url={URL}",
       "--actor", "alice", "--reason", "ticket 42")  # fmt: skip
    entries = as_json("audit", "--adapter", "sas-fhir")
    assert {(e["actor"], e["reason"]) for e in entries} == {("alice", "ticket 42")}
    assert {e["action"] for e in entries} == {"declare", "enable"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["enable", "--territory", "SAS-99", "--adapter", "sas-fhir"],
         "unknown territory 'SAS-99'"),
        (["enable", "--territory", "SAS-33", "--adapter", "vendor-z"],
         "unknown adapter 'vendor-z'"),
        (["enable", "--territory", "SAS-33", "--adapter", "v", "--plugin", "nope"],
         "unknown adapter plugin 'nope'"),
        (["enable", "--territory", "SAS-33", "--adapter", "sas-fhir", "--set", "base_url=ftp://x"],
         "settings.base_url: must be an http:// or https:// URL"),
        (["enable", "--territory", "SAS-33", "--adapter", "sas-fhir", "--set", "colour=blue",
          "--set", f"base_url={URL}"], "settings.colour: Extra inputs are not permitted"),
        (["enable", "--territory", "SAS-33", "--adapter", "sas-fhir", "--set", f"base_url={URL}",
          "--set", "client_key=/etc/sas/vendor.key"], "settings.client_key: holds a secret"),
        (["enable", "--territory", "SAS-33", "--adapter", "Bad Name", "--plugin", "sas-fhir"],
         "invalid adapter name 'Bad Name'"),
        (["disable", "--territory", "SAS-33", "--adapter", "vendor-z"], "unknown adapter"),
        (["state", "--territory", "SAS-33", "--adapter", "vendor-z", "production", "--reason",
          "x"], "unknown adapter"),
        (["state", "--territory", "SAS-33", "--adapter", "sas-fhir", "live", "--reason", "x"],
         "'live' is not one of"),
        (["show"], "give a TERRITORY"),
        (["show", "SAS-2C"], "unknown territory 'SAS-2C'"),
        (["audit", "--territory", "33"], "unknown territory '33'"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_naming_the_value_and_changes_nothing(
    args: list[str], message: str
) -> None:
    result = sas(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "/etc/sas/vendor.key" not in result.output + result.stderr
    assert all(t["adapters"] == [] for t in as_json("list"))
    assert as_json("audit") == []


def test_moving_an_adapter_never_enabled_there_is_refused() -> None:
    ok("enable", "--territory", "SAS-33", "--adapter", "sas-fhir", "--set", f"base_url={URL}")
    result = sas("state", "--territory", "SAS-75", "--adapter", "sas-fhir", "connected-test",
                 "--reason", "x")  # fmt: skip
    assert result.exit_code == 1
    assert "was never enabled in SAS-75" in result.stderr


SECRET_PLUGIN = """
    from pathlib import Path
    from pydantic import BaseModel, ConfigDict, Field, SecretStr
    from sas_core import PluginMetadata, SlotBatch, SourceOutcome, UseCase, hookimpl, Slot

    class Settings(BaseModel):
        model_config = ConfigDict(extra="forbid")
        base_url: str
        token: SecretStr
        key_file: Path | None = Field(None, json_schema_extra={"secret": True}, repr=False)

    @hookimpl
    def sas_plugin_metadata():
        return PluginMetadata(name="sastest-secret", use_cases=(UseCase.PS_INDIVIDUAL,),
                              settings_schema=Settings)

    @hookimpl
    async def sas_fetch_slots(adapter, query):
        assert adapter.settings.token.get_secret_value() == "s3cr3t-t0ken"
        assert adapter.settings.key_file.read_text() == "KEY MATERIAL"
        slots = [Slot(id=f"{p}-1", start=query.window.start, end=query.window.end,
                      practitioner=p, adapter=adapter.name, fetched_at=query.window.start)
                 for p in query.practitioners]
        return SlotBatch(slots=slots, outcome=SourceOutcome(status="ok", slot_count=len(slots)))
"""


def test_secrets_are_kept_by_reference_and_never_printed(
    make_plugin: MakePlugin,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_plugin("sastest-secret", "sastest_secret", SECRET_PLUGIN)
    key = tmp_path / "vendor.key"
    key.write_text("KEY MATERIAL", encoding="utf-8")
    monkeypatch.setenv("VENDOR_TOKEN", "s3cr3t-t0ken")
    in_clear = sas("enable", "--territory", "SAS-33", "--adapter", "sastest-secret",
                   "--set", f"base_url={URL}", "--set", "token=s3cr3t-t0ken")  # fmt: skip
    assert in_clear.exit_code == 2
    assert "settings.token: holds a secret" in in_clear.stderr
    assert "s3cr3t-t0ken" not in in_clear.output + in_clear.stderr

    enabled = subprocess_sas(
        "-vv", "registry", "enable", "--territory", "SAS-33", "--adapter", "sastest-secret",
        "--set", f"base_url={URL}", "--set", "token=env:VENDOR_TOKEN",
        "--set", f"key_file=file:{key}",
    )  # fmt: skip
    ok("state", "--territory", "SAS-33", "--adapter", "sastest-secret", "connected-test",
       "--reason", "test")  # fmt: skip
    assert as_json("show", "--adapter", "sastest-secret")["settings"] == {
        "base_url": URL,
        "token": "env:VENDOR_TOKEN",
        "key_file": f"file:{key}",
    }
    fetched = subprocess_sas(
        "-vv", "--trace-hooks", "slots", "fetch", "--territory", "SAS-33",
        "--rpps", "81234567890", "--format", "json",
    )  # fmt: skip
    assert json.loads(fetched.stdout)["outcomes"][0]["status"] == "ok"
    assert "sas_fetch_slots" in fetched.stderr  # the hook calls were traced
    printed = [
        (enabled.stdout, enabled.stderr),
        (fetched.stdout, fetched.stderr),
        *((r.stdout, r.stderr) for r in (
            ok("list", "--format", "json"),
            ok("show", "SAS-33"),
            ok("show", "--adapter", "sastest-secret"),
            ok("audit", "--format", "json"),
            ok("audit"),
        )),
    ]  # fmt: skip
    for stdout, stderr in printed:
        assert "s3cr3t-t0ken" not in stdout + stderr
        assert "KEY MATERIAL" not in stdout + stderr
