"""The 101 SAS territories: one per département, with the codes the SAS platform uses.

A territory is `SAS-` + the département code written as the platform writes it: two digits for
mainland départements (`SAS-01` … `SAS-95`), `SAS-20A`/`SAS-20B` for Corsica (not `2A`/`2B`),
three digits overseas (`SAS-971` … `SAS-974`, `SAS-976`; Saint-Pierre-et-Miquelon, 975, is not a
département). `SAS-2A`/`SAS-2B`, the INSEE spelling, are accepted on input and stored in the
official form, so one territory never appears under two codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Territory:
    """One SAS territory: its official code, the département it covers and that one's name."""

    code: str
    department: str
    name: str


_DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("01", "Ain"),
    ("02", "Aisne"),
    ("03", "Allier"),
    ("04", "Alpes-de-Haute-Provence"),
    ("05", "Hautes-Alpes"),
    ("06", "Alpes-Maritimes"),
    ("07", "Ardèche"),
    ("08", "Ardennes"),
    ("09", "Ariège"),
    ("10", "Aube"),
    ("11", "Aude"),
    ("12", "Aveyron"),
    ("13", "Bouches-du-Rhône"),
    ("14", "Calvados"),
    ("15", "Cantal"),
    ("16", "Charente"),
    ("17", "Charente-Maritime"),
    ("18", "Cher"),
    ("19", "Corrèze"),
    ("2A", "Corse-du-Sud"),
    ("2B", "Haute-Corse"),
    ("21", "Côte-d'Or"),
    ("22", "Côtes-d'Armor"),
    ("23", "Creuse"),
    ("24", "Dordogne"),
    ("25", "Doubs"),
    ("26", "Drôme"),
    ("27", "Eure"),
    ("28", "Eure-et-Loir"),
    ("29", "Finistère"),
    ("30", "Gard"),
    ("31", "Haute-Garonne"),
    ("32", "Gers"),
    ("33", "Gironde"),
    ("34", "Hérault"),
    ("35", "Ille-et-Vilaine"),
    ("36", "Indre"),
    ("37", "Indre-et-Loire"),
    ("38", "Isère"),
    ("39", "Jura"),
    ("40", "Landes"),
    ("41", "Loir-et-Cher"),
    ("42", "Loire"),
    ("43", "Haute-Loire"),
    ("44", "Loire-Atlantique"),
    ("45", "Loiret"),
    ("46", "Lot"),
    ("47", "Lot-et-Garonne"),
    ("48", "Lozère"),
    ("49", "Maine-et-Loire"),
    ("50", "Manche"),
    ("51", "Marne"),
    ("52", "Haute-Marne"),
    ("53", "Mayenne"),
    ("54", "Meurthe-et-Moselle"),
    ("55", "Meuse"),
    ("56", "Morbihan"),
    ("57", "Moselle"),
    ("58", "Nièvre"),
    ("59", "Nord"),
    ("60", "Oise"),
    ("61", "Orne"),
    ("62", "Pas-de-Calais"),
    ("63", "Puy-de-Dôme"),
    ("64", "Pyrénées-Atlantiques"),
    ("65", "Hautes-Pyrénées"),
    ("66", "Pyrénées-Orientales"),
    ("67", "Bas-Rhin"),
    ("68", "Haut-Rhin"),
    ("69", "Rhône"),
    ("70", "Haute-Saône"),
    ("71", "Saône-et-Loire"),
    ("72", "Sarthe"),
    ("73", "Savoie"),
    ("74", "Haute-Savoie"),
    ("75", "Paris"),
    ("76", "Seine-Maritime"),
    ("77", "Seine-et-Marne"),
    ("78", "Yvelines"),
    ("79", "Deux-Sèvres"),
    ("80", "Somme"),
    ("81", "Tarn"),
    ("82", "Tarn-et-Garonne"),
    ("83", "Var"),
    ("84", "Vaucluse"),
    ("85", "Vendée"),
    ("86", "Vienne"),
    ("87", "Haute-Vienne"),
    ("88", "Vosges"),
    ("89", "Yonne"),
    ("90", "Territoire de Belfort"),
    ("91", "Essonne"),
    ("92", "Hauts-de-Seine"),
    ("93", "Seine-Saint-Denis"),
    ("94", "Val-de-Marne"),
    ("95", "Val-d'Oise"),
    ("971", "Guadeloupe"),
    ("972", "Martinique"),
    ("973", "Guyane"),
    ("974", "La Réunion"),
    ("976", "Mayotte"),
)


#: The SAS platform writes Corsica's départements 20A/20B in territory codes.
_CORSICA = {"2A": "20A", "2B": "20B"}


def _code_of(department: str) -> str:
    return f"SAS-{_CORSICA.get(department, department)}"


#: Every territory, in département order (Corsica between 19 and 21).
TERRITORIES: tuple[Territory, ...] = tuple(
    Territory(_code_of(department), department, name) for department, name in _DEPARTMENTS
)
_BY_CODE = {t.code: t for t in TERRITORIES}
#: The INSEE spelling of Corsica's codes, accepted on input.
ALIASES = {"SAS-2A": "SAS-20A", "SAS-2B": "SAS-20B"}

_RULE = (
    "a SAS territory is SAS-<département>: SAS-01 … SAS-95 with Corsica as SAS-20A/SAS-20B "
    "(SAS-2A/SAS-2B accepted), overseas SAS-971 … SAS-974 and SAS-976"
)


def check_territory(code: str) -> str:
    """The official code of territory `code` (an alias becomes official), else ValueError naming
    the value and the rule."""
    official = ALIASES.get(code, code)
    if official not in _BY_CODE:
        raise ValueError(f"unknown territory {code!r}: {_RULE}")
    return official


def territory(code: str) -> Territory:
    """The territory `code` names (aliases accepted), else ValueError."""
    return _BY_CODE[check_territory(code)]


_DEPARTMENT = re.compile(r"^(?:0?[1-9]|[1-8][0-9]|9[0-5]|2[AB]|20[AB]|97[1-46])$")


def territory_of_department(department: str) -> str:
    """The territory covering `department`, written as INSEE does (`01`, `2A`, `974`) or as the
    SAS search-radius data does (`1`, `20A`); anything else is a ValueError naming the value."""
    value = department.strip().upper()
    if not _DEPARTMENT.match(value) or value == "20":
        raise ValueError(
            f"unknown département {department!r}: expected 01 … 95 (leading zero optional), "
            "2A/2B (or 20A/20B) for Corsica, 971 … 974 or 976"
        )
    if value.isdigit() and len(value) < 3:
        value = value.zfill(2)
    return _code_of(value.replace("20", "2", 1) if value in ("20A", "20B") else value)
