"""Front benchmark: a regulator's search through the web front, against the demo vendors
simulated at a set latency, next to the vendors' own answer.

`make run`'s world on free ports: the demo directory (`sas directory generate --seed 1 --size
0`: the simulated vendors' agendas), `editeur-a` and `editeur-b` as `sas simulator serve`
processes answering after `--latency` ms, enabled in SAS-31, and `sas serve --insecure-dev` with
the development login; the answer cache is turned down (`SAS_SEARCH_CACHE_TTL_S`) so every search
asks the vendors again. Measured, median of `--repeat`:

- the vendors' own answer: the slowest of the first lot's vendors asked alone, through its
  adapter, for the practitioners the first lot shows;
- the first results through the front: the htmx fragment of the first lot
  (`/recherche/resultats?…&lot=1`) and `/api/v1/search`;
- the HTML of the pages a regulator sees.

Targets (issue #11 item 9): first results within 300 ms of the vendors' own latency (p50); a
page's HTML under 100 KB. Run with `make bench` or `python -m bench.front`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from bench.fanout import free_port
from bench.machine import describe_machine
from sas_core.accounts.regulators import add_regulator
from sas_core.cli.slots import default_window
from sas_core.geography.gazetteer import load_gazetteer
from sas_core.offer.synthetic import generate_directory, store_directory
from sas_core.plugins.host import PluginHost
from sas_core.registry import changes
from sas_core.registry.models import AdapterState
from sas_core.settings import load_settings
from sas_core.slots.fanout import fetch_slots
from sas_core.storage import open_database
from sas_simulator.demo import DEMO_PLACE, VENDORS

RESULTS = Path(__file__).resolve().parent / "results"
TERRITORY = "SAS-31"
EMAIL = "bench@sas.example"
PASSWORD = "bench-front-password"
#: Issue #11 item 9.
OVERHEAD_TARGET_MS = 300
PAGE_BUDGET_BYTES = 100_000


@contextmanager
def process(command: list[str], env: dict[str, str], ready: str) -> Iterator[None]:
    """A `sas` process, once `ready` (a URL) answers; stopped on exit."""
    started = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(ready, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if started.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{' '.join(command[3:5])} did not start ({ready})")
            time.sleep(0.2)
        yield
    finally:
        started.terminate()
        try:
            started.wait(timeout=15)
        except subprocess.TimeoutExpired:
            started.kill()
            started.wait()


def prepare(data: Path, vendors: dict[str, str]) -> None:
    """The demo directory, the vendors enabled in production in SAS-31, a regulator."""
    engine = open_database(load_settings(data_dir=data))
    store_directory(engine, generate_directory(1, 0, load_gazetteer()))
    host = PluginHost.discover()
    for vendor in VENDORS:
        if vendor.name not in vendors:
            continue
        changes.enable(
            engine, host, TERRITORY, vendor.name, plugin=vendor.plugin,
            settings={"base_url": vendors[vendor.name]}, actor="bench", reason="bench",
        )  # fmt: skip
        for state in (AdapterState.CONNECTED_TEST, AdapterState.PRODUCTION):
            changes.move(engine, TERRITORY, vendor.name, state, actor="bench", reason="bench")
    add_regulator(engine, family="Banc", given="Essai", email=EMAIL, territory=TERRITORY)
    engine.dispose()


def log_in(base: str) -> httpx.Client:
    """A browser-like client logged in through the realm's development login."""
    client = httpx.Client(timeout=30, follow_redirects=True)
    form = client.get(f"{base}/connexion")
    match = re.search(r"name='return_to' value='([^']*)'", form.text)
    if match is None:
        raise SystemExit("the realm's development login did not answer")
    client.post(
        urljoin(str(form.url), "/realms/sas/login-actions/authenticate"),
        data={"return_to": unescape(match.group(1)), "email": EMAIL, "password": PASSWORD},
    )
    return client


async def vendors_alone(host: PluginHost, answer: dict[str, Any], urls: dict[str, str]) -> float:
    """Seconds the slowest of the first lot's vendors takes, asked alone for its practitioners."""
    needed: dict[str, set[str]] = {}
    for card in answer["results"]:
        for slot in card["slots"]:
            if slot["practitioner"] and slot["adapter"]:
                needed.setdefault(slot["adapter"], set()).add(slot["practitioner"])
    plugins = {v.name: v.plugin for v in VENDORS}
    times = []
    for name, practitioners in needed.items():
        config = host.adapter(plugins[name], {"base_url": urls[name]}, name=name, timeout_s=7.0)
        started = time.perf_counter()
        await fetch_slots(
            host, [config], default_window(datetime.now(UTC)), practitioners=sorted(practitioners)
        )
        times.append(time.perf_counter() - started)
        await host.close_adapter(config)
    return max(times)


