"""`sas slots`: fetch slots from adapters and show what came back."""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NoReturn

import click
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from sas_core.cli.context import platform_settings, plugin_host
from sas_core.cli.output import echo_table, stderr
from sas_core.clock import PARIS
from sas_core.fhir.instants import parse_instant
from sas_core.identifiers import IdentifierError, parse_rpps, parse_siret
from sas_core.plugins.host import PluginHost
from sas_core.registry.directory import RegistryDirectory
from sas_core.registry.health import DatabaseHealth, HealthSettings
from sas_core.registry.territories import check_territory
from sas_core.slots.fanout import AdapterRequest, AggregatedSlots, collect_slots
from sas_core.slots.models import MAX_WINDOW, SearchWindow
from sas_core.slots.territory import NoAdapterError, collect_territory_slots
from sas_core.storage import SchemaNotCurrentError, open_database


@click.group("slots")
def slots_group() -> None:
    """Fetch free slots from vendors."""


def default_window(now: datetime) -> SearchWindow:
    """From now to the end of the day after tomorrow (Paris), as the ANS test kit asks."""
    local = now.astimezone(PARIS)
    end_of_d2 = datetime.combine(local.date() + timedelta(days=3), datetime.min.time(), PARIS)
    end = min(end_of_d2 - timedelta(milliseconds=1), now + MAX_WINDOW)
    return SearchWindow(start=now, end=end)


