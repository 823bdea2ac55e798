"""`sas directory import`: the Annuaire Santé extraction, good and malformed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from sas_core.cli.main import cli
from sas_core.geography.gazetteer import Gazetteer
from sas_core.offer.annuaire import (
    ANNUAIRE_PLACE_SYSTEM,
    IDNPS,
    DirectoryFileError,
    import_annuaire,
)
from sas_core.offer.directory import OfferDirectory
from tests.offer.annuaire_file import line, row, write

GP = "810100000017"
NURSE_ADELI = "0751234567"


def _good_rows() -> list[dict[str, str]]:
    return [
        # A GP at two places, her specialty repeated on each line (older extractions).
        row(GP, "MARTIN", "Léa", specialty="SM54"),
        row(GP, "MARTIN", "Léa", specialty="SM54", structure="R2", insee="93008",
            postcode="93000", city="Bobigny", street="Jean Jaurès"),
        # A nurse known by ADELI, no specialty.
        row(NURSE_ADELI, "DURAND", "Paul", profession="60", insee="69383", postcode="69003",
            city="Lyon"),
        # A pharmacist: a profession the SAS does not offer.
        row("810100000025", "PETIT", "Jean", profession="21"),
        # A cardiologist whose INSEE code is empty: placed by postcode.
        row("810100000033", "ROUX", "Anne", specialty="SM04", insee="", postcode="33000",
            city="Bordeaux"),
        # A GP whose commune nobody knows: counted, not placed.
        row("810100000041", "LEROY", "Marc", specialty="SM54", insee="99999", postcode="00000",
            city="Nulle Part"),
        # The first GP again, further down (lines not consecutive): merged.
        row(GP, "MARTIN", "Léa", specialty="SM15", structure="R3", insee="75056",
            postcode="75015", city="Paris"),
    ]  # fmt: skip


def test_a_good_file_is_imported(engine: Engine, gazetteer: Gazetteer, tmp_path: Path) -> None:
    path = write(tmp_path / "PS_LibreAcces_Personne_activite.txt", _good_rows())
    progress: list[int] = []
    report = import_annuaire(engine, path, gazetteer, on_progress=progress.append)
    assert (report.rows, report.practitioners, report.other_professions) == (7, 4, 1)
    assert (report.unplaced_rows, report.placed_by_postcode) == (1, 1)
    assert report.places == 5
    assert progress and progress[-1] == path.stat().st_size
    directory = OfferDirectory(engine)
    places = directory.practitioner_places(GP)
    assert {p.place_id.removeprefix(f"{ANNUAIRE_PLACE_SYSTEM}|") for p in places} == {
        "R10000000001", "R2", "R3"
    }  # fmt: skip
    assert all(p.specialties == ("SM54", "SM15") for p in places)
    paris = next(p for p in places if p.insee == "75102")
    assert paris.address.line == "12 rue de la Paix"
    assert not paris.participates and paris.adapter is None
    nurse = directory.practitioner_places(NURSE_ADELI)
    assert [(n.profession, n.insee, n.name) for n in nurse] == [("60", "69383", "Paul DURAND")]
    bordeaux = directory.practitioner_places("810100000033")
    assert [b.insee for b in bordeaux] == ["33063"]
    assert directory.practitioner_places("810100000041") == []
    assert directory.candidates((paris.latitude, paris.longitude), 1, specialty="SM15")
    assert directory.stats().practitioners == 4


@pytest.mark.parametrize(
    ("bad_line", "column", "what"),
    [
        # Too few fields: the first missing column is named.
        ("8|10100000058|", "Code civilité d'exercice", "3 fields where the header has 57"),
        (line(row("8101", "BAD", "Id")), IDNPS, "invalid IDNPS '8101'"),
        # Too many: no column to name.
        (line(row(GP, "MARTIN", "Léa")) + "x|", None, "58 fields where the header has 57"),
    ],
)
def test_a_malformed_line_is_refused_and_nothing_is_imported(
    engine: Engine,
    gazetteer: Gazetteer,
    tmp_path: Path,
    bad_line: str,
    column: str | None,
    what: str,
) -> None:
    good = write(tmp_path / "good.txt", _good_rows())
    import_annuaire(engine, good, gazetteer)
    before = OfferDirectory(engine).stats()
    bad = write(tmp_path / "bad.txt", _good_rows()[:2], extra=[bad_line, line(_good_rows()[2])])
    with pytest.raises(DirectoryFileError) as raised:
        import_annuaire(engine, bad, gazetteer)
    assert (raised.value.line, raised.value.column) == (4, column)
    assert str(raised.value).startswith("line 4") and what in str(raised.value)
    assert OfferDirectory(engine).stats() == before


def test_a_file_without_the_columns_is_refused_on_line_1(
    engine: Engine, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    path = tmp_path / "other.csv"
    path.write_text("code;name\n1;x\n", encoding="utf-8")
    with pytest.raises(DirectoryFileError, match="line 1, column 'Identification nationale PP'"):
        import_annuaire(engine, path, gazetteer)


def test_the_command_imports_and_refuses_with_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    good = write(tmp_path / "good.txt", _good_rows())
    result = runner.invoke(cli, ["directory", "import", str(good), "--format", "json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["practitioners"] == 4 and printed["unplaced_rows"] == 1
    table = runner.invoke(cli, ["directory", "import", str(good)])
    assert table.exit_code == 0 and "directory imported" in table.stdout
    bad = write(tmp_path / "bad.txt", _good_rows(), extra=["8|1|2"])
    refused = runner.invoke(cli, ["directory", "import", str(bad)])
    assert refused.exit_code == 2
    assert "line 9, column" in refused.stderr and "nothing was imported" in refused.stderr
    assert refused.exception is None or isinstance(refused.exception, SystemExit)
    missing = runner.invoke(cli, ["directory", "import", str(tmp_path / "absent.txt")])
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


def test_text_that_is_not_utf8_is_refused_at_its_line_and_nothing_is_imported(
    engine: Engine, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    import_annuaire(engine, write(tmp_path / "good.txt", _good_rows()), gazetteer)
    before = OfferDirectory(engine).stats()
    # Far enough down that a decoder reading by blocks would stumble on an earlier line.
    rows = _good_rows() * 40
    path = write(tmp_path / "latin1.txt", rows)
    with path.open("ab") as file:
        file.write(line(row("810100000058", "LEFÈVRE", "Zoé")).encode("latin-1") + b"\n")
    with pytest.raises(DirectoryFileError) as raised:
        import_annuaire(engine, path, gazetteer)
    assert raised.value.line == len(rows) + 2 and "not UTF-8" in str(raised.value)
    assert OfferDirectory(engine).stats() == before


def test_the_command_refuses_a_file_that_is_not_utf8_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "binary.txt"
    path.write_bytes(b"\xff\xfe\x00binary")
    refused = CliRunner().invoke(cli, ["directory", "import", str(path)])
    assert refused.exit_code == 2, refused.output
    assert "line 1: byte 0xff" in refused.stderr and "UTF-8" in refused.stderr
    assert "nothing was imported" in refused.stderr
    assert refused.exception is None or isinstance(refused.exception, SystemExit)
