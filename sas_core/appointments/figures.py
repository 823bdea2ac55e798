"""The platform team's appointment figures: how many appointments vendors reported, per
territory, vendor and month (issue #11: the admin chart, at the seed's ~4,000 a month).

A month is Paris's calendar month of the appointment's start. The territory is the booking
regulator's, found by the operator identifier the vendor reported (the SAS technical id or the
national id); "?" when the platform does not know them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from sas_core.clock import PARIS
from sas_core.identifiers import IDNPS_SYSTEM, SAS_TECHNICAL_SYSTEM
from sas_core.storage.accounts import regulator_territories
from sas_core.storage.appointments import booked_per_period

#: How many months the figures go back, the current one included.
FIGURE_MONTHS = 12
#: Territory of an appointment whose regulator the platform does not know.
UNKNOWN_TERRITORY = "?"


def month_starts(now: datetime, months: int) -> list[datetime]:
    """The first instants (Paris) of the `months` months up to `now`'s, then of the next one."""
    here = now.astimezone(PARIS)
    index = here.year * 12 + here.month - 1
    return [
        datetime(i // 12, i % 12 + 1, 1, tzinfo=PARIS) for i in range(index - months + 1, index + 2)
    ]


def monthly_counts(
    engine: Engine, now: datetime, months: int = FIGURE_MONTHS
) -> dict[tuple[str, str, str], int]:
    """Appointments per (territory, vendor, month `YYYY-MM`) starting from `months` months back;
    those starting after the current month count in the next one (vendors book days ahead)."""
    starts = month_starts(now, months)
    territories: dict[tuple[str, str], str] = {}
    for technical_id, national_id, territory in regulator_territories(engine):
        where = territory or UNKNOWN_TERRITORY
        territories[(SAS_TECHNICAL_SYSTEM, str(technical_id))] = where
        if national_id:
            territories[(IDNPS_SYSTEM, national_id)] = where
    counts: dict[tuple[str, str, str], int] = {}
    for period, vendor, system, value, count in booked_per_period(engine, starts):
        key = (
            territories.get((system, value), UNKNOWN_TERRITORY),
            vendor,
            f"{starts[period]:%Y-%m}",
        )
        counts[key] = counts.get(key, 0) + count
    return counts
