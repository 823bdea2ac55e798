"""Place names as keys: one spelling for "Saint-Étienne", "ST ETIENNE" and "saint étienne"."""

from __future__ import annotations

import re
import unicodedata

#: Abbreviations written in addresses and by La Poste (libellés d'acheminement).
ABBREVIATIONS = {"ST": "SAINT", "STE": "SAINTE", "STS": "SAINTS", "STES": "SAINTES"}
_LIGATURES = str.maketrans({"Œ": "OE", "œ": "OE", "Æ": "AE", "æ": "AE", "ß": "SS"})
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")


def name_key(text: str) -> str:
    """Accents, case, hyphens, apostrophes and "St"/"Ste" folded: the key names are compared by.

    >>> name_key("Saint-Étienne-du-Rouvray") == name_key("ST ETIENNE DU ROUVRAY")
    True
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii").upper()
    words = _NOT_ALNUM.sub(" ", ascii_only).split()
    return " ".join(ABBREVIATIONS.get(word, word) for word in words)
