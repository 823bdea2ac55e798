"""Import of the Annuaire Santé's public extraction `PS_LibreAcces_Personne_activite`.

The file (ANS, daily on annuaire.sante.fr and data.gouv.fr) is pipe-separated, UTF-8, one header
line, one line per activity of a professional: a person at one place of work, repeated per
savoir-faire in the extractions that still carry them. Columns are found by their header name
(docs/directory.md lists those used); the extraction has no coordinates, so a place is put at the
centre of its commune (INSEE code, else postcode) from the offline gazetteer, and the rows that
cannot be placed are counted, not imported.

Streamed: the lines of one person are consecutive in the extraction and are gathered, then
written in batches; memory holds one batch and the set of identifiers seen (a person met again
later has their places merged). Everything is written in one transaction after the previous
directory is cleared: a malformed line (wrong number of fields, a bad identifier) stops the
import with its line number and column, and the previous directory stays as it was.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.engine import Engine

from sas_core.geography.gazetteer import Gazetteer, Place
from sas_core.geography.names import name_key
from sas_core.identifiers import IdentifierError, parse_idnps
from sas_core.offer.models import DirectoryPractitioner, OfferPlace
from sas_core.offer.nomenclature import PROFESSIONS
from sas_core.storage.offer import DirectoryWriter, write_directory

#: System of imported places' ids: the Annuaire's technical id of the structure (the site).
ANNUAIRE_PLACE_SYSTEM = "urn:sas-connect:annuaire-sante:structure"

IDNPS = "Identification nationale PP"
FAMILY = "Nom d'exercice"
GIVEN = "Prénom d'exercice"
PROFESSION = "Code profession"
SAVOIR_FAIRE_TYPE = "Code type savoir-faire"
SAVOIR_FAIRE = "Code savoir-faire"
STRUCTURE = "Identifiant technique de la structure"
NUMBER = "Numéro Voie (coord. structure)"
REPETITION = "Indice répétition voie (coord. structure)"
STREET_TYPE = "Libellé type de voie (coord. structure)"
STREET = "Libellé Voie (coord. structure)"
POSTCODE = "Code postal (coord. structure)"
INSEE = "Code commune (coord. structure)"
CITY = "Libellé commune (coord. structure)"
PHONE = "Téléphone (coord. structure)"
#: Columns the import cannot do without; the others are read when present.
REQUIRED = (IDNPS, FAMILY, GIVEN, PROFESSION, STRUCTURE, POSTCODE, INSEE, CITY)
OPTIONAL = (SAVOIR_FAIRE_TYPE, SAVOIR_FAIRE, NUMBER, REPETITION, STREET_TYPE, STREET, PHONE)
#: `Code type savoir-faire` of an ordinal specialty (TRE_R38): the others are competences.
SPECIALTY_TYPE = "S"
#: Practitioners written per batch.
BATCH = 5_000


class DirectoryFileError(ValueError):
    """A malformed directory file: where (line, column) and what; nothing was imported."""

    def __init__(self, line: int, column: str | None, message: str) -> None:
        self.line = line
        self.column = column
        where = f"line {line}" + (f", column {column!r}" if column else "")
        super().__init__(f"{where}: {message}")


@dataclass
class ImportReport:
    """What an import did: rows read, offer written, and what it left out (and why)."""

    rows: int = 0
    practitioners: int = 0
    places: int = 0
    #: Rows of professions the SAS does not offer (digest §3.7), left out.
    other_professions: int = 0
    #: Rows whose commune (INSEE code, postcode) the gazetteer does not know: not placed.
    unplaced_rows: int = 0
    #: Places found by postcode because the INSEE code was missing or unknown.
    placed_by_postcode: int = 0
    unplaced_examples: list[str] = field(default_factory=list)


@dataclass
class _Person:
    idnps: str
    family: str
    given: str
    profession: str
    specialties: list[str]
    places: dict[str, OfferPlace]

    def finished(self) -> DirectoryPractitioner:
        return DirectoryPractitioner(
            idnps=self.idnps,
            family=self.family,
            given=self.given,
            profession=self.profession,
            specialties=tuple(self.specialties),
            places=tuple(self.places.values()),
        )


def import_annuaire(
    engine: Engine,
    path: Path,
    gazetteer: Gazetteer,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Replace the directory with the file's practitioners; `on_progress(bytes read)`."""
    report = ImportReport()
    with path.open("rb") as raw, write_directory(engine) as writer:
        writer.clear()
        _Importer(writer, gazetteer, report).run(
            _lines(raw), (lambda: on_progress(raw.tell())) if on_progress else None
        )
    return report


def _lines(raw: BinaryIO) -> Iterator[list[str]]:
    return csv.reader(_decoded(raw), delimiter="|", quoting=csv.QUOTE_NONE, strict=True)


