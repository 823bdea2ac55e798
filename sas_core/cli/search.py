"""`sas search`: the care offer near a place, with live slots and a status for every card."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from datetime import timedelta
from typing import Any, NoReturn

import click
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from sas_core.cli.context import platform_settings, plugin_host
from sas_core.cli.main import EXIT_FAILED, EXIT_USAGE
from sas_core.cli.output import echo_table, stderr
from sas_core.clock import PARIS
from sas_core.geography.gazetteer import GazetteerMissing
from sas_core.geography.models import GeocodeError, GeocodeResult, SearchArea
from sas_core.geography.radius import RadiusTableError, load_radius_table
from sas_core.geography.search_area import geocode as geocode_place
from sas_core.geography.search_area import search_area
from sas_core.offer.directory import MAX_RADIUS_KM, OfferDirectory
from sas_core.plugins.host import PluginHost
from sas_core.registry.directory import RegistryDirectory
from sas_core.registry.health import DatabaseHealth, HealthSettings
from sas_core.registry.search_radius import RegistryRadiusTable
from sas_core.registry.territories import check_territory
from sas_core.search.models import MAX_WITHIN, Card, Filters, SearchInputError, SearchRequest
from sas_core.search.service import RunningSearch, SearchService
from sas_core.storage import SchemaNotCurrentError, open_database

_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(h|m|min|d)?\s*", re.IGNORECASE)


@click.command("search")
@click.option("--near", "near", required=True, help="Address, commune, postcode or département.")
@click.option("--specialty", help="TRE_R38 specialty code, e.g. SM54 (general practice).")
@click.option(
    "--within",
    help="Only slots starting within this time, e.g. 4h, 90m, 2d (at most 72h). "
    "Default: until the end of the day after tomorrow.",
)
@click.option(
    "--filter",
    "filters",
    multiple=True,
    help="with-slots, surnumeraire, available:0-4h|4-8h|8-12h|12-24h|24-48h|48-72h, "
    "type:practitioner|cpts|sos|msp|cds, modality:cabinet|teleconsultation|home "
    "(repeatable; values of one filter separated by commas).",
)
@click.option("--seed", type=int, help="Order of equivalent offers; the same seed, the same list.")
@click.option("--fresh", is_flag=True, help="Ask the vendors even when their answer is cached.")
@click.option(
    "--radius", type=float, help=f"Radius in km (0–{MAX_RADIUS_KM:g}) instead of the territory's."
)
@click.option("--territory", help="Ask this territory's adapters (default: the place's).")
@click.option(
    "--preferred-doctor",
    help="The patient's usual doctor, shown first: RPPS, IDNPS or the LRM's urn:oid form.",
)
@click.option(
    "--limit", type=click.IntRange(1, 10000), default=50, show_default=True, help="Cards at most."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "jsonl"]),
    default="table",
    show_default=True,
)
def search(
    near: str,
    specialty: str | None,
    within: str | None,
    filters: tuple[str, ...],
    seed: int | None,
    fresh: bool,
    radius: float | None,
    territory: str | None,
    preferred_doctor: str | None,
    limit: int,
    fmt: str,
) -> None:
    """Search the care offer near a place: the offer directory's practitioners and structures
    in the territory's radius, each with its live slots and a status — slots, no-slot,
    not-connected, vendor-error or circuit-open.

    `--format jsonl` prints the header line, then one line per card as each lot of 25 is
    complete. Exits 2 when the place, the specialty, a filter, the radius or the territory is
    not understood (saying what was).
    """
    try:
        request_filters = Filters.parse(filters)
        window = _within(within) if within is not None else None
        if radius is not None and not 0 < radius <= MAX_RADIUS_KM:
            raise SearchInputError(f"radius {radius:g} km is out of range (0, {MAX_RADIUS_KM:g}]")
        if territory is not None:
            territory = _territory(territory)
        if not near.strip():
            raise SearchInputError(
                "the place is empty: give an address, a commune, a postcode "
                "or a département (--near)"
            )
    except SearchInputError as exc:
        _fail(fmt, str(exc), EXIT_USAGE)
    host = plugin_host()
    place = _place(near, host, fmt)
    try:
        engine = open_database(platform_settings())
    except (SQLAlchemyError, SchemaNotCurrentError) as exc:
        _fail(fmt, f"cannot use the database: {exc}", EXIT_FAILED)
    try:
        area = _area(place, engine, fmt)
        if radius is not None:
            area = area.model_copy(update={"radius_km": radius})
        directory = OfferDirectory(engine)
        if directory.is_empty():
            _fail(
                fmt,
                "the offer directory is empty: fill it with `sas directory generate` or "
                "`sas directory import`",
                EXIT_FAILED,
            )
        service = SearchService(
            directory,
            host,
            RegistryDirectory(engine, host),
            breaker=DatabaseHealth(engine, HealthSettings().policy()),
        )
        request = SearchRequest(
            area=area,
            specialty=specialty,
            within=window,
            filters=request_filters,
            seed=seed,
            fresh=fresh,
            preferred_doctor=preferred_doctor,
            radius_given=radius is not None,
            limit=limit,
        )
        try:
            running = service.start(request, territory)
        except SearchInputError as exc:
            _fail(fmt, str(exc), EXIT_USAGE)
        asyncio.run(_render(running, fmt))
    finally:
        engine.dispose()


def _within(text: str) -> timedelta:
    """`72h`, `90m`, `2d`, `4` (hours): at most 72 hours."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise SearchInputError(f"--within {text!r} is not a duration such as 4h, 90m or 2d")
    number, unit = float(match.group(1)), (match.group(2) or "h").lower()
    span = {
        "h": timedelta(hours=number),
        "m": timedelta(minutes=number),
        "min": timedelta(minutes=number),
        "d": timedelta(days=number),
    }[unit]
    if not timedelta(0) < span <= MAX_WITHIN:
        raise SearchInputError(f"--within {text!r} is out of range: more than 0, at most 72h")
    return span