def timed(client: httpx.Client, path: str, **headers: str) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    answer = client.get(path, headers=headers)
    elapsed = time.perf_counter() - started
    answer.raise_for_status()
    return elapsed, answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=int, default=300, help="the vendors' latency, ms")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    sas = [sys.executable, "-m", "sas_core.cli"]
    simulated = {v.name: v for v in VENDORS if v.name in ("editeur-a", "editeur-b")}
    with tempfile.TemporaryDirectory() as data, ExitStack() as stack:
        env = {
            **os.environ,
            "SAS_DATA_DIR": data,
            "SAS_OIDC_LOGIN": "local",
            "SAS_OIDC_DEVELOPMENT": "1",
            "SAS_OIDC_DEV_PASSWORD": PASSWORD,
            "SAS_SEARCH_CACHE_TTL_S": "0.001",
        }
        urls: dict[str, str] = {}
        for name, vendor in simulated.items():
            port = free_port()
            urls[name] = f"http://127.0.0.1:{port}/fhir"
            stack.enter_context(
                process(
                    [*sas, "simulator", "serve", "--port", str(port), "--seed", str(vendor.seed),
                     "--practitioners", str(vendor.practitioners),
                     "--latency-ms", str(args.latency)],
                    env,
                    f"{urls[name]}/metadata",
                )
            )  # fmt: skip
        prepare(Path(data), urls)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        stack.enter_context(
            process(
                [*sas, "serve", "--insecure-dev", "--host", "127.0.0.1", "--port", str(port)],
                env,
                f"{base}/health",
            )
        )
        client = log_in(base)
        stack.callback(client.close)
        host = PluginHost.discover()
        search = f"{base}/recherche?lieu={DEMO_PLACE}"
        page = client.get(search)
        lot = re.search(r'hx-get="([^"]+lot=1)"', page.text)
        if lot is None:
            raise SystemExit("the results page names no first lot")
        fragment = urljoin(base, unescape(lot.group(1)))
        api = f"{base}/api/v1/search?lieu={DEMO_PLACE}"
        timed(client, fragment, **{"HX-Request": "true"})  # warm-up: connections, imports
        alone, fragments, apis = [], [], []
        for _ in range(args.repeat):
            elapsed, answer = timed(client, api)
            apis.append(elapsed)
            alone.append(asyncio.run(vendors_alone(host, answer.json(), urls)))
            fragments.append(timed(client, fragment, **{"HX-Request": "true"})[0])
        cards = len(answer.json()["results"])
        pages = {
            path: len(client.get(f"{base}{path}").content)
            for path in ("/", f"/recherche?lieu={DEMO_PLACE}", "/rendez-vous")
        }
        pages["first lot without script"] = len(client.get(fragment).content)

    report = {
        "machine": describe_machine(),
        "load_average": os.getloadavg()[0],
        "vendor_latency_ms": args.latency,
        "first_lot_cards": cards,
        "vendors_alone_ms": statistics.median(alone) * 1000,
        "fragment_ms": statistics.median(fragments) * 1000,
        "api_ms": statistics.median(apis) * 1000,
        "page_bytes": pages,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "front.json").write_text(json.dumps(report, indent=2))
    own = report["vendors_alone_ms"]
    print(f"machine: {report['machine']}, load average {report['load_average']:.1f}")
    print(
        f"search « {DEMO_PLACE} » through the front, 2 vendors at {args.latency} ms, "
        f"{cards} cards in the first lot, median of {args.repeat}"
    )
    print(f"  the vendors alone (slowest of the lot)   {own:8.0f} ms")
    for label, key in (("htmx fragment, first lot", "fragment_ms"), ("/api/v1/search", "api_ms")):
        print(
            f"  {label:<40}{report[key]:8.0f} ms "
            f"(+{report[key] - own:.0f} ms; target ≤ +{OVERHEAD_TARGET_MS})"
        )
    for path, size in pages.items():
        print(f"  HTML of {path:<32}{size / 1000:8.1f} KB (target < {PAGE_BUDGET_BYTES // 1000})")


if __name__ == "__main__":
    main()
