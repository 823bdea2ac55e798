"""`sas registry export|apply|import-file`, on SQLite and PostgreSQL: the files give the
registry back, apply shows its changes first and refuses an invalid input as a whole, the
interim adapters file is imported once."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sas_core.cli.main import cli
from sas_testkit.pki import Pki

pytestmark = pytest.mark.usefixtures("database")

URL = "http://127.0.0.1:9/fhir"


def sas(*args: str) -> Result:
    return CliRunner().invoke(cli, ["registry", *args])


def ok(*args: str) -> Result:
    result = sas(*args)
    assert result.exit_code == 0, result.output + result.stderr
    return result


def territories() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(ok("list", "--format", "json").stdout)
    return [t for t in data if t["adapters"]]


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


DECLARATIONS = f"""
[adapters.vendor-a]
plugin = "sas-fhir"
timeout_s = 3
[adapters.vendor-a.settings]
base_url = "{URL}/"

[adapters.vendor-sos]
plugin = "sas-sos"
settings = {{ base_url = "{URL}" }}
"""


def test_export_then_apply_on_a_fresh_database_gives_the_same_registry(
    tmp_path: Path,
    sas_pki: Pki,
    monkeypatch: pytest.MonkeyPatch,
    fresh_database: Callable[[], None],
) -> None:
    monkeypatch.setenv("VENDOR_MTLS_KEY", str(sas_pki.client_key))
    ok("enable", "--territory", "SAS-33", "--adapter", "vendor-tls", "--plugin", "sas-fhir",
       "--set", "base_url=https://vendor.example/fhir",
       "--set", f"client_cert={sas_pki.client_cert}",
       "--set", "client_key=env:VENDOR_MTLS_KEY", "--set", "max_connections=4")  # fmt: skip
    ok("enable", "--territory", "SAS-2A", "--adapter", "sas-fhir", "--set", f"base_url={URL}")
    ok("enable", "--territory", "SAS-974", "--adapter", "sas-fhir")
    for state in ("connected-test", "production", "suspended"):
        ok("state", "--territory", "SAS-33", "--adapter", "vendor-tls", state, "--reason", "r")
    ok("disable", "--territory", "SAS-974", "--adapter", "sas-fhir")
    before = territories()

    ok("export", "--output", str(tmp_path / "first"))
    first = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "first").iterdir()}
    assert sorted(first) == ["SAS-20A.toml", "SAS-33.toml", "SAS-974.toml", "adapters.toml"]
    assert 'client_key = "env:VENDOR_MTLS_KEY"' in first["adapters.toml"]
    assert str(sas_pki.client_key) not in "".join(first.values())
    assert first["SAS-33.toml"].startswith("# SAS-33 — Gironde\n")
    assert 'suspended_from = "production"' in first["SAS-33.toml"]

    fresh_database()
    assert territories() == []
    applied = ok("apply", str(tmp_path / "first"))
    assert "+ SAS-33 vendor-tls: enabled, suspended (from production)" in applied.stdout
    ok("export", "--output", str(tmp_path / "second"))
    second = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "second").iterdir()}
    assert second == first
    assert territories() == before
    assert "no change" in ok("apply", str(tmp_path / "second")).stdout

    printed = ok("export").stdout
    assert "# ==> adapters.toml <==" in printed and "# ==> SAS-974.toml <==" in printed


def test_apply_shows_the_changes_first_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "registry",
        {
            "adapters.toml": DECLARATIONS,
            "SAS-33.toml": '[adapters.vendor-a]\nstate = "onboarding"\n'
            '[adapters.vendor-sos]\nstate = "onboarding"\nenabled = false\n',
            "SAS-2A.toml": '[adapters.vendor-sos]\nstate = "production"\n',
            "README.md": "not a registry file, ignored",
        },
    )

    dry = ok("apply", str(folder), "--dry-run")
    assert dry.stdout.splitlines() == [
        f"+ adapter vendor-a: plugin sas-fhir, timeout 3 s, base_url={URL}",
        f"+ adapter vendor-sos: plugin sas-sos, timeout 7 s, base_url={URL}",
        "+ SAS-20A vendor-sos: enabled, production",
        "+ SAS-33 vendor-a: enabled, onboarding",
        "+ SAS-33 vendor-sos: disabled, onboarding",
        "dry run: nothing changed",
    ]
    assert territories() == []

    assert ok("apply", str(folder), "--actor", "ci").stdout == dry.stdout.replace(
        "dry run: nothing changed\n", ""
    )
    again = ok("apply", str(folder))
    assert again.stdout.startswith("no change")
    audit = json.loads(ok("audit", "--format", "json").stdout)
    assert len(audit) == 5 and {e["actor"] for e in audit} == {"ci"}
    assert audit[0]["reason"] == f"sas registry apply {folder}"

    (folder / "SAS-33.toml").write_text('[adapters.vendor-a]\nstate = "connected-test"\n')
    moved = ok("apply", str(folder / "SAS-33.toml"))
    assert moved.stdout.splitlines() == [
        "~ SAS-33 vendor-a: state onboarding → connected-test",
    ], "a territory file describes its territory wholly; vendor-sos was disabled already"
    (folder / "SAS-33.toml").write_text("")
    emptied = ok("apply", str(folder / "SAS-33.toml"))
    assert emptied.stdout.splitlines() == ["~ SAS-33 vendor-a: disabled"]
    assert [t["code"] for t in territories() if any(a["enabled"] for a in t["adapters"])] == [
        "SAS-20A"
    ]

    (folder / "SAS-2A.toml").unlink()
    assert ok("apply", str(folder)).stdout.splitlines() == ["~ SAS-20A vendor-sos: disabled"]


def test_an_invalid_input_is_refused_as_a_whole_naming_each_problem(tmp_path: Path) -> None:
    good = write(
        tmp_path / "good",
        {"adapters.toml": DECLARATIONS, "SAS-33.toml": '[adapters.vendor-a]\nstate = "production"'
         '\n[adapters.vendor-sos]\nstate = "onboarding"\n'},
    )  # fmt: skip
    ok("enable", "--territory", "SAS-75", "--adapter", "sas-fhir", "--set", f"base_url={URL}")
    ok("apply", str(good))
    registry_before = territories()
    audit_before = ok("audit", "--format", "json").stdout

    bad = write(
        tmp_path / "bad",
        {
            "adapters.toml": f"""
