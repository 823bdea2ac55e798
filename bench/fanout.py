"""Fan-out benchmark: 24 simulated vendors with latencies over 50–900 ms, one never answering.

The platform must answer as soon as the slowest *answering* vendor has, and cut the silent one at
its deadline. Measured side by side in one run: the concurrent fan-out and the same adapters
called one after another. Each vendor is a `sas simulator serve` process of its own, as real
vendors are: simulators sharing the platform's process would share its GIL and the benchmark
would measure that contention instead of the fan-out. Run with `make bench` or
`python -m bench.fanout`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from bench.machine import describe_machine
from sas_core.clock import PARIS
from sas_core.plugins.host import PluginHost
from sas_core.slots.fanout import AdapterRequest, AggregatedSlots, collect_slots
from sas_core.slots.models import SearchWindow
from sas_simulator.dataset import build_dataset

RESULTS = Path(__file__).resolve().parent / "results"


def latencies(vendors: int) -> list[int]:
    """Evenly spread over 50–900 ms, so the slowest answering vendor takes 900 ms."""
    step = (900 - 50) / (vendors - 1)
    return [round(50 + i * step) for i in range(vendors)]


async def timed_fanout(
    host: PluginHost,
    requests: list[AdapterRequest],
    window: SearchWindow,
    practitioners: list[str],
) -> tuple[float, float, AggregatedSlots]:
    """Wall time of the whole fan-out, and the moment the last answering adapter finished."""
    started = time.perf_counter()
    finished: dict[str, float] = {}

    def progress(adapter: str, done: int, total: int) -> None:
        if done == total:
            finished[adapter] = time.perf_counter() - started

    result = await collect_slots(
        host, requests, window, practitioners=practitioners, on_progress=progress
    )
    wall = time.perf_counter() - started
    answered = [finished[o.adapter] for o in result.outcomes if o.status == "ok"]
    if not answered:
        raise SystemExit(f"no vendor answered: {[o.error for o in result.outcomes]}")
    return wall, max(answered), result


async def sequential(
    host: PluginHost, requests: list[AdapterRequest], window: SearchWindow, practitioners: list[str]
) -> tuple[float, float]:
    """Total time of calling the adapters one by one, and the slowest answering one alone."""
    started = time.perf_counter()
    alone = []
    for request in requests:
        one = await collect_slots(host, [request], window, practitioners=practitioners)
        alone += [o.duration_ms / 1000 for o in one.outcomes if o.status == "ok"]
    return time.perf_counter() - started, max(alone)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def simulators(
    specs: list[tuple[int, str]], practitioners: int, *, startup_s: float = 120
) -> Iterator[list[str]]:
    """Start one `sas simulator serve` process per (latency, fault); yield their base URLs
    once every one answers (within `startup_s`: a loaded machine starts them slowly)."""
    processes: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        for latency, fault in specs:
            port = free_port()
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "sas_core.cli",
                        "simulator",
                        "serve",
                        "--port",
                        str(port),
                        "--practitioners",
                        str(practitioners),
                        "--latency-ms",
                        str(latency),
                        "--fault",
                        fault,
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls.append(f"http://127.0.0.1:{port}/fhir")
        deadline = time.monotonic() + startup_s
        for url in urls:
            while not _up(url):
                if time.monotonic() > deadline:
                    raise SystemExit(f"simulator at {url} did not start")
                time.sleep(0.2)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # a loaded machine: do not leave it running
                process.kill()
                process.wait()


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/metadata", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vendors", type=int, default=24, help="answering vendors + 1 silent")
    parser.add_argument("--timeout", type=float, default=1.2, help="per-vendor deadline, s")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--practitioners", type=int, default=2, help="asked of each vendor")
    args = parser.parse_args()

    host = PluginHost.discover()
    dataset = build_dataset(seed=42, practitioners=args.practitioners)
    practitioners = [p["idnps"] for p in dataset.as_json()["practitioners"]]
    answering = latencies(args.vendors - 1)
    now = datetime.now(PARIS)
    window = SearchWindow(start=now, end=now + timedelta(hours=48))
    specs = [(latency, "none") for latency in answering] + [(0, "hang")]

    with simulators(specs, args.practitioners) as urls:
        requests = [
            AdapterRequest(
                plugin="sas-fhir",
                name="silent" if fault == "hang" else f"vendor-{i:02d}-{latency}ms",
                settings={"base_url": url},
                timeout_s=args.timeout,
            )
            for i, ((latency, fault), url) in enumerate(zip(specs, urls, strict=True))
        ]

        asyncio.run(timed_fanout(host, requests, window, practitioners))  # warm-up
        runs = [
            asyncio.run(timed_fanout(host, requests, window, practitioners))
            for _ in range(args.repeat)
        ]
        sequential_s, slowest_alone = asyncio.run(sequential(host, requests, window, practitioners))

    walls = [r[0] for r in runs]
    last_answers = [r[1] for r in runs]
    outcomes = runs[-1][2].outcomes
    slowest = max(answering) / 1000
    report = {
        "machine": describe_machine(),
        "vendors": args.vendors,
        "timeout_s": args.timeout,
        "slowest_answering_s": slowest,
        "slowest_answering_alone_s": slowest_alone,
        "median_last_answer_s": statistics.median(last_answers),
        "median_wall_s": statistics.median(walls),
        "sequential_s": sequential_s,
        "ratio_sequential_to_fanout": sequential_s / statistics.median(walls),
        "answered": sum(o.status == "ok" for o in outcomes),
        "silent_error": next(o.error for o in outcomes if o.adapter == "silent"),
        "slots": len(runs[-1][2].slots),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "fanout.json").write_text(json.dumps(report, indent=2))
    print(f"machine: {report['machine']}")
    print(
        f"{args.vendors} vendors (latency 50–900 ms, 1 silent), deadline {args.timeout} s, "
        f"median of {args.repeat}"
    )
    last = report["median_last_answer_s"]
    print(
        f"  slowest answering vendor     {slowest * 1000:8.0f} ms nominal, "
        f"{slowest_alone * 1000:.0f} ms measured alone"
    )
    print(
        f"  last answer received at      {last * 1000:8.0f} ms "
        f"(+{(last - slowest_alone) * 1000:.0f} ms over the slowest alone)"
    )
    print(f"  whole fan-out (silent cut)   {report['median_wall_s'] * 1000:8.0f} ms")
    print(
        f"  sequential, same adapters    {sequential_s * 1000:8.0f} ms "
        f"(×{report['ratio_sequential_to_fanout']:.1f})"
    )
    print(f"  answered {report['answered']}/{args.vendors}; silent: {report['silent_error']}")


if __name__ == "__main__":
    main()
