"""Ingest benchmark: reading one vendor answer of 25 practitioners over 72 hours (~2,000 slots).

Measured side by side in one run, on the same JSON bytes, medians over the repetitions:

- `orjson.loads` alone: the ceiling of any parser of these bytes in CPython, since every one of
  them must at least decode the JSON;
- our `parse_slot_bundle` (JSON decoding included);
- fhir.resources' R4B `Bundle.model_validate`, given already-decoded JSON (so its figure flatters
  it), and `orjson.loads` + `model_validate`, the like-for-like comparison with ours.

Run with `python -m bench.ingest` from the repository root.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from fhir.resources.R4B.bundle import Bundle

from bench.machine import describe_machine
from sas_core.fhir import parse_slot_bundle
from sas_core.slots import SearchWindow, SlotQuery
from sas_simulator.bundles import slot_search_bundle
from sas_simulator.dataset import build_dataset

PARIS = ZoneInfo("Europe/Paris")
RESULTS = Path(__file__).resolve().parent / "results"
PRACTITIONERS = 25
WINDOW = timedelta(hours=72)


def build_answer(seed: int) -> tuple[bytes, SlotQuery, int]:
    """The simulator's answer to a 25-practitioner, 72-hour search, and the matching query."""
    now = datetime(2025, 3, 10, 8, 0, tzinfo=PARIS)
    dataset = build_dataset(seed, PRACTITIONERS, now=now)
    idnps = [p.idnps for p in dataset.practitioners]
    end = now + WINDOW
    base = "https://vendor.example/fhir"
    bundle = slot_search_bundle(dataset, idnps, now, end, base_url=base, self_url=f"{base}/Slot")
    slots = sum(1 for e in bundle.get("entry", ()) if e["resource"]["resourceType"] == "Slot")
    query = SlotQuery(window=SearchWindow(start=now, end=end), practitioners=tuple(idnps))
    return orjson.dumps(bundle), query, slots


def median_seconds(runs: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """The median time of each run. Runs are interleaved, one of each per round, so that a load
    that comes and goes on the machine weighs on all of them alike; each starts after a full
    garbage collection, so that none pays for the garbage of the one before (each still pays
    the collections its own allocations trigger)."""
    for run in runs.values():
        run()  # warm-up: imports, caches, pydantic schema building
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            gc.collect()
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(spent) for name, spent in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=21, help="at least 15")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.repeat < 15:
        parser.error("--repeat must be at least 15: medians of fewer runs are too noisy")

    raw, query, slot_count = build_answer(args.seed)
    fetched_at = datetime.now(PARIS)
    decoded = orjson.loads(raw)
    parsed, issues = parse_slot_bundle(raw, adapter="bench", query=query, fetched_at=fetched_at)
    if len(parsed) != slot_count or issues:
        raise SystemExit(f"parser kept {len(parsed)}/{slot_count} slots, {len(issues)} issues")

    names = {
        "decode": "orjson.loads alone (ceiling)",
        "ours": "parse_slot_bundle (bytes → Slots)",
        "validate": "R4B Bundle.model_validate (dict)",
        "decode_validate": "R4B orjson.loads + model_validate",
    }
    medians = median_seconds(
        {
            "decode": lambda: orjson.loads(raw),
            "ours": lambda: parse_slot_bundle(
                raw, adapter="bench", query=query, fetched_at=fetched_at
            ),
            "validate": lambda: Bundle.model_validate(decoded),
            "decode_validate": lambda: Bundle.model_validate(orjson.loads(raw)),
        },
        args.repeat,
    )
    decode, ours = medians["decode"], medians["ours"]
    validate, decode_validate = medians["validate"], medians["decode_validate"]
    rows = [(names[key], seconds) for key, seconds in medians.items()]
    machine = describe_machine()
    print(f"machine: {machine}")
    print(f"bundle: {PRACTITIONERS} practitioners, 72 h, {slot_count} slots, {len(raw):,} bytes")
    print(f"median of {args.repeat} interleaved runs; × ours: time relative to parse_slot_bundle")
    print(f"{'':38} {'ms':>9} {'slots/s':>12} {'× ours':>8}")
    for name, seconds in rows:
        print(f"{name:38} {seconds * 1e3:9.2f} {slot_count / seconds:12,.0f} {seconds / ours:8.2f}")
    print(f"decoding is {decode / ours:.0%} of our time; the rest is mapping")

    RESULTS.mkdir(exist_ok=True)
    result = {
        "machine": machine,
        "practitioners": PRACTITIONERS,
        "window_hours": WINDOW.total_seconds() / 3600,
        "slots": slot_count,
        "bytes": len(raw),
        "repeat": args.repeat,
        "median_ms": {name: round(seconds * 1e3, 3) for name, seconds in rows},
        "slots_per_s": {name: round(slot_count / seconds) for name, seconds in rows},
        "ratio_over_ours": {name: round(seconds / ours, 2) for name, seconds in rows},
        "decode_share_of_ours": round(decode / ours, 3),
        "ratio_validate_over_ours": round(validate / ours, 1),
        "ratio_decode_validate_over_ours": round(decode_validate / ours, 1),
    }
    (RESULTS / "ingest.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