def _territory(code: str) -> str:
    try:
        return check_territory(code)
    except ValueError as exc:
        raise SearchInputError(f"--territory: {exc}") from None


def _place(near: str, host: PluginHost, fmt: str) -> GeocodeResult:
    """Where the regulator means, or exit 2 saying what was understood (the candidates of an
    ambiguous name)."""
    try:
        return geocode_place(near, host.hooks)
    except GeocodeError as exc:
        candidates = [c.model_dump(mode="json") for c in exc.candidates]
        _fail(fmt, f"--near {near!r}: {exc}", EXIT_USAGE, candidates)
    except GazetteerMissing as exc:
        _fail(fmt, str(exc), EXIT_FAILED)
    except Exception as exc:  # a geocoder plugin's own failure: one line, not a trace
        _fail(fmt, f"geocoding failed: {type(exc).__name__}: {exc}", EXIT_FAILED)


def _area(place: GeocodeResult, engine: Engine, fmt: str) -> SearchArea:
    """The circle searched: the radius of the place's territory (the registry's override, else
    ANS's table, else the fallbacks)."""
    try:
        table = RegistryRadiusTable(engine, load_radius_table(platform_settings().radius_table))
        return search_area(place, table)
    except RadiusTableError as exc:
        _fail(fmt, str(exc), EXIT_FAILED)
    except GeocodeError as exc:
        _fail(fmt, str(exc), EXIT_USAGE)


async def _render(running: RunningSearch, fmt: str) -> None:
    header = running.header
    if header.enlarged:
        stderr.print(
            f"note: too few offers in the territory's radius: enlarged to {header.radius_km:g} km",
            markup=False,
            highlight=False,
        )
    if header.preferred_doctor_error is not None:
        error = header.preferred_doctor_error
        stderr.print(
            f"note: preferred doctor not shown: {error.error_code_sas} {error.error_message_sas}",
            markup=False,
            highlight=False,
        )
    if fmt == "jsonl":
        click.echo(json.dumps(header.as_contract(), ensure_ascii=False))
        async for page in running.pages():
            for card in page.cards:
                click.echo(json.dumps(card.as_contract(), ensure_ascii=False))
            sys.stdout.flush()
        return
    cards = [card async for page in running.pages() for card in page.cards]
    if fmt == "json":
        document = {**header.as_contract(), "results": [c.as_contract() for c in cards]}
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    _table(running, cards)


def _table(running: RunningSearch, cards: list[Card]) -> None:
    header = running.header
    echo_table(
        ["#", "type", "id", "km", "SAS", "status", "first slot", "slots", "why"],
        [
            [
                ("★" if c.preferred else "") + str(i),
                c.type,
                c.id,
                f"{c.distance_km:.1f}",
                "yes" if c.participates else "no",
                c.status,
                c.slots[0].start.astimezone(PARIS).strftime("%a %d %H:%M") if c.slots else None,
                len(c.slots),
                c.cause,
            ]
            for i, c in enumerate(cards, start=1)
        ],
        title=(
            f"{header.place} ({header.kind}) — {header.territory}, radius {header.radius_km:g} km, "
            f"seed {header.seed}: {len(cards)} of {header.candidates} offers"
        ),
    )


def _fail(fmt: str, message: str, code: int, candidates: list[Any] | None = None) -> NoReturn:
    stderr.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    if fmt in ("json", "jsonl"):
        document = {"error": message, "candidates": candidates or [], "results": []}
        click.echo(json.dumps(document, ensure_ascii=False))
    sys.exit(code)