[adapters.vendor-a]
plugin = "sas-fhir"
settings = {{ base_url = "ftp://x", client_key = "/etc/sas/vendor.key" }}
[adapters.vendor-sos]
plugin = "sas-fhir"
settings = {{ base_url = "{URL}" }}
[adapters.vendor-new]
plugin = "not-installed"
""",
            "SAS-33.toml": '[adapters.vendor-a]\nstate = "onboarding"\n'
            '[adapters.vendor-sos]\nstate = "live"\n'
            '[adapters.ghost]\nstate = "production"\n',
            "SAS-99.toml": "",
            "SAS-75.toml": '[adapters.sas-fhir]\nstate = "production"\ncolour = "blue"\n',
        },
    )

    result = sas("apply", str(bad))

    assert result.exit_code == 1
    assert "refused as a whole, nothing changed" in result.stderr
    for problem in (
        f"{bad}/adapters.toml: adapters.vendor-a.settings.client_key: holds a secret",
        f"{bad}/adapters.toml: adapters.vendor-sos.plugin: adapter 'vendor-sos' is declared "
        "with plugin sas-sos, not sas-fhir",
        f"{bad}/adapters.toml: adapters.vendor-new: unknown adapter plugin 'not-installed'",
        f"{bad}/SAS-33.toml: adapters.vendor-a.state: SAS-33 vendor-a: production → onboarding "
        "is not allowed",
        f"{bad}/SAS-33.toml: adapters.vendor-sos.state: 'live' is not a state",
        f"{bad}/SAS-33.toml: adapters.ghost: adapter 'ghost' is not declared",
        f"{bad}/SAS-99.toml: not a registry file",
        f"{bad}/SAS-75.toml: adapters.sas-fhir: unknown key(s) colour",
    ):
        assert problem in result.stderr
    assert "/etc/sas/vendor.key" not in result.stderr
    assert territories() == registry_before
    assert ok("audit", "--format", "json").stdout == audit_before

    bad_settings = write(tmp_path / "bad-settings", {"adapters.toml": DECLARATIONS.replace(
        f'base_url = "{URL}/"', 'base_url = "ftp://x"')})  # fmt: skip
    result = sas("apply", str(bad_settings))
    assert result.exit_code == 1
    assert (
        "adapters.toml: adapters.vendor-a.settings.base_url: must be an http:// or https:// URL"
        in result.stderr
    )
    assert sas("apply", str(tmp_path / "nowhere")).exit_code == 2  # click: no such path


OLD_FILE = """
[adapters.vendor-a]
plugin = "sas-fhir"
territories = ["SAS-33", "SAS-2A"]
timeout_s = 3
[adapters.vendor-a.settings]
base_url = "https://vendor.example/fhir"
client_cert = "{cert}"
client_key = "{key}"
"""


def test_the_interim_adapters_file_is_imported_once(sas_pki: Pki, _isolated_data_dir: Path) -> None:
    _isolated_data_dir.mkdir(parents=True, exist_ok=True)
    old = _isolated_data_dir / "adapters.toml"
    old.write_text(
        OLD_FILE.format(cert=sas_pki.client_cert, key=sas_pki.client_key), encoding="utf-8"
    )

    imported = ok("import-file")

    assert imported.stdout.splitlines() == [
        "+ adapter vendor-a: plugin sas-fhir, timeout 3 s, "
        f"base_url=https://vendor.example/fhir, client_cert={sas_pki.client_cert}, "
        f"client_key=file:{sas_pki.client_key}",
        "+ SAS-20A vendor-a: enabled, production",
        "+ SAS-33 vendor-a: enabled, production",
    ]
    assert "no change" in ok("import-file", str(old)).stdout
    [audit] = json.loads(ok("audit", "--format", "json", "--limit", "1").stdout)
    assert audit["reason"] == f"imported from {old}"


def test_an_import_keeps_states_and_refuses_a_broken_file(tmp_path: Path) -> None:
    old = tmp_path / "old.toml"
    old.write_text(
        '[adapters.vendor-a]\nplugin = "sas-fhir"\nterritories = ["SAS-33", "Gironde"]\n'
        'settings = { base_url = "ftp://x" }\n[adapters.vendor-b]\nterritories = []\n',
        encoding="utf-8",
    )
    refused = sas("import-file", str(old))
    assert refused.exit_code == 1
    for problem in (
        f"{old}: adapters.vendor-a.territories: unknown territory 'Gironde'",
        f"{old}: adapters.vendor-b.territories: must be a non-empty list",
        f"{old}: adapters.vendor-b.plugin: required",
    ):
        assert problem in refused.stderr
    assert territories() == []

    old.write_text(
        '[adapters.vendor-a]\nplugin = "sas-fhir"\nterritories = ["SAS-33"]\n'
        f'settings = {{ base_url = "{URL}" }}\n',
        encoding="utf-8",
    )
    ok("import-file", str(old), "--state", "onboarding", "--dry-run")
    assert territories() == []
    ok("import-file", str(old), "--state", "onboarding")
    ok("state", "--territory", "SAS-33", "--adapter", "vendor-a", "connected-test", "--reason", "t")
    ok("disable", "--territory", "SAS-33", "--adapter", "vendor-a")
    again = ok("import-file", str(old))
    assert again.stdout.splitlines() == ["~ SAS-33 vendor-a: enabled"]
    assert territories()[0]["adapters"][0]["state"] == "connected-test"

    missing = sas("import-file", str(tmp_path / "none.toml"))
    assert missing.exit_code == 1 and "no such file" in missing.stderr
