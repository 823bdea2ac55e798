"""`sas directory generate` and `stats`: outputs, idempotence for `make run`, bad input."""

from __future__ import annotations

import json

from click.testing import CliRunner

from sas_core.cli.main import cli
from sas_core.offer.synthetic import DEMO_AGENDAS


def test_generate_then_stats(database: str) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["directory", "generate", "--seed", "2", "--size", "300"])
    assert result.exit_code == 0, result.output
    assert "offer directory" in result.stdout and "per département" in result.stdout
    stats = runner.invoke(cli, ["directory", "stats", "--format", "json"])
    assert stats.exit_code == 0, stats.output
    printed = json.loads(stats.stdout)
    demo = sum(a.practitioners for a in DEMO_AGENDAS if a.serves == "practitioners")
    assert printed["practitioners"] == 300 + demo
    assert set(printed["structures"]) == {"cpts", "sos", "msp", "cds"}
    assert printed["places"] == sum(d["places"] for d in printed["by_departement"])
    assert {"departement": "75", "territory": "SAS-75"}.items() <= next(
        d for d in printed["by_departement"] if d["departement"] == "75"
    ).items()
    assert 0 < printed["connected_share"] < 1
    table = runner.invoke(cli, ["directory", "stats"])
    assert table.exit_code == 0 and "SAS-75" in table.stdout


def test_if_empty_leaves_a_stored_directory_alone(database: str) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["directory", "generate", "--size", "100", "--format", "json"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(
        cli, ["directory", "generate", "--size", "400", "--if-empty", "--format", "json"]
    )
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == json.loads(first.stdout)
    assert "left as it is" in again.stderr
    replaced = runner.invoke(cli, ["directory", "generate", "--size", "0", "--format", "json"])
    assert json.loads(replaced.stdout)["practitioners"] == 50


def test_stats_of_an_empty_directory() -> None:
    result = CliRunner().invoke(cli, ["directory", "stats", "--format", "json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["practitioners"] == 0 and printed["by_departement"] == []


def test_bad_input_exits_2_without_a_traceback() -> None:
    runner = CliRunner()
    for arguments in (
        ["directory", "generate", "--size", "-1"],
        ["directory", "generate", "--seed", "one"],
        ["directory", "stats", "--format", "xml"],
        ["directory", "import"],
    ):
        result = runner.invoke(cli, arguments)
        assert result.exit_code == 2, (arguments, result.output)
        assert "Traceback" not in result.output
