"""Offer directory benchmark: the candidate query on a directory of 100,000 practitioners.

The directory is `sas directory generate --seed 1 --size 100000` (plus the demo vendors'
agendas), written to a fresh SQLite file and to a throwaway PostgreSQL database. Searches are
centred where regulators search: communes drawn like the generator's practitioners (population
× GP density), at their département's default city radius from ANS's table (`../shared/data`,
else 10 km); each is timed through `OfferDirectory.candidates` — the indexed box, the haversine
filter and the candidates built — after a warm-up pass: every candidate in the circle, then
only the nearest 100.

Reported per database: p50, p95, p99 and max in ms, and the candidates per search (median, p99),
which is what drives the time. Run with `python -m bench.directory` from the repository root.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import OperationalError

from bench.intake import ADMIN_URL, throwaway_postgres
from bench.machine import describe_machine
from sas_core.geography.gazetteer import Gazetteer, load_gazetteer
from sas_core.geography.radius import OfficialRadiusTable
from sas_core.offer.directory import OfferDirectory
from sas_core.offer.models import DirectoryPractitioner, DirectoryStructure
from sas_core.offer.synthetic import (
    SyntheticDirectory,
    generate_directory,
    store_directory,
)
from sas_core.settings import load_settings
from sas_core.storage import create_engine_for, open_database, upgrade

RESULTS = Path(__file__).resolve().parent / "results"
SHARED = Path(os.environ.get("SAS_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
RADIUS_TABLE = SHARED / "data" / "sas_search_radius_by_department_2025.csv"
#: The second measure: the nearest 100 only (the official engine's Solr page of the filtered
#: list, search digest §2.5).
LIMIT = 100
#: The issue's target for the candidate query.
TARGET_P99_MS = 5.0


@dataclass(frozen=True)
class Search:
    centre: tuple[float, float]
    radius_km: float
    departement: str


def searches(gazetteer: Gazetteer, count: int, seed: int = 7) -> list[Search]:
    """`count` searches on communes weighted like the directory, at their city radius."""
    table = OfficialRadiusTable.from_csv(RADIUS_TABLE) if RADIUS_TABLE.exists() else None
    communes = [
        c
        for c in gazetteer.communes.values()
        if c.code not in ("75056", "69123", "13055") and c.population > 0
    ]
    rng = random.Random(seed)
    drawn = rng.choices(communes, weights=[c.population for c in communes], k=count)
    found = []
    for commune in drawn:
        radius = (table.city_radius_km(commune.departement) if table else None) or 10.0
        found.append(Search((commune.lat, commune.lon), radius, commune.departement))
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def measure(
    directory: OfferDirectory, planned: list[Search], limit: int | None
) -> dict[str, object]:
    for search in planned[:100]:  # warm-up: connections, statement cache, pages in memory
        directory.candidates(search.centre, search.radius_km, limit=limit)
    durations, sizes = [], []
    for search in planned:
        started = time.perf_counter()
        found = directory.candidates(search.centre, search.radius_km, limit=limit)
        durations.append((time.perf_counter() - started) * 1000)
        sizes.append(len(found))
    return {
        "limit": limit,
        "searches": len(planned),
        "p50_ms": round(statistics.median(durations), 3),
        "p95_ms": round(percentile(durations, 0.95), 3),
        "p99_ms": round(percentile(durations, 0.99), 3),
        "max_ms": round(max(durations), 3),
        "candidates_median": statistics.median(sizes),
        "candidates_p99": percentile([float(s) for s in sizes], 0.99),
        "load_average": round(os.getloadavg()[0], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--size", type=int, default=100_000, help="synthetic practitioners")
    parser.add_argument("--searches", type=int, default=2_000)
    args = parser.parse_args()

    gazetteer = load_gazetteer()
    started = time.perf_counter()
    generated = generate_directory(1, args.size, gazetteer)
    structures: tuple[DirectoryStructure, ...] = generated.structures
    practitioners: tuple[DirectoryPractitioner, ...] = tuple(generated.practitioners)
    elapsed = time.perf_counter() - started
    print(f"generated {len(practitioners):,} practitioners in {elapsed:.1f} s")
    planned = searches(gazetteer, args.searches)

    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    reports = []
    for database in databases:
        with tempfile.TemporaryDirectory(prefix="sas-bench-") as data_dir, ExitStack() as stack:
            if database == "postgresql":
                try:
                    url = stack.enter_context(throwaway_postgres())
                except OperationalError as error:
                    reason = str(error.orig).strip().splitlines()[0]
                    print(f"PostgreSQL unreachable at {ADMIN_URL}, skipped ({reason})")
                    continue
                upgrade(url)
                engine = create_engine_for(url)
            else:
                engine = open_database(load_settings(data_dir=Path(data_dir)))
            stack.callback(engine.dispose)
            started = time.perf_counter()
            store_directory(engine, SyntheticDirectory(structures, iter(practitioners)))
            written_s = time.perf_counter() - started
            for limit in (None, LIMIT):
                report: dict[str, object] = {"database": database, "write_s": round(written_s, 1)}
                report.update(measure(OfferDirectory(engine), planned, limit))
                reports.append(report)

    result = {
        "machine": describe_machine(),
        "practitioners": len(practitioners),
        "places": sum(len(p.places) for p in practitioners),
        "radius_table": RADIUS_TABLE.exists(),
        "results": reports,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "directory.json").write_text(json.dumps(result, indent=2))
    print(f"machine: {result['machine']}")
    print(
        f"{result['practitioners']:,} practitioners, {result['places']:,} places; "
        f"{args.searches} searches at the département's city radius"
    )
    for r in reports:
        print(
            f"  {r['database']:<10} limit {r['limit'] or '-':<4} "
            f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, "
            f"p99 {r['p99_ms']} ms (target {TARGET_P99_MS} ms), max {r['max_ms']} ms; "
            f"candidates median {r['candidates_median']}, p99 {r['candidates_p99']}; "
            f"written in {r['write_s']} s; load average {r['load_average']}"
        )


if __name__ == "__main__":
    main()