def parse_cli_instant(text: str) -> datetime:
    """Any ISO 8601 date-time a person types (`2026-11-27T10:00`, with or without seconds or an
    offset); without an offset it is Paris wall-clock time, as in vendors' bundles."""
    try:
        return parse_instant(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(
                f"{text!r} is not an ISO 8601 date-time (e.g. 2026-11-27T10:00 or "
                "2026-11-27T10:00:00+01:00)"
            ) from None
    if moment.tzinfo is None:
        return parse_instant(moment.isoformat(timespec="milliseconds"))
    return moment


def parse_window(start: str | None, end: str | None, now: datetime) -> SearchWindow:
    """Read `--start`/`--end`; an instant without offset is Paris wall-clock time."""
    try:
        begin = parse_cli_instant(start) if start else now
        if end:
            finish = parse_cli_instant(end)
        elif start:
            finish = begin + timedelta(hours=48)
        else:
            return default_window(now)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--start/--end") from None
    if finish <= now:
        raise click.BadParameter(
            f"the window ends at {finish.isoformat()}, in the past: only future slots are free",
            param_hint="--end",
        )
    try:
        return SearchWindow(start=begin, end=finish)
    except ValidationError as exc:
        raise click.BadParameter(exc.errors()[0]["msg"], param_hint="--start/--end") from None


def slot_dicts(result: AggregatedSlots) -> dict[str, Any]:
    """The `--format json` document: `{"slots": [...], "outcomes": [...]}` (a public contract)."""
    return {
        "slots": [s.model_dump(mode="json") for s in result.slots],
        "outcomes": [o.model_dump(mode="json") for o in result.outcomes],
    }


def fail_usage(fmt: str, message: str) -> NoReturn:
    """Refuse the command line; in JSON mode stdout still carries the contract's document."""
    fail(fmt, message, 2)


def fail(fmt: str, message: str, code: int) -> NoReturn:
    """Stop with `code`; in JSON mode stdout still carries the contract's document."""
    if fmt == "json":
        click.echo(json.dumps({"slots": [], "outcomes": [], "error": message}, indent=2))
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def pair_adapters(
    adapters: Sequence[str], base_urls: Sequence[str], extra: dict[str, str]
) -> list[AdapterRequest]:
    """Pair `--adapter` with `--base-url` by position; a single URL serves every adapter."""
    if base_urls and len(base_urls) not in (1, len(adapters)):
        raise click.UsageError(
            f"{len(adapters)} --adapter but {len(base_urls)} --base-url: give one URL, "
            "or one per adapter in the same order"
        )
    requests = []
    seen: dict[str, int] = {}
    for i, plugin in enumerate(adapters):
        settings: dict[str, object] = dict(extra)
        if base_urls:
            settings["base_url"] = base_urls[i] if len(base_urls) > 1 else base_urls[0]
        seen[plugin] = seen.get(plugin, 0) + 1
        name = plugin if adapters.count(plugin) == 1 else f"{plugin}#{seen[plugin]}"
        requests.append(AdapterRequest(plugin=plugin, settings=settings, name=name))
    return requests


def parse_settings(pairs: Sequence[str]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--setting")
        settings[key.strip()] = value
    return settings


class JsonDocumentCommand(click.Command):
    """Keeps the `--format json` promise for command lines click itself refuses (an unknown
    option, a missing value): the document with its `"error"` still goes to stdout."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)  # click's parser consumes `args` in place
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            wants_json = "--format=json" in given or any(
                a == "--format" and b == "json" for a, b in itertools.pairwise(given)
            )
            if wants_json:
                document = {"slots": [], "outcomes": [], "error": exc.format_message()}
                click.echo(json.dumps(document, indent=2))
            raise


@slots_group.command("fetch", cls=JsonDocumentCommand)
@click.option("--adapter", "adapters", multiple=True, help="Adapter plugin (repeatable).")
@click.option(
    "--territory",
    help="Ask every adapter the registry calls in this territory (e.g. SAS-33), instead of "
    "--adapter, through their circuit breakers.",
)
@click.option("--base-url", "base_urls", multiple=True, help="Vendor FHIR base URL (repeatable).")
@click.option("--rpps", "rpps", multiple=True, help="RPPS, 11 digits or 8 + 11 (repeatable).")
@click.option(
    "--siret",
    "siret",
    multiple=True,
    help="SOS Médecins association's SIRET, 14 digits or 3 + 14 (repeatable).",
)
@click.option("--start", help="Window start, ISO 8601 (no offset = Paris time). Default: now.")
@click.option("--end", help="Window end, ISO 8601. Default: end of day D+2, at most 72 h.")
@click.option("--timeout", type=click.FloatRange(0.1, 60), help="Per-vendor deadline, s [7].")
@click.option("--client-cert", type=click.Path(dir_okay=False), help="mTLS client cert (PEM).")
@click.option("--client-key", type=click.Path(dir_okay=False), help="mTLS client key (PEM).")
@click.option("--ca-bundle", type=click.Path(dir_okay=False), help="CA to verify vendors.")
@click.option("--setting", "settings", multiple=True, help="Extra adapter setting KEY=VALUE.")
@click.option("--store/--no-store", default=True, show_default=True, help="Keep the result.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def fetch(
    adapters: tuple[str, ...],
    territory: str | None,
    base_urls: tuple[str, ...],
    rpps: tuple[str, ...],
    siret: tuple[str, ...],
    start: str | None,
    end: str | None,
    timeout: float | None,
    client_cert: str | None,
    client_key: str | None,
    ca_bundle: str | None,
    settings: tuple[str, ...],
    store: bool,
    fmt: str,
) -> None:
    """Fetch the free slots of practitioners (--rpps) or SOS associations (--siret).

    Identifiers are checked before any request. With --territory, the adapters and their
    settings come from the registry. Exits 1 only when every adapter failed (or none is called
    in the territory); the JSON document is printed in every case.
    """
    now = datetime.now(PARIS)
    try:
        if not rpps and not siret:
            raise click.UsageError("name at least one --rpps or --siret")
        if territory is not None:
            named = (*adapters, *base_urls, *settings, client_cert, client_key, ca_bundle)
            territory = _territory_search(territory, any(named))
        elif not adapters:
            raise click.UsageError(
                "name the adapters: --adapter NAME (with --base-url) or --territory CODE"
            )
        practitioners = [parse_rpps(r).value for r in rpps]
        structures = [parse_siret(s).value for s in siret]
        window = parse_window(start, end, now)
        extra = parse_settings(settings)
        for key, value in (
            ("client_cert", client_cert),
            ("client_key", client_key),
            ("ca_bundle", ca_bundle),
        ):
            if value:
                extra[key] = value
        requests = pair_adapters(adapters, base_urls, extra)
    except IdentifierError as exc:
        fail_usage(fmt, str(exc))
    except click.UsageError as exc:
        fail_usage(fmt, exc.format_message())
    if timeout is not None:
        requests = [
            AdapterRequest(r.plugin, r.settings, name=r.name, timeout_s=timeout) for r in requests
        ]

    host = plugin_host()
    if territory is not None:
        result = _fetch_territory(host, territory, window, practitioners, structures, timeout, fmt)
    else:
        result = asyncio.run(
            collect_slots(
                host, requests, window, practitioners=practitioners, structures=structures
            )
        )
    if store:
        _store(result)

    if fmt == "json":
        click.echo(json.dumps(slot_dicts(result), indent=2, ensure_ascii=False))
    else:
        _print_tables(result)
    sys.exit(1 if result.all_failed else 0)


def _territory_search(territory: str, names_adapters: bool) -> str:
    """The official territory code; options naming adapters or their settings are refused."""
    if names_adapters:
        raise click.UsageError(
            "--territory asks the adapters the registry enables there, with their registry "
            "settings: it does not go with --adapter, --base-url, --setting, --client-cert, "
            "--client-key or --ca-bundle"
        )
    try:
        return check_territory(territory)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--territory") from None


def _fetch_territory(
    host: PluginHost,
    territory: str,
    window: SearchWindow,
    practitioners: list[str],
    structures: list[str],
    timeout: float | None,
    fmt: str,
) -> AggregatedSlots:
    """Ask every adapter the registry calls in `territory`, through its circuit there (an open
    one is skipped without a request, every call is counted); none at all exits 1."""
    try:
        engine = open_database(platform_settings())
    except (SQLAlchemyError, SchemaNotCurrentError) as exc:
        fail(fmt, f"cannot use the database: {exc}", 1)
    try:
        return asyncio.run(
            collect_territory_slots(
                host,
                RegistryDirectory(engine, host),
                territory,
                window,
                practitioners=practitioners,
                structures=structures,
                timeout_s=timeout,
                breaker=DatabaseHealth(engine, HealthSettings().policy()),
            )
        )
    except NoAdapterError as exc:
        fail(fmt, str(exc), 1)
    finally:
        engine.dispose()


def _store(result: AggregatedSlots) -> None:
    try:
        engine = open_database(platform_settings())
        result.record(engine, "cli")
        engine.dispose()
    except Exception as exc:
        stderr.print(f"[yellow]warning:[/] the slots were not stored: {exc}")


def _print_tables(result: AggregatedSlots) -> None:
    echo_table(
        ["start", "end", "who", "place", "types", "modalities", "adapter", "booking"],
        [
            [
                s.start.astimezone(PARIS).strftime("%a %d %b %H:%M"),
                s.end.astimezone(PARIS).strftime("%H:%M"),
                " / ".join(x for x in (s.practitioner, s.structure) if x),
                s.place.address.city if s.place else None,
                " ".join(s.slot_types),
                " ".join(s.modalities),
                s.adapter,
                s.booking_url,
            ]
            for s in result.slots
        ],
        title=f"{len(result.slots)} free slots",
    )
    echo_table(
        ["adapter", "status", "slots", "requests", "duration ms", "error"],
        [
            [o.adapter, o.status, o.slot_count, o.requests, f"{o.duration_ms:.0f}", o.error]
            for o in result.outcomes
        ],
        title="outcome per adapter",
    )
