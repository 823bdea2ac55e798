"""Writing small PS_LibreAcces_Personne_activite files for the import tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

#: The extraction's header, in its order (every line ends with a separator).
HEADER = (
    "Type d'identifiant PP", "Identifiant PP", "Identification nationale PP",
    "Code civilité d'exercice", "Libellé civilité d'exercice", "Code civilité", "Libellé civilité",
    "Nom d'exercice", "Prénom d'exercice", "Code profession", "Libellé profession",
    "Code catégorie professionnelle", "Libellé catégorie professionnelle",
    "Code type savoir-faire", "Libellé type savoir-faire", "Code savoir-faire",
    "Libellé savoir-faire", "Code mode exercice", "Libellé mode exercice", "Numéro SIRET site",
    "Numéro SIREN site", "Numéro FINESS site", "Numéro FINESS établissement juridique",
    "Identifiant technique de la structure", "Raison sociale site", "Enseigne commerciale site",
    "Complément destinataire (coord. structure)",
    "Complément point géographique (coord. structure)", "Numéro Voie (coord. structure)",
    "Indice répétition voie (coord. structure)", "Code type de voie (coord. structure)",
    "Libellé type de voie (coord. structure)", "Libellé Voie (coord. structure)",
    "Mention distribution (coord. structure)", "Bureau cedex (coord. structure)",
    "Code postal (coord. structure)", "Code commune (coord. structure)",
    "Libellé commune (coord. structure)", "Code pays (coord. structure)",
    "Libellé pays (coord. structure)", "Téléphone (coord. structure)",
    "Téléphone 2 (coord. structure)", "Télécopie (coord. structure)",
    "Adresse e-mail (coord. structure)", "Code Département (structure)",
    "Libellé Département (structure)", "Ancien identifiant de la structure",
    "Autorité d'enregistrement", "Code secteur d'activité", "Libellé secteur d'activité",
    "Code section tableau pharmaciens", "Libellé section tableau pharmaciens", "Code rôle",
    "Libellé rôle", "Code genre activité", "Libellé genre activité",
)  # fmt: skip


def row(
    idnps: str,
    family: str,
    given: str,
    *,
    profession: str = "10",
    specialty: str = "",
    structure: str = "R10000000001",
    number: str = "12",
    street: str = "de la Paix",
    postcode: str = "75002",
    insee: str = "75102",
    city: str = "Paris",
    phone: str = "0142000000",
) -> dict[str, str]:
    """One activity line, the columns the import reads filled, the others plausible."""
    rpps = idnps[0] == "8"
    return {
        "Type d'identifiant PP": "8" if rpps else "0",
        "Identifiant PP": idnps[1:],
        "Identification nationale PP": idnps,
        "Nom d'exercice": family,
        "Prénom d'exercice": given,
        "Code profession": profession,
        "Code type savoir-faire": "S" if specialty else "",
        "Code savoir-faire": specialty,
        "Code mode exercice": "L",
        "Identifiant technique de la structure": structure,
        "Numéro Voie (coord. structure)": number,
        "Libellé type de voie (coord. structure)": "rue",
        "Libellé Voie (coord. structure)": street,
        "Code postal (coord. structure)": postcode,
        "Code commune (coord. structure)": insee,
        "Libellé commune (coord. structure)": city,
        "Code pays (coord. structure)": "99000",
        "Téléphone (coord. structure)": phone,
    }


def line(values: dict[str, str]) -> str:
    return "|".join(values.get(column, "") for column in HEADER) + "|"


def write(path: Path, rows: list[dict[str, str]], *, extra: Sequence[str] = ()) -> Path:
    text = "|".join(HEADER) + "|\n" + "".join(line(r) + "\n" for r in rows)
    path.write_text(text + "".join(f"{e}\n" for e in extra), encoding="utf-8")
    return path
