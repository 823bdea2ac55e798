"""Which SAS territory covers a département (interim, until the territory registry lands).

The registry (issue #9, `sas_core/registry/territories.py`) holds the 101 territories and this
mapping; when it is merged, `territory_of_departement` delegates to it and this module goes.
"""

from __future__ import annotations

#: The 101 départements that have a SAS territory: one territory each (search-engine data §2).
DEPARTEMENTS: frozenset[str] = frozenset(
    [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B", "971", "972", "973", "974", "976"]
)


def territory_of_departement(code: str) -> str:
    """The SAS territory of a département: `93` → `SAS-93`, `2A` → `SAS-20A`, `974` → `SAS-974`.

    Corsica's territories are written `20A`/`20B` in the ANS table, not `2A`/`2B`.
    """
    normalised = code.strip().upper()
    if normalised not in DEPARTEMENTS:
        raise ValueError(f"{code!r} is not the code of a département with a SAS territory")
    return "SAS-" + {"2A": "20A", "2B": "20B"}.get(normalised, normalised)
