"""Offer directory benchmark: the candidate query on a directory of 100,000 practitioners.

The directory is `sas directory generate --seed 1 --size 100000` (plus the demo vendors'
agendas), written to a fresh SQLite file and to a throwaway PostgreSQL database. Searches are
centred where regulators search: communes drawn like the generator's practitioners (population
× GP density), at their département's default city radius from ANS's table (`../shared/data`,
else 10 km). Each search is timed, side by side, after a warm-up pass, through
`OfferDirectory`:

- `page`: the candidate query a search runs before asking any vendor — its first lot, 25
  candidates ranked by the database in the seeded order of a city search;
- `page-nearest`: the same for an address search (nearest first);
- `count`: how many candidates the circle holds (the search's header);
- `start`: count + page, what `SearchService.start` waits for in the directory;
- `every-candidate`: the whole circle read and built (`OfferDirectory.candidates`), what a search
  read before it was paged: for comparison.

Reported per database: p50, p95, p99 and max in ms, and the candidates per circle (median,
p99), which is what drives the time. Run with `python -m bench.directory` from the repository
root.
"""

from __future__ import annotations

import argparse
import itertools
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
from sas_core.offer.models import CandidateQuery, DirectoryPractitioner, DirectoryStructure
from sas_core.offer.synthetic import (
    SyntheticDirectory,
    generate_directory,
    store_directory,
)
from sas_core.search.models import LOT_SIZE
from sas_core.settings import load_settings
from sas_core.storage import create_engine_for, open_database, upgrade

RESULTS = Path(__file__).resolve().parent / "results"
SHARED = Path(os.environ.get("SAS_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
RADIUS_TABLE = SHARED / "data" / "sas_search_radius_by_department_2025.csv"
#: A search's first page: one lot (`sas_core.search.models.LOT_SIZE`).
PAGE = LOT_SIZE
MEASURES = ("page", "page-nearest", "count", "start", "every-candidate")
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


def measure(directory: OfferDirectory, planned: list[Search]) -> list[dict[str, object]]:
    """Every measure of every search, the measures of one search taken one after the other."""
    durations: dict[str, list[float]] = {name: [] for name in MEASURES}
    sizes = []
    clock = time.perf_counter
    for index, search in enumerate(planned[:100] + planned):  # the first 100: warm-up
        seeded = CandidateQuery(search.centre, search.radius_km, seed=index)
        nearest = CandidateQuery(search.centre, search.radius_km, by_distance=True)
        marks = [clock()]
        directory.ranked(seeded, limit=PAGE)
        marks.append(clock())
        directory.ranked(nearest, limit=PAGE)
        marks.append(clock())
        counted = directory.count(seeded)
        marks.append(clock())
        directory.candidates(search.centre, search.radius_km)
        marks.append(clock())
        page, page_nearest, count, every = (
            (after - before) * 1000 for before, after in itertools.pairwise(marks)
        )
        if index < 100:
            continue
        for name, value in zip(
            MEASURES, (page, page_nearest, count, count + page, every), strict=True
        ):
            durations[name].append(value)
        sizes.append(float(counted))
    load = round(os.getloadavg()[0], 1)
    return [
        {
            "measure": name,
            "searches": len(planned),
            "p50_ms": round(statistics.median(values), 3),
            "p95_ms": round(percentile(values, 0.95), 3),
            "p99_ms": round(percentile(values, 0.99), 3),
            "max_ms": round(max(values), 3),
            "candidates_median": statistics.median(sizes),
            "candidates_p99": percentile(sizes, 0.99),
            "load_average": load,
        }
        for name, values in durations.items()
    ]


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
            for measured in measure(OfferDirectory(engine), planned):
                reports.append({"database": database, "write_s": round(written_s, 1), **measured})

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
            f"  {r['database']:<10} {r['measure']:<15} "
            f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, "
            f"p99 {r['p99_ms']} ms (target {TARGET_P99_MS} ms), max {r['max_ms']} ms; "
            f"candidates median {r['candidates_median']}, p99 {r['candidates_p99']}; "
            f"written in {r['write_s']} s; load average {r['load_average']}"
        )


if __name__ == "__main__":
    main()
