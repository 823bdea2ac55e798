"""Ingest benchmark: reading one vendor answer over 72 hours — 25 practitioners (INT_R01, ~2,000
slots), the same as INT_R04 with its CPTS (§5), and 10 SOS Médecins associations (§6).

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
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from fhir.resources.R4B.bundle import Bundle

from bench.machine import describe_machine
from sas_core.clock import PARIS
from sas_core.fhir import CPTS_READER, SOS_READER, StructureReader, parse_slot_bundle
from sas_core.slots.models import SearchWindow, SlotQuery
from sas_simulator.bundles import schedule_search_bundle, slot_search_bundle
from sas_simulator.dataset import build_dataset

RESULTS = Path(__file__).resolve().parent / "results"
PRACTITIONERS = 25
ASSOCIATIONS = 10
WINDOW = timedelta(hours=72)


@dataclass(frozen=True)
class Answer:
    """One simulated vendor answer, the query it answers and what the parser must make of it."""

    label: str
    raw: bytes
    query: SlotQuery
    entries: int  # Slot entries in the bundle
    slots: int  # Slots the parser must return (a CPTS slot once per CPTS it is visible to)
    structures: StructureReader | None = None  # what the flow's plugin passes the parser


def build_answers(seed: int) -> dict[str, Answer]:
    """The simulator's answers over 72 hours: INT_R01 and INT_R04 (§5) for 25 practitioners, and
    the SOS Schedule search (§6) for 10 associations."""
    now = datetime(2025, 3, 10, 8, 0, tzinfo=PARIS)
    dataset = build_dataset(seed, PRACTITIONERS, now=now, sos=ASSOCIATIONS, acceptance=False)
    idnps = [p.idnps for p in dataset.practitioners]
    idnst = [a.idnst for a in dataset.sos]
    end = now + WINDOW
    window = SearchWindow(start=now, end=end)
    base = "https://vendor.example/fhir"
    by_practitioner = SlotQuery(window=window, practitioners=tuple(idnps))
    answers: dict[str, Answer] = {}
    for name, cpts in (("ps", False), ("cpts", True)):
        bundle = slot_search_bundle(
            dataset, idnps, now, end, base_url=base, self_url=f"{base}/Slot", cpts=cpts
        )
        slot_entries = [e["resource"] for e in bundle.get("entry", ()) if _is_slot(e)]
        expected = sum(max(1, len(_cpts_links(r))) for r in slot_entries) if cpts else None
        answers[name] = Answer(
            label=f"{PRACTITIONERS} practitioners" + (", CPTS (INT_R04)" if cpts else ""),
            raw=orjson.dumps(bundle),
            query=by_practitioner,
            entries=len(slot_entries),
            slots=expected if expected is not None else len(slot_entries),
            structures=CPTS_READER if cpts else None,
        )
    bundle = schedule_search_bundle(dataset, idnst, now, end, base_url=base, self_url=base)
    entries = sum(1 for e in bundle.get("entry", ()) if _is_slot(e))
    answers["sos"] = Answer(
        label=f"{ASSOCIATIONS} SOS associations",
        raw=orjson.dumps(bundle),
        query=SlotQuery(window=window, structures=tuple(idnst)),
        entries=entries,
        slots=entries,
        structures=SOS_READER,
    )
    return answers


def _is_slot(entry: dict[str, Any]) -> bool:
    return bool(entry["resource"]["resourceType"] == "Slot")


def _cpts_links(slot: dict[str, Any]) -> list[Any]:
    return [e for e in slot.get("serviceType", ()) if "extension" in e]


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

    machine = describe_machine()
    print(f"machine: {machine}")
    print(f"median of {args.repeat} interleaved runs; × ours: time relative to parse_slot_bundle")
    result: dict[str, Any] = {"machine": machine, "window_hours": WINDOW.total_seconds() / 3600}
    result["repeat"] = args.repeat
    result["bundles"] = {
        name: measure(answer, args.repeat) for name, answer in build_answers(args.seed).items()
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


def measure(answer: Answer, repeat: int) -> dict[str, Any]:
    """Side-by-side medians for one answer, printed, and returned for ingest.json."""
    raw, query, structures = answer.raw, answer.query, answer.structures
    fetched_at = datetime.now(PARIS)
    decoded = orjson.loads(raw)
    parsed, issues = parse_slot_bundle(
        raw, adapter="bench", query=query, fetched_at=fetched_at, structures=structures
    )
    if len(parsed) != answer.slots or issues:
        raise SystemExit(
            f"{answer.label}: parser kept {len(parsed)}/{answer.slots} slots, {len(issues)} issues"
        )
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
                raw, adapter="bench", query=query, fetched_at=fetched_at, structures=structures
            ),
            "validate": lambda: Bundle.model_validate(decoded),
            "decode_validate": lambda: Bundle.model_validate(orjson.loads(raw)),
        },
        repeat,
    )
    decode, ours = medians["decode"], medians["ours"]
    rows = [(names[key], seconds) for key, seconds in medians.items()]
    entries = answer.entries
    print(
        f"\nbundle: {answer.label}, 72 h, {entries} Slot entries → {answer.slots} slots,"
        f" {len(raw):,} bytes"
    )
    print(f"{'':38} {'ms':>9} {'entries/s':>12} {'× ours':>8}")
    for name, seconds in rows:
        print(f"{name:38} {seconds * 1e3:9.2f} {entries / seconds:12,.0f} {seconds / ours:8.2f}")
    print(f"decoding is {decode / ours:.0%} of our time; the rest is mapping")
    return {
        "label": answer.label,
        "slot_entries": entries,
        "slots": answer.slots,
        "bytes": len(raw),
        "median_ms": {name: round(seconds * 1e3, 3) for name, seconds in rows},
        "entries_per_s": {name: round(entries / seconds) for name, seconds in rows},
        "ratio_over_ours": {name: round(seconds / ours, 2) for name, seconds in rows},
        "decode_share_of_ours": round(decode / ours, 3),
    }


if __name__ == "__main__":
    main()