def _decoded(raw: BinaryIO) -> Iterator[str]:
    """The file's lines as text, each decoded on its own so bytes that are not UTF-8 are
    reported at their line (a decoder reading ahead by blocks would name a later one)."""
    for line, data in enumerate(raw, start=1):
        try:
            yield data.decode("utf-8-sig" if line == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise DirectoryFileError(
                line,
                None,
                f"byte 0x{data[exc.start]:02x} at position {exc.start + 1} is not UTF-8 "
                "(the extraction is UTF-8: convert the file, e.g. `iconv -f latin1 -t utf-8`)",
            ) from None


class _Importer:
    def __init__(self, writer: DirectoryWriter, gazetteer: Gazetteer, report: ImportReport):
        self.writer = writer
        self.gazetteer = gazetteer
        self.report = report
        self.batch: list[DirectoryPractitioner] = []
        self.seen: set[str] = set()

    def run(self, rows: Iterator[list[str]], progress: Callable[[], None] | None) -> None:
        try:
            header = next(rows)
        except StopIteration:
            raise DirectoryFileError(1, None, "the file is empty (no header line)") from None
        except csv.Error as exc:
            raise DirectoryFileError(1, None, f"unreadable header: {exc}") from None
        columns = _positions(header)
        person: _Person | None = None
        line = 1
        try:
            for line, fields in enumerate(rows, start=2):
                if not fields:
                    continue  # a blank line (one at the end of the file, typically)
                if len(fields) != len(header):
                    self._wrong_width(line, fields, header)
                self.report.rows += 1
                if progress and line % 20_000 == 0:
                    progress()
                person = self._row(line, fields, columns, person)
        except csv.Error as exc:
            raise DirectoryFileError(line + 1, None, f"unreadable line: {exc}") from None
        if person is not None:
            self._finish(person)
        self._flush()
        if progress:
            progress()

    def _wrong_width(self, line: int, fields: list[str], header: list[str]) -> None:
        first_off = min(len(fields), len(header))
        column = header[first_off] if first_off < len(header) else None
        raise DirectoryFileError(
            line,
            column,
            f"{len(fields)} fields where the header has {len(header)}"
            + ("" if column else f" (extra fields after {header[-1]!r})"),
        )

    def _row(
        self, line: int, fields: list[str], columns: dict[str, int], person: _Person | None
    ) -> _Person | None:
        def value(name: str) -> str:
            position = columns.get(name)
            return fields[position].strip() if position is not None else ""

        raw_id = value(IDNPS)
        try:
            idnps = parse_idnps(raw_id).value
        except IdentifierError as exc:
            raise DirectoryFileError(line, IDNPS, str(exc)) from None
        profession = value(PROFESSION)
        if profession not in PROFESSIONS:
            self.report.other_professions += 1
            return person
        if person is None or person.idnps != idnps:
            if person is not None:
                self._finish(person)
            person = _Person(idnps, value(FAMILY), value(GIVEN), profession, [], {})
        if value(SAVOIR_FAIRE_TYPE) == SPECIALTY_TYPE:
            code = value(SAVOIR_FAIRE)
            if code and code not in person.specialties:
                person.specialties.append(code)
        place = self._place(line, value)
        if place is not None and place.id not in person.places:
            person.places[place.id] = place
        return person

    def _place(self, line: int, value: Callable[[str], str]) -> OfferPlace | None:
        structure = value(STRUCTURE)
        postcode, insee, city = value(POSTCODE), value(INSEE), value(CITY)
        commune = self.gazetteer.communes.get(insee) if insee else None
        if commune is None and postcode:
            commune = _by_postcode(self.gazetteer, postcode, city)
            if commune is not None:
                self.report.placed_by_postcode += 1
        if commune is None:
            self.report.unplaced_rows += 1
            if len(self.report.unplaced_examples) < 5:
                self.report.unplaced_examples.append(
                    f"line {line}: INSEE {insee or '-'}, postcode {postcode or '-'}"
                )
            return None
        street = " ".join(
            part
            for part in (value(NUMBER), value(REPETITION), value(STREET_TYPE), value(STREET))
            if part
        )
        key = structure or f"{postcode}:{name_key(street)}"
        return OfferPlace(
            id=f"{ANNUAIRE_PLACE_SYSTEM}|{key}",
            line=street or None,
            postal_code=postcode or None,
            city=city or commune.name,
            insee=commune.code,
            latitude=commune.lat,
            longitude=commune.lon,
            phone=value(PHONE) or None,
        )

    def _finish(self, person: _Person) -> None:
        if person.idnps in self.seen:
            # The person's lines were not consecutive: merge into what was written (rare).
            self._flush()
            self.report.places += self.writer.merge_practitioner(
                person.idnps, tuple(person.specialties), tuple(person.places.values())
            )
            return
        self.seen.add(person.idnps)
        practitioner = person.finished()
        self.batch.append(practitioner)
        self.report.practitioners += 1
        self.report.places += len(practitioner.places)
        if len(self.batch) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        self.writer.add_practitioners(self.batch)
        self.batch = []


def _positions(header: list[str]) -> dict[str, int]:
    """Where each column used sits; a required one missing is an error on line 1."""
    names = [name.strip() for name in header]
    for required in REQUIRED:
        if required not in names:
            raise DirectoryFileError(
                1,
                required,
                "missing from the header: is this PS_LibreAcces_Personne_activite "
                "(pipe-separated)?",
            )
    return {name: names.index(name) for name in (*REQUIRED, *OPTIONAL) if name in names}


def _by_postcode(gazetteer: Gazetteer, postcode: str, city: str) -> Place | None:
    """The commune of a postcode: the one named like `city` when several share it."""
    found = gazetteer.by_postcode.get(postcode, [])
    if len(found) <= 1:
        return found[0] if found else None
    key = name_key(city)
    return next((c for c in found if name_key(c.name) == key), found[0])
