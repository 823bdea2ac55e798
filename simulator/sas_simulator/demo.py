"""What `sas demo` does: the whole slot path on one machine, with simulated vendors."""

from __future__ import annotations

import asyncio
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from sas_core.cli.context import platform_settings, plugin_host
from sas_core.cli.output import echo_table, stderr
from sas_core.cli.slots import default_window
from sas_core.clock import PARIS
from sas_core.plugins.host import PluginHost
from sas_core.slots.fanout import AdapterRequest, AggregatedSlots, collect_slots
from sas_core.slots.models import SearchWindow
from sas_core.storage import open_database
from sas_simulator.app import create_app
from sas_simulator.booking import ReportSettings
from sas_simulator.dataset import build_dataset
from sas_simulator.faults import Faults
from sas_simulator.server import SimulatorServer
from sas_simulator.sso import CALLBACK_PATH, VendorSsoSettings


@dataclass(frozen=True)
class DemoVendor:
    """One simulated vendor and the plugin the platform reaches it through."""

    name: str
    plugin: str
    seed: int
    practitioners: int
    latency_ms: int
    fault: str = "none"

    @property
    def by_structure(self) -> bool:
        return self.plugin == "sas-sos"


VENDORS = (
    DemoVendor("editeur-a", "sas-cpts", seed=42, practitioners=30, latency_ms=80),
    DemoVendor("editeur-b", "sas-fhir", seed=7, practitioners=20, latency_ms=350),
    DemoVendor("editeur-sos", "sas-sos", seed=11, practitioners=1, latency_ms=150),
)
FAULTY = DemoVendor(
    "editeur-c", "sas-fhir", seed=99, practitioners=5, latency_ms=50, fault="http-500"
)


def run_demo(faulty_vendor: bool, serve: bool) -> None:
    """Start simulated vendors (with `faulty_vendor`, one answering HTTP 500), fetch their slots
    through the installed adapters, store them, print a summary; with `serve`, keep the vendors
    running until Ctrl-C."""
    vendors = (*VENDORS, FAULTY) if faulty_vendor else VENDORS
    host = plugin_host()
    for vendor in vendors:
        host.get(vendor.plugin)
    engine = open_database(platform_settings())

    with ExitStack() as stack:
        requests: list[AdapterRequest] = []
        practitioners: list[str] = []
        structures: list[str] = []
        for vendor in vendors:
            # The demo's vendors are synthetic offices, not acceptance test environments: the
            # acceptance scenarios (`sas conformance`'s test data) would only add noise here.
            dataset = build_dataset(
                seed=vendor.seed, practitioners=vendor.practitioners, acceptance=False
            )
            faults = Faults.model_validate({"latency_ms": vendor.latency_ms, "mode": vendor.fault})
            server = stack.enter_context(SimulatorServer(create_app(dataset, faults)))
            stderr.print(f"simulated vendor [bold]{vendor.name}[/] at {server.base_url}")
            requests.append(
                AdapterRequest(
                    plugin=vendor.plugin, name=vendor.name, settings={"base_url": server.base_url}
                )
            )
            described = dataset.as_json()
            if vendor.by_structure:
                structures += [s["idnst"] for s in described["structures"] if s["kind"] == "sos"]
            else:
                practitioners += [p["idnps"] for p in described["practitioners"]]

        now = datetime.now(PARIS)
        window = default_window(now)
        stderr.print(
            f"fetching {len(practitioners)} practitioners and {len(structures)} SOS associations "
            f"from {len(requests)} adapters, "
            f"window {window.start:%a %d %H:%M} → {window.end:%a %d %H:%M}"
        )
        started = time.perf_counter()
        result = _fetch_with_progress(host, requests, window, practitioners, structures)
        wall_ms = (time.perf_counter() - started) * 1000
        run_id = result.record(engine, "demo")
        _summary(result, wall_ms, run_id, str(engine.url))
        if serve:
            stderr.print(
                "vendors keep running; try `sas slots fetch --adapter sas-fhir "
                f"--base-url {requests[0].settings['base_url']} --rpps …`. Ctrl-C stops."
            )
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    engine.dispose()


def _fetch_with_progress(
    host: PluginHost,
    requests: list[AdapterRequest],
    window: SearchWindow,
    practitioners: list[str],
    structures: list[str],
) -> AggregatedSlots:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=stderr,
        transient=True,
    ) as progress:
        tasks = {r.label: progress.add_task(r.label, total=None) for r in requests}

        def advance(adapter: str, done: int, total: int) -> None:
            progress.update(tasks[adapter], completed=done, total=total)

        return asyncio.run(
            collect_slots(
                host,
                requests,
                window,
                practitioners=practitioners,
                structures=structures,
                on_progress=advance,
            )
        )


def _summary(result: AggregatedSlots, wall_ms: float, run_id: int, database: str) -> None:
    echo_table(
        ["adapter", "status", "slots", "requests", "duration ms", "error"],
        [
            [o.adapter, o.status, o.slot_count, o.requests, f"{o.duration_ms:.0f}", o.error or ""]
            for o in result.outcomes
        ],
        title="slots fetched per adapter",
    )
    practitioners = {s.practitioner for s in result.slots if s.practitioner}
    cpts = {s.structure for s in result.slots if s.structure_kind == "cpts"}
    sos = {s.structure for s in result.slots if s.structure_kind == "sos"}
    click.echo(
        f"{len(result.slots)} free slots of {len(practitioners)} practitioners "
        f"(through {len(cpts)} CPTS) and {len(sos)} SOS Médecins associations in "
        f"{wall_ms:.0f} ms (all adapters in parallel); stored as run {run_id} in {database}"
    )


