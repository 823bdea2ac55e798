"""`sas simulator`: run the conformant vendor simulator, or show the dataset it serves."""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable
from pathlib import Path

import click

from sas_simulator.app import create_app
from sas_simulator.dataset import SPECIALTIES, Dataset, build_dataset
from sas_simulator.faults import FAULT_MODES, Faults
from sas_simulator.server import ServerTls, serve_forever

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _dataset_options(command: Callable[..., None]) -> Callable[..., None]:
    """--seed and --practitioners, shared so `dataset` shows exactly what `serve` serves."""
    command = click.option(
        "--practitioners",
        type=click.IntRange(1, 10_000),
        default=10,
        show_default=True,
        help="Number of practitioners to generate.",
    )(command)
    return click.option(
        "--seed", type=int, default=42, show_default=True, help="Random seed of the dataset."
    )(command)


@click.group()
def simulator() -> None:
    """A vendor agenda server answering INT_R01 Slot searches per the SAS IG."""


@simulator.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8081, show_default=True, help="0 = any."
)
@_dataset_options
@click.option(
    "--latency-ms",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Delay added to every Slot search.",
)
@click.option(
    "--fault",
    type=click.Choice(FAULT_MODES),
    default="none",
    show_default=True,
    help="How Slot searches misbehave (change it later with PUT /_sim/faults).",
)
@click.option("--tls-cert", type=_FILE, help="Server certificate (PEM): serve HTTPS.")
@click.option("--tls-key", type=_FILE, help="Private key of --tls-cert (PEM).")
@click.option(
    "--tls-client-ca", type=_FILE, help="CA bundle (PEM): require client certificates (mTLS)."
)
def serve(
    host: str,
    port: int,
    seed: int,
    practitioners: int,
    latency_ms: int,
    fault: str,
    tls_cert: Path | None,
    tls_key: Path | None,
    tls_client_ca: Path | None,
) -> None:
    """Serve the FHIR base at http(s)://HOST:PORT/fhir until interrupted."""
    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together")
    if tls_client_ca is not None and tls_cert is None:
        raise click.UsageError("--tls-client-ca needs --tls-cert and --tls-key")
    tls = (
        ServerTls(tls_cert, tls_key, tls_client_ca)
        if tls_cert is not None and tls_key is not None
        else None
    )
    faults = Faults.model_validate({"latency_ms": latency_ms, "mode": fault})
    app = create_app(build_dataset(seed, practitioners), faults)
    try:
        serve_forever(
            app, host, port, tls, ready=lambda url: click.echo(f"SAS simulator serving {url}")
        )
    except ssl.SSLError as exc:
        raise click.ClickException(f"cannot use the TLS certificate or key: {exc}") from None
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from None


@simulator.command()
@_dataset_options
@click.option(
    "--format",
    "output",
    type=click.Choice(("table", "json")),
    default="table",
    show_default=True,
    help="json is a stable contract; table is for people.",
)
def dataset(seed: int, practitioners: int, output: str) -> None:
    """Print the practitioners and places that `serve` with the same options serves."""
    data = build_dataset(seed, practitioners)
    if output == "json":
        click.echo(json.dumps(data.as_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(_table(data))


def _table(data: Dataset) -> str:
    lines = [f"seed {data.seed}, slots from {data.anchor:%Y-%m-%d %H:%M %Z}"]
    for person in data.as_json()["practitioners"]:
        specialties = ", ".join(SPECIALTIES.get(code, code) for code in person["specialties"])
        lines.append(
            f"{person['idnps']}  {person['family']} {person['given']}  ({specialties})"
            f"  {person['free_slots']} free slots"
        )
        for place in person["places"]:
            lines.append(
                f"    {place['id']}  {place['name']}, {place['line']}, {place['postal_code']}"
                f" {place['city']}  IDNST {place['structure']}  {place['free_slots']} free"
            )
    return "\n".join(lines)
