"""Search radii per département: ANS's official table when the operator provides it.

Digest §2.3: a search on an address, a city or a postcode uses the département's
`cityDefaultRadius`; a search on a whole département is centred on its barycentre with its
`countyRadius`. ANS publishes these figures (`SAS_Rayons_zones_de_recherche_<year>.ods` in
ansforge/SAS-moteur-recherche); the project does not ship them: the operator exports the sheet
to CSV with its header row and points `SAS_RADIUS_TABLE` (or `--radius-table`) at it.

Without a table, or where the table leaves a figure at 0 ("not filled"), the fallbacks are:
10 km for a city (the most common value of the 2025 table, 30 départements of 101), and the
gazetteer's own centre and covering radius for a département.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sas_core.geography.territories import DEPARTEMENTS

#: Radius for an address, city or postcode search when no official figure applies, km.
DEFAULT_CITY_RADIUS_KM = 10.0
#: The columns of the official sheet this module reads (others are ignored).
REQUIRED_COLUMNS = (
    "code",
    "countyRadius",
    "barycentreCityLat",
    "barycentreCityLon",
    "cityDefaultRadius",
)


class RadiusTableError(ValueError):
    """The radius table file cannot be used; the message names the file, row and column."""


class RadiusTable(Protocol):
    """Per-département search parameters; `None` means "no figure: use the fallback".

    The territory registry may later implement this with per-territory overrides.
    """

    def city_radius_km(self, departement: str) -> float | None:
        """Radius for an address, city or postcode search in the département."""

    def county_radius_km(self, departement: str) -> float | None:
        """Radius of the circle that covers the whole département."""

    def barycentre(self, departement: str) -> tuple[float, float] | None:
        """(lat, lon) of the centre of a département-wide search."""


class NoRadiusTable:
    """No official figures: every answer is the fallback."""

    def city_radius_km(self, departement: str) -> float | None:
        return None

    def county_radius_km(self, departement: str) -> float | None:
        return None

    def barycentre(self, departement: str) -> tuple[float, float] | None:
        return None


@dataclass(frozen=True)
class _Row:
    city_radius_km: float | None
    county_radius_km: float | None
    barycentre: tuple[float, float] | None


class OfficialRadiusTable:
    """The ANS table, read from the CSV export of its sheet (one row per département)."""

    def __init__(self, rows: dict[str, _Row], path: Path) -> None:
        self._rows = rows
        self.path = path

    @classmethod
    def from_csv(cls, path: Path) -> OfficialRadiusTable:
        """Read and check the whole file; every problem is reported with its row."""
        try:
            with path.open(newline="", encoding="utf-8-sig") as f:
                sample = f.read(4096)
                f.seek(0)
                dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
                reader = csv.DictReader(f, dialect=dialect)
                missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
                if missing:
                    raise RadiusTableError(
                        f"{path}: missing column(s) {', '.join(missing)}; expected the header of "
                        f"ANS's SAS_Rayons_zones_de_recherche sheet ({', '.join(REQUIRED_COLUMNS)})"
                    )
                rows: dict[str, _Row] = {}
                problems: list[str] = []
                for line, raw in enumerate(reader, start=2):
                    try:
                        code = departement_code(raw["code"])
                        rows[code] = _Row(
                            city_radius_km=_filled(raw["cityDefaultRadius"]),
                            county_radius_km=_filled(raw["countyRadius"]),
                            barycentre=_point(raw["barycentreCityLat"], raw["barycentreCityLon"]),
                        )
                    except ValueError as exc:
                        problems.append(f"line {line}: {exc}")
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise RadiusTableError(f"{path}: cannot be read as CSV ({exc})") from None
        if problems:
            raise RadiusTableError(f"{path}: " + "; ".join(problems))
        return cls(rows, path)

    def city_radius_km(self, departement: str) -> float | None:
        row = self._rows.get(departement)
        return row.city_radius_km if row else None

    def county_radius_km(self, departement: str) -> float | None:
        row = self._rows.get(departement)
        return row.county_radius_km if row else None

    def barycentre(self, departement: str) -> tuple[float, float] | None:
        row = self._rows.get(departement)
        return row.barycentre if row else None


def load_radius_table(path: Path | None) -> RadiusTable:
    """The official table at `path` (the `radius_table` setting), or the fallbacks only."""
    return OfficialRadiusTable.from_csv(path) if path is not None else NoRadiusTable()


def departement_code(value: str) -> str:
    """The INSEE code of a département as the sheet writes it: `4` → `04`, `20A` → `2A`."""
    text = value.strip().upper()
    code = {"20A": "2A", "20B": "2B"}.get(text, text.zfill(2) if text.isdigit() else text)
    if code not in DEPARTEMENTS:
        raise ValueError(f"code {value!r} is not a département with a SAS territory")
    return code


def _filled(value: str) -> float | None:
    """A positive figure, or None for the sheet's 0 / empty ("not filled")."""
    text = value.strip().replace(",", ".")
    if not text:
        return None
    number = float(text)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{value!r} is not a distance in km")
    return number or None


def _point(lat: str, lon: str) -> tuple[float, float] | None:
    """A (lat, lon) barycentre, or None for the sheet's 0, 0 ("not filled")."""
    try:
        latitude = float(lat.strip().replace(",", ".") or 0)
        longitude = float(lon.strip().replace(",", ".") or 0)
    except ValueError:
        raise ValueError(f"barycentre ({lat!r}, {lon!r}) is not a point") from None
    if latitude == 0 and longitude == 0:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError(f"barycentre ({lat!r}, {lon!r}) is not a WGS84 point")
    return latitude, longitude
