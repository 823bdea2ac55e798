"""The simulator's commands: `sas simulator serve|dataset` and `sas demo`.

Contributed to the `sas` command through the `sas_connect.commands` entry-point group. `sas
--help` loads this module to list them, so what the commands run (Litestar, storage, the
fan-out) is imported when they run.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sas_simulator.faults import FAULT_MODES, Faults

if TYPE_CHECKING:
    from sas_simulator.dataset import Dataset

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _dataset_options(command: Callable[..., None]) -> Callable[..., None]:
    """--seed, --practitioners, --cpts, --sos: shared so `dataset` shows what `serve` serves."""
    command = click.option(
        "--sos",
        type=click.IntRange(0, 1_000),
        default=2,
        show_default=True,
        help="Number of SOS Médecins associations to generate.",
    )(command)
    command = click.option(
        "--cpts",
        type=click.IntRange(0, 1_000),
        default=3,
        show_default=True,
        help="Number of CPTS to generate.",
    )(command)
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


@click.group(short_help="Run the vendor FHIR simulator.")
def simulator() -> None:
    """A vendor agenda server answering INT_R01/INT_R04 Slot and SOS Schedule searches (SAS IG)."""


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
    help="Delay added to every Slot and Schedule search.",
)
@click.option(
    "--fault",
    type=click.Choice(FAULT_MODES),
    default="none",
    show_default=True,
    help="How Slot and Schedule searches misbehave (change it later with PUT /_sim/faults).",
)
@click.option("--tls-cert", type=_FILE, help="Server certificate (PEM): serve HTTPS.")
@click.option("--tls-key", type=_FILE, help="Private key of --tls-cert (PEM).")
@click.option(
    "--tls-client-ca", type=_FILE, help="CA bundle (PEM): require client certificates (mTLS)."
)
@click.option(
    "--tls-crl", type=_FILE, help="CRL (PEM) of --tls-client-ca: revoked clients refused."
)
@click.option("--tls-client-cn", metavar="CN", help="Only client certificates with this CN.")
@click.option("--tls-client-ou", metavar="OU", help="Only client certificates with this OU.")
@click.option(
    "--platform-issuer",
    metavar="URL",
    help="The platform's SSO realm (…/realms/sas): agenda pages delegate the login to it.",
)
@click.option("--client-id", help="The simulator's client id at the realm.")
@click.option("--client-secret", help="Its secret (omit for a public client, PKCE only).")
@click.option("--platform-ca", type=_FILE, help="CA bundle that signs the realm's certificate.")
@click.option(
    "--platform-fhir", metavar="URL", help="The platform's FHIR base: bookings are reported there."
)
@click.option("--report-cert", type=_FILE, help="Client certificate (PEM) for reporting (mTLS).")
@click.option("--report-key", type=_FILE, help="Its private key (PEM), if not in --report-cert.")
@click.option("--report-ca", type=_FILE, help="CA bundle that signs the platform's certificate.")
def serve(
    host: str,
    port: int,
    seed: int,
    practitioners: int,
    cpts: int,
    sos: int,
    latency_ms: int,
    fault: str,
    tls_cert: Path | None,
    tls_key: Path | None,
    tls_client_ca: Path | None,
    tls_crl: Path | None,
    tls_client_cn: str | None,
    tls_client_ou: str | None,
    platform_issuer: str | None,
    client_id: str | None,
    client_secret: str | None,
    platform_ca: Path | None,
    platform_fhir: str | None,
    report_cert: Path | None,
    report_key: Path | None,
    report_ca: Path | None,
) -> None:
    """Serve the FHIR base at http(s)://HOST:PORT/fhir until interrupted."""
    from sas_simulator.app import create_app
    from sas_simulator.booking import ReportSettings
    from sas_simulator.dataset import build_dataset
    from sas_simulator.server import serve_forever
    from sas_simulator.sso import VendorSsoSettings
    from sas_simulator.tls import SimulatorTls

    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together")
    if tls_client_ca is not None and tls_cert is None:
        raise click.UsageError("--tls-client-ca needs --tls-cert and --tls-key")
    client_checks = (tls_crl, tls_client_cn, tls_client_ou)
    if tls_client_ca is None and any(v is not None for v in client_checks):
        raise click.UsageError(
            "--tls-crl, --tls-client-cn and --tls-client-ou need --tls-client-ca"
        )
    tls = (
        SimulatorTls(tls_cert, tls_key, tls_client_ca, *client_checks)
        if tls_cert is not None and tls_key is not None
        else None
    )
    faults = Faults.model_validate({"latency_ms": latency_ms, "mode": fault})
    if (platform_issuer is None) != (client_id is None):
        raise click.UsageError("--platform-issuer and --client-id go together")
    sso = (
        VendorSsoSettings(
            platform_issuer,
            client_id,
            client_secret,
            verify=ssl.create_default_context(cafile=str(platform_ca)) if platform_ca else True,
        )
        if platform_issuer is not None and client_id is not None
        else None
    )
    reporting = (
        ReportSettings(platform_fhir, report_cert, report_key, report_ca)
        if platform_fhir is not None
        else None
    )
    app = create_app(
        build_dataset(seed, practitioners, cpts=cpts, sos=sos),
        faults,
        sso=sso,
        reporting=reporting,
    )
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
def dataset(seed: int, practitioners: int, cpts: int, sos: int, output: str) -> None:
    """Print the practitioners, places and structures that `serve` with the same options serves."""
    from sas_simulator.dataset import build_dataset

    data = build_dataset(seed, practitioners, cpts=cpts, sos=sos)
    if output == "json":
        click.echo(json.dumps(data.as_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(_table(data))


def _table(data: Dataset) -> str:
    from sas_simulator.dataset import SPECIALTIES

    described = data.as_json()
    lines = [f"seed {data.seed}, slots from {data.anchor:%Y-%m-%d %H:%M %Z}"]
    for person in described["practitioners"]:
        specialties = ", ".join(SPECIALTIES.get(code, code) for code in person["specialties"])
        member = f"  CPTS {', '.join(person['cpts'])}" if person["cpts"] else ""
        lines.append(
            f"{person['idnps']}  {person['family']} {person['given']}  ({specialties})"
            f"  {person['free_slots']} free slots{member}"
        )
        for place in person["places"]:
            lines.append(
                f"    {place['id']}  {place['name']}, {place['line']}, {place['postal_code']}"
                f" {place['city']}  IDNST {place['structure']}  {place['free_slots']} free"
            )
    for structure in described["structures"]:
        lines.append(
            f"{structure['idnst']}  {structure['kind'].upper()}  {structure['name']}"
            f"  {structure['phone']}  {structure['free_slots']} free slots"
        )
        if structure["kind"] == "cpts":
            lines.append(f"    members: {', '.join(structure['members']) or 'none'}")
        for site in structure.get("sites", []):
            lines.append(
                f"    {site['id']}  {site['name']}, {site['line']}, {site['postal_code']}"
                f" {site['city']}  {site['free_slots']} free"
            )
    return "\n".join(lines)


@click.command("demo", short_help="Simulated vendors → fetch → store → summary.")
@click.option("--faulty-vendor", is_flag=True, help="Add a vendor that answers HTTP 500.")
@click.option(
    "--serve", is_flag=True, help="Keep the simulated vendors running afterwards (Ctrl-C stops)."
)
@click.option(
    "--platform",
    is_flag=True,
    help="Instead of the batch fetch: the platform in a browser (`make run`): the simulated "
    "vendors at the demo registry's ports, a demo regulator and admin, and `sas serve "
    "--insecure-dev` serving the web front; runs until Ctrl-C.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="With --platform: its host.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True,
    help="With --platform: its port.",
)  # fmt: skip
def demo(faulty_vendor: bool, serve: bool, platform: bool, host: str, port: int) -> None:
    """Start simulated vendors, fetch their slots through the installed adapters (individual
    practitioners, CPTS, SOS Médecins), store them, and print a summary per adapter; with
    `--platform`, serve the whole platform with its web front instead."""
    from sas_simulator.demo import run_demo, run_platform

    if platform:
        run_platform(host, port)
        return
    run_demo(faulty_vendor, serve)
