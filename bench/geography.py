"""Geography benchmark: the offline gazetteer against a reference list of communes.

The reference (`communes-postcodes-coordinates.csv` in `../shared/data`, or `$SAS_SHARED_DIR`)
has one row per (postcode, commune, delivery line) with the commune's centre; it is test data,
not part of the project. Each row is asked as the regulator would type it, `"<postcode>
<commune>"`, and the answer's point compared with the row's (haversine distance).

Reported: the share of rows answered (by the commune itself, or only by the postcode when the
name is a locality the gazetteer does not hold), the median, 95th percentile and largest
distance, and how long loading the gazetteer and one lookup take. When ANS's radius table is
there too, the gazetteer's département centres and covering radii are compared with it.

Run with `python -m bench.geography` from the repository root.
"""

from __future__ import annotations

import csv
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.machine import describe_machine
from sas_core.geography.distances import haversine_km
from sas_core.geography.gazetteer import Gazetteer, load_gazetteer
from sas_core.geography.models import GeocodeError
from sas_core.geography.query import geocode_offline
from sas_core.geography.radius import OfficialRadiusTable

SHARED = Path(os.environ.get("SAS_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
COMMUNES_REFERENCE = SHARED / "data" / "communes-postcodes-coordinates.csv"
RADIUS_TABLE = SHARED / "data" / "sas_search_radius_by_department_2025.csv"


@dataclass
class Accuracy:
    """How the gazetteer did on the reference rows that have coordinates."""

    rows: int = 0
    by_commune: list[float] = field(default_factory=list)  # km, answered by the commune's name
    by_postcode: list[float] = field(default_factory=list)  # km, the name was not recognised
    failures: list[str] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return len(self.by_commune) + len(self.by_postcode)

    def share(self, count: int) -> float:
        return count / self.rows if self.rows else 0.0


def measure_reference(path: Path, gazetteer: Gazetteer) -> Accuracy:
    """Ask every reference row as `"<postcode> <commune>"` and measure the distance."""
    accuracy = Accuracy()
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter=";"):
            if not row["latitude"] or not row["longitude"]:
                continue
            accuracy.rows += 1
            query = f"{row['code_postal'].zfill(5)} {row['nom_commune_complet']}"
            try:
                result = geocode_offline(query, gazetteer)
            except GeocodeError as exc:
                accuracy.failures.append(f"{query}: {exc}")
                continue
            reference = (float(row["latitude"]), float(row["longitude"]))
            distance = haversine_km(reference, (result.lat, result.lon))
            by_postcode = result.note is not None and "postcode alone" in result.note
            (accuracy.by_postcode if by_postcode else accuracy.by_commune).append(distance)
    return accuracy


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def describe(label: str, distances: Sequence[float], accuracy: Accuracy) -> str:
    if not distances:
        return f"{label}: none"
    return (
        f"{label}: {len(distances)} rows ({100 * accuracy.share(len(distances)):.2f} %), "
        f"median {statistics.median(distances):.2f} km, "
        f"p95 {percentile(distances, 0.95):.2f} km, max {max(distances):.1f} km"
    )


def main() -> None:
    print(describe_machine())
    started = time.perf_counter()
    gazetteer = load_gazetteer()
    loaded = time.perf_counter()
    print(f"gazetteer: {gazetteer.source}")
    print(f"first load: {1000 * (loaded - started):.0f} ms (once per process)")
    queries = ["Bobigny", "75015 Paris", "12 rue de la Paix, 75002 Paris", "93", "27950"]
    started = time.perf_counter()
    for _ in range(2000):
        for query in queries:
            geocode_offline(query, gazetteer)
    per_lookup = (time.perf_counter() - started) / (2000 * len(queries))
    print(f"one lookup: {1e6 * per_lookup:.0f} µs (mean over {len(queries)} kinds of query)")

    if not COMMUNES_REFERENCE.exists():
        print(f"no reference at {COMMUNES_REFERENCE}: accuracy not measured")
        return
    accuracy = measure_reference(COMMUNES_REFERENCE, gazetteer)
    print(f"reference: {COMMUNES_REFERENCE.name}, {accuracy.rows} rows with coordinates")
    print(
        f"answered: {accuracy.answered} ({100 * accuracy.share(accuracy.answered):.2f} %), "
        f"not answered: {len(accuracy.failures)}"
    )
    print(describe("  all answered", accuracy.by_commune + accuracy.by_postcode, accuracy))
    print(describe("  by the commune", accuracy.by_commune, accuracy))
    print(describe("  by the postcode only", accuracy.by_postcode, accuracy))
    for failure in accuracy.failures[:5]:
        print(f"  e.g. {failure.splitlines()[0]}")

    if RADIUS_TABLE.exists():
        table = OfficialRadiusTable.from_csv(RADIUS_TABLE)
        gaps, ratios = [], []
        for code, place in gazetteer.departements.items():
            official_centre = table.barycentre(code)
            if official_centre is not None:
                gaps.append(haversine_km(official_centre, (place.lat, place.lon)))
            official_radius = table.county_radius_km(code)
            if official_radius is not None and place.radius_km is not None:
                ratios.append(official_radius / place.radius_km)
        print(
            f"départements vs ANS's table: centre gap median {statistics.median(gaps):.2f} km, "
            f"max {max(gaps):.2f} km ({len(gaps)} filled); countyRadius / covering radius "
            f"median {statistics.median(ratios):.2f}, {min(ratios):.2f}–{max(ratios):.2f}"
        )


if __name__ == "__main__":
    main()