#: The platform `make run` starts: where the registry's demo adapters (registry/adapters.toml)
#: expect each simulated vendor.
PLATFORM_VENDOR_PORTS = {"editeur-a": 8081, "editeur-b": 8082, "editeur-sos": 8083}
#: The demo accounts (the realm's development login: e-mail + this shared password).
DEMO_PASSWORD = "demo-sas-connect"
DEMO_REGULATOR = (
    "Martin",
    "Claire",
    "regulateur@demo.sas.example",
    "SAS-33",
    "3456780581/11242343",
)
DEMO_ADMIN = ("Durand", "Alex", "admin@demo.sas.example", "SAS-33", None)


#: Where the demo vendors' practitioners consult and the demo registry calls them
#: (registry/SAS-31.toml: editeur-a and editeur-b in production): a search there finds live slots.
DEMO_PLACE = "Toulouse"
#: The realm's clients file `make run` writes in the data directory: the simulated vendors.
DEMO_CLIENTS_FILE = "demo-oidc-clients.toml"


def demo_secret(vendor: str) -> str:
    """The client secret of a simulated vendor at the demo realm (loopback only, not a secret)."""
    return f"{vendor}-demo-secret"


def demo_clients() -> str:
    """The realm's clients file for the simulated vendors at their `make run` ports."""
    return "".join(
        f'[clients.{name}]\nname = "{name} (simulated vendor)"\n'
        f'secret = "{demo_secret(name)}"\n'
        f'redirect_uris = ["http://127.0.0.1:{vendor_port}{CALLBACK_PATH}"]\n\n'
        for name, vendor_port in PLATFORM_VENDOR_PORTS.items()
    )


def run_platform(host: str, port: int) -> None:
    """The platform in a browser: the simulated vendors where the demo registry expects them,
    a demo regulator and admin, and `sas serve --insecure-dev` at http://HOST:PORT serving the
    front; runs until Ctrl-C (or SIGTERM)."""
    import os
    import signal
    import subprocess
    import sys

    from sas_core.accounts.regulators import add_regulator, list_regulators
    from sas_core.cli.context import cli_context

    engine = open_database(platform_settings())
    known = {r.email for r, _ in list_regulators(engine)}
    for family, given, email, territory, national_id in (DEMO_REGULATOR, DEMO_ADMIN):
        if email not in known:
            add_regulator(
                engine,
                family=family,
                given=given,
                email=email,
                territory=territory,
                national_id=national_id,
            )
    engine.dispose()
    by_name = {v.name: v for v in VENDORS}
    url = f"http://{host}:{port}"
    clients_file = platform_settings().data_dir.resolve() / DEMO_CLIENTS_FILE
    clients_file.parent.mkdir(parents=True, exist_ok=True)
    clients_file.write_text(demo_clients(), encoding="utf-8")
    with ExitStack() as stack:
        for name, vendor_port in PLATFORM_VENDOR_PORTS.items():
            vendor = by_name[name]
            # Synthetic offices only, as `sas demo` and the offer directory's demo agendas.
            dataset = build_dataset(
                seed=vendor.seed, practitioners=vendor.practitioners, acceptance=False
            )
            faults = Faults.model_validate({"latency_ms": vendor.latency_ms, "mode": vendor.fault})
            # The booking page logs the regulator in at the platform's realm (SSO) and reports
            # the booking to the platform's /fhir (INT_R03): plain HTTP, as `--insecure-dev`.
            app = create_app(
                dataset,
                faults,
                public_base=f"http://127.0.0.1:{vendor_port}",
                sso=VendorSsoSettings(
                    issuer=f"{url}/realms/sas", client_id=name, client_secret=demo_secret(name)
                ),
                reporting=ReportSettings(fhir_base=f"{url}/fhir"),
            )
            try:
                server = stack.enter_context(SimulatorServer(app, port=vendor_port))
            except OSError as exc:
                raise click.ClickException(
                    f"cannot start the simulated vendor {name} on port {vendor_port}, where "
                    f"registry/adapters.toml expects it: {exc}"
                ) from None
            stderr.print(f"simulated vendor [bold]{name}[/] at {server.base_url}")
        env = {
            **os.environ,
            "SAS_OIDC_LOGIN": "local",
            "SAS_OIDC_DEVELOPMENT": "1",
            "SAS_OIDC_DEV_PASSWORD": DEMO_PASSWORD,
            "SAS_WEB_ADMINS": DEMO_ADMIN[2],
            "SAS_OIDC_CLIENTS_FILE": str(clients_file),
        }
        command = [
            sys.executable, "-m", "sas_core.cli", *cli_context().arguments(),
            "serve", "--insecure-dev", "--host", host, "--port", str(port),
        ]  # fmt: skip
        platform = subprocess.Popen(command, env=env)
        click.echo(
            f"\nSAS Connect runs at {url}\n"
            f"  regulator: {DEMO_REGULATOR[2]}  password: {DEMO_PASSWORD}\n"
            f"  admin:     {DEMO_ADMIN[2]}  password: {DEMO_PASSWORD}\n"
            "  (development login: never in production).\n"
            f"  try: log in as the regulator, search « {DEMO_PLACE} », « Réserver » a slot,\n"
            "  book it at the simulated vendor, then « Mes rendez-vous ». Ctrl-C stops.\n"
        )

        def stop(*_: object) -> None:
            platform.send_signal(signal.SIGINT)

        signal.signal(signal.SIGTERM, stop)
        try:
            platform.wait()
        except KeyboardInterrupt:
            platform.send_signal(signal.SIGINT)
            platform.wait(timeout=30)
