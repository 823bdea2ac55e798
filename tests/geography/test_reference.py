"""The gazetteer against the reference list of communes (`../shared/data`, skipped when absent).

Thresholds are what the data supports with a margin (measured: 99.77 % answered, 98.95 % by the
commune's own name, median 0.04 km, p95 0.31 km; docs/geography.md), not timings.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from bench.geography import measure_reference, percentile
from sas_core.geography.gazetteer import Gazetteer

pytestmark = pytest.mark.slow


def test_postcode_and_commune_rows_are_found_close_to_the_reference(
    gazetteer: Gazetteer, communes_reference: Path
) -> None:
    accuracy = measure_reference(communes_reference, gazetteer)
    assert accuracy.rows > 38_000
    assert accuracy.share(accuracy.answered) >= 0.99, accuracy.failures[:5]
    assert accuracy.share(len(accuracy.by_commune)) >= 0.98
    distances = accuracy.by_commune + accuracy.by_postcode
    assert statistics.median(distances) < 0.5
    assert percentile(distances, 0.95) < 2
    assert percentile(accuracy.by_commune, 0.99) < 5
