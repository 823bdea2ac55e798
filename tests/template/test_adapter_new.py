"""`sas adapter new`: what it generates for each choice of flows, and what it refuses (exit 2,
a message, never a traceback)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from sas_core.cli.main import cli


def new(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["adapter", "new", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_new_adapter_is_a_distribution_with_its_entry_point(tmp_path: Path) -> None:
    code, out, err = new("acme-agenda", "--output", str(tmp_path / "acme"))

    assert code == 0, err
    assert "acme-agenda: slots, accounts in" in out
    project = tomllib.loads((tmp_path / "acme" / "pyproject.toml").read_text())["project"]
    assert project["name"] == "acme-agenda"
    assert project["entry-points"]["sas_connect.plugins"] == {"acme-agenda": "acme_agenda.plugin"}
    tests = {p.name for p in (tmp_path / "acme" / "tests").iterdir()}
    assert {"test_slots.py", "test_cassettes.py", "test_transport.py", "test_accounts.py",
            "test_conformance.py", "test_plugin.py"} <= tests  # fmt: skip
    assert not {"test_sso.py", "test_appointments.py"} & tests
    plugin = (tmp_path / "acme" / "acme_agenda" / "plugin.py").read_text()
    assert "def sas_fetch_slots" in plugin and "def sas_sso_redirect" not in plugin


def test_the_flows_chosen_are_the_hooks_generated(tmp_path: Path) -> None:
    code, _, err = new(
        "booking-only", "--use-case", "sso", "--use-case", "appointments",
        "--output", str(tmp_path / "b"), "--vendor", "Booking Only",
    )  # fmt: skip

    assert code == 0, err
    plugin = (tmp_path / "b" / "booking_only" / "plugin.py").read_text()
    hooks = {line.split("(")[0][4:] for line in plugin.splitlines() if line.startswith("def sas_")}
    assert hooks == {"sas_plugin_metadata", "sas_sso_redirect", "sas_appointment_reported"}
    assert "FhirExchange" not in plugin
    assert "Booking Only" in (tmp_path / "b" / "README.md").read_text()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Acme Agenda", "not a valid distribution name (PEP 508)"),
        ("acme-", "not a valid distribution name (PEP 508)"),
        ("Acme_Agenda", "normalised form (PEP 503): 'acme-agenda'"),
        ("1acme", "must start with a letter"),
        ("sas-plugin-fhir", "a distribution named 'sas-plugin-fhir' is already installed"),
        ("sas-fhir", "a plugin named 'sas-fhir' is already installed"),
    ],
)
def test_a_name_that_cannot_be_an_adapter_is_refused(
    tmp_path: Path, name: str, message: str
) -> None:
    code, _, err = new(name, "--output", str(tmp_path / "out"))

    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_an_existing_output_folder_is_refused_untouched(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("keep")

    code, _, err = new("acme-agenda", "--output", str(tmp_path / "out"))

    assert code == 2
    assert "already exists" in err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["mine.txt"]


def test_an_unknown_flow_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = new("acme-agenda", "--use-case", "billing", "--output", str(tmp_path / "o"))

    assert code == 2
    assert "'billing' is not one of" in err
