"""The offline gazetteer: French communes, arrondissements and départements with their centres.

The file is built at install time from a declared source (`gazetteer_build.py`,
docs/geography.md) and read once per process, on the first lookup: importing this module costs
nothing, and the CLI commands that do not geocode never read it.
"""

from __future__ import annotations

import csv
import functools
import gzip
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sas_core.geography.names import name_key

#: Where `make gazetteer` writes the file, inside the package so that a wheel carries it.
GAZETTEER_FILE = Path(__file__).resolve().parent / "data" / "communes.tsv.gz"
#: The file's columns, in order (a département row fills `radius_km`, a commune row the rest).
COLUMNS = (
    "kind",
    "code",
    "name",
    "departement",
    "parent",
    "lat",
    "lon",
    "postcodes",
    "population",
    "radius_km",
)
#: Articles a name may be typed without ("Havre" for "Le Havre").
_ARTICLE = re.compile(r"^(?:LE|LA|LES|L|AUX|LAS|LOS) (.+)$")
#: Current communes and arrondissements; COMD and COMA are former communes inside a current one.
CURRENT = ("COM", "ARM")


class GazetteerMissing(RuntimeError):
    """The gazetteer file was not built (`make gazetteer`)."""


@dataclass(frozen=True, slots=True)
class Place:
    """One row of the gazetteer.

    `kind` is INSEE's: COM commune, ARM municipal arrondissement (Paris, Lyon, Marseille), COMD
    commune déléguée, COMA commune associée (former communes inside a current one), DEP
    département. `radius_km` is set for a département only: the circle around its centre that
    covers it.
    """

    kind: str
    code: str
    name: str
    departement: str
    parent: str | None
    lat: float
    lon: float
    postcodes: tuple[str, ...]
    population: int
    radius_km: float | None

    @property
    def is_current(self) -> bool:
        return self.kind in CURRENT


class Gazetteer:
    """Lookups by INSEE code, postcode, name key and département code."""

    def __init__(self, places: Iterable[Place], source: str = "") -> None:
        self.source = source
        self.communes: dict[str, Place] = {}
        self.departements: dict[str, Place] = {}
        self.by_postcode: dict[str, list[Place]] = defaultdict(list)
        self.by_name: dict[str, list[Place]] = defaultdict(list)
        self.departement_names: dict[str, Place] = {}
        for place in places:
            if place.kind == "DEP":
                self.departements[place.code] = place
                self.departement_names[name_key(place.name)] = place
                continue
            if place.is_current:
                self.communes[place.code] = place
                for postcode in place.postcodes:
                    self.by_postcode[postcode].append(place)
            key = name_key(place.name)
            self.by_name[key].append(place)
            bare = _ARTICLE.match(key)
            if bare:
                self.by_name[bare[1]].append(place)

    def named(self, key: str) -> list[Place]:
        """Every place whose name has this key (see `name_key`), current communes first."""
        places = self.by_name.get(key, [])
        return sorted(places, key=lambda p: (not p.is_current, -p.population))


@functools.cache
def load_gazetteer(path: Path = GAZETTEER_FILE) -> Gazetteer:
    """Read the gazetteer file once per process (about 40,000 rows, under a second)."""
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as stream:
            header = stream.readline()
            rows = csv.reader(stream, delimiter="\t")
            if tuple(next(rows)) != COLUMNS:
                raise GazetteerMissing(f"{path} has other columns than {COLUMNS}: rebuild it")
            places = [_place(*row) for row in rows]
    except FileNotFoundError:
        raise GazetteerMissing(
            f"the offline gazetteer {path} is not built: run `make gazetteer` "
            "(part of `make install`)"
        ) from None
    source = header.removeprefix("#").strip() if header.startswith("#") else ""
    return Gazetteer(places, source=source)


def _place(
    kind: str,
    code: str,
    name: str,
    departement: str,
    parent: str,
    lat: str,
    lon: str,
    postcodes: str,
    population: str,
    radius_km: str,
) -> Place:
    return Place(
        kind=kind,
        code=code,
        name=name,
        departement=departement,
        parent=parent or None,
        lat=float(lat),
        lon=float(lon),
        postcodes=tuple(postcodes.split()),
        population=int(population or 0),
        radius_km=float(radius_km) if radius_km else None,
    )
