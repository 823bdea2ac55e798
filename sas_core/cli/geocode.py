"""`sas geocode`: the centre, territory and radius a search on a typed place would use."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from sas_core.cli.context import platform_settings, plugin_host
from sas_core.cli.main import EXIT_FAILED, EXIT_USAGE
from sas_core.cli.output import stderr
from sas_core.geography.gazetteer import GazetteerMissing
from sas_core.geography.models import GeocodeError, SearchArea
from sas_core.geography.radius import RadiusTableError, load_radius_table
from sas_core.geography.search_area import geocode as geocode_place
from sas_core.geography.search_area import search_area


@click.command("geocode")
@click.argument("query", nargs=-1)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--radius-table",
    type=click.Path(dir_okay=False, path_type=Path),
    help="ANS's search-radius sheet as CSV (default: $SAS_RADIUS_TABLE; unset: fallbacks).",
)
def geocode(query: tuple[str, ...], fmt: str, radius_table: Path | None) -> None:
    """Locate QUERY (an address, a commune, a postcode or a département code) and print the
    search circle: centre, kind of place, département, SAS territory and radius in km.

    Exits 2 when the place is empty, unknown or ambiguous (the candidates are listed).
    """
    text = " ".join(query)
    try:
        table_path = radius_table or platform_settings().radius_table
        table = load_radius_table(table_path)
    except RadiusTableError as exc:
        _fail(fmt, str(exc), EXIT_USAGE if radius_table else EXIT_FAILED)
    try:
        place = geocode_place(text, plugin_host().hooks)
        area = search_area(place, table)
    except GeocodeError as exc:
        _fail(fmt, str(exc), EXIT_USAGE, exc)
    except GazetteerMissing as exc:
        _fail(fmt, str(exc), EXIT_FAILED)
    except Exception as exc:  # a geocoder plugin's own failure: said in one line, not a trace
        _fail(fmt, f"geocoding failed: {type(exc).__name__}: {exc}", EXIT_FAILED)
    if area.place.note:
        stderr.print(f"note: {area.place.note}", markup=False, highlight=False, soft_wrap=True)
    if fmt == "json":
        click.echo(json.dumps(area.as_contract(), ensure_ascii=False))
    else:
        click.echo(_line(area))


def _line(area: SearchArea) -> str:
    place = area.place
    insee = f", INSEE {place.insee}" if place.insee else ""
    return (
        f"{place.label} — {place.kind}{insee}: {area.lat:.5f}, {area.lon:.5f}; "
        f"département {place.departement}, territory {area.territory}, "
        f"radius {area.radius_km:g} km"
    )


def _fail(fmt: str, message: str, code: int, error: GeocodeError | None = None) -> NoReturn:
    stderr.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    if fmt == "json":
        candidates = [c.model_dump(mode="json") for c in error.candidates] if error else []
        click.echo(json.dumps({"error": message, "candidates": candidates}, ensure_ascii=False))
    sys.exit(code)
