"""`sas directory`: the offer directory the search proposes (import, generate, stats)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from sas_core.cli.context import open_platform_database
from sas_core.cli.main import EXIT_FAILED, EXIT_USAGE
from sas_core.cli.output import echo_table, stderr
from sas_core.geography.gazetteer import GazetteerMissing, load_gazetteer
from sas_core.geography.territories import territory_of_departement
from sas_core.offer.annuaire import DirectoryFileError, ImportReport, import_annuaire
from sas_core.offer.directory import OfferDirectory
from sas_core.offer.models import DirectoryStats
from sas_core.offer.synthetic import DEMO_AGENDAS, generate_directory, store_directory

FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)


@click.group("directory")
def directory_group() -> None:
    """The offer directory: practitioners, structures and their places."""


@directory_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@FORMAT
def import_command(file: Path, fmt: str) -> None:
    """Replace the directory with FILE, an Annuaire Santé extraction
    PS_LibreAcces_Personne_activite (pipe-separated, header line; docs/directory.md).

    Places are put at their commune's centre; rows whose commune is unknown are counted and left
    out. A malformed line stops the import (exit 2) with its line and column, and the previous
    directory stays as it was.
    """
    engine = open_platform_database()
    try:
        gazetteer = load_gazetteer()
        size = file.stat().st_size
        with _progress(fmt, size, TextColumn("importing"), DownloadColumn()) as advance:
            report = import_annuaire(engine, file, gazetteer, on_progress=advance)
    except DirectoryFileError as exc:
        _fail(f"{file}: {exc}; nothing was imported", EXIT_USAGE)
    except GazetteerMissing as exc:
        _fail(str(exc), EXIT_FAILED)
    finally:
        engine.dispose()
    _print_import(report, fmt)


@directory_group.command("generate")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same directory.")
@click.option(
    "--size",
    type=click.IntRange(min=0),
    default=5000,
    show_default=True,
    help="Synthetic practitioners, besides the demo vendors' agendas.",
)
@click.option(
    "--if-empty", is_flag=True, help="Do nothing when a directory is already stored (make run)."
)
@FORMAT
def generate_command(seed: int, size: int, if_empty: bool, fmt: str) -> None:
    """Replace the directory with a seeded synthetic one: the practitioners, CPTS and SOS
    associations the demo's simulated vendors serve (their adapter set), plus SIZE
    practitioners in real communes, with CPTS, MSP, CDS and SOS Médecins."""
    engine = open_platform_database()
    try:
        directory = OfferDirectory(engine)
        if if_empty and not directory.is_empty():
            stderr.print("a directory is already stored: left as it is (--if-empty)")
            _print_stats(directory.stats(), fmt)
            return
        generated = generate_directory(seed, size, load_gazetteer())
        demo = sum(vendor.practitioners for vendor in DEMO_AGENDAS if vendor.serves != "sos")
        with _progress(fmt, size + demo, TextColumn("writing"), MofNCompleteColumn()) as advance:
            store_directory(engine, generated, on_progress=advance)
        _print_stats(directory.stats(), fmt)
    except GazetteerMissing as exc:
        _fail(str(exc), EXIT_FAILED)
    finally:
        engine.dispose()


@directory_group.command("stats")
@FORMAT
def stats_command(fmt: str) -> None:
    """Counts of the stored directory: practitioners, structures per kind, SAS participation,
    connected agendas, and per département (with its SAS territory)."""
    engine = open_platform_database()
    try:
        _print_stats(OfferDirectory(engine).stats(), fmt)
    finally:
        engine.dispose()


def _fail(message: str, code: int) -> NoReturn:
    stderr.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise SystemExit(code)


@contextmanager
def _progress(fmt: str, total: int, *columns: ProgressColumn) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (none with `--format json`); yields `advance(done)`."""
    with Progress(
        *columns, BarColumn(), TimeElapsedColumn(), console=stderr, transient=True,
        disable=fmt == "json",
    ) as progress:  # fmt: skip
        task = progress.add_task("", total=total)
        yield lambda done: progress.update(task, completed=done)


def _print_import(report: ImportReport, fmt: str) -> None:
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "rows": report.rows,
                    "practitioners": report.practitioners,
                    "places": report.places,
                    "other_professions": report.other_professions,
                    "unplaced_rows": report.unplaced_rows,
                    "placed_by_postcode": report.placed_by_postcode,
                },
                ensure_ascii=False,
            )
        )
        return
    echo_table(
        ["rows", "practitioners", "places", "other professions", "unplaced rows", "by postcode"],
        [
            [
                report.rows,
                report.practitioners,
                report.places,
                report.other_professions,
                report.unplaced_rows,
                report.placed_by_postcode,
            ]
        ],
        title="directory imported",
    )
    for example in report.unplaced_examples:
        stderr.print(f"not placed: {example}", markup=False, highlight=False)


def stats_document(stats: DirectoryStats) -> dict[str, object]:
    """What `sas directory stats --format json` prints."""
    return {
        "practitioners": stats.practitioners,
        "structures": stats.structures,
        "places": stats.places,
        "participating_practitioners": stats.participating_practitioners,
        "surnumeraire_practitioners": stats.surnumeraire_practitioners,
        "connected_places": stats.connected_places,
        "connected_share": round(stats.connected_share, 4),
        "cpts_zone_communes": stats.cpts_zone_communes,
        "by_departement": [
            {
                "departement": dep,
                "territory": _territory(dep),
                "places": places,
                "participating_places": participating,
                "connected_places": connected,
            }
            for dep, (places, participating, connected) in stats.by_departement.items()
        ],
    }


def _territory(departement: str) -> str | None:
    try:
        return territory_of_departement(departement)
    except ValueError:
        return None


def _print_stats(stats: DirectoryStats, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(stats_document(stats), ensure_ascii=False))
        return
    share = stats.participating_practitioners / stats.practitioners if stats.practitioners else 0
    structures = ", ".join(f"{kind} {count}" for kind, count in stats.structures.items())
    echo_table(
        ["practitioners", "participating", "surnuméraire", "structures", "places", "connected"],
        [
            [
                stats.practitioners,
                f"{stats.participating_practitioners} ({share:.0%})",
                stats.surnumeraire_practitioners,
                structures or "none",
                stats.places,
                f"{stats.connected_places} ({stats.connected_share:.0%})",
            ]
        ],
        title="offer directory",
    )
    echo_table(
        ["département", "territory", "places", "participating", "connected"],
        [
            [dep, _territory(dep) or "", places, participating, connected]
            for dep, (places, participating, connected) in stats.by_departement.items()
        ],
        title="per département",
    )
