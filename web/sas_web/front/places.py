"""Place suggestions as the regulator types (the search form's place field): prefixes of the
offline gazetteer's names and postcodes (`sas_core.geography`), biggest communes first."""

from __future__ import annotations

import bisect
import functools

from sas_core.geography.gazetteer import Gazetteer, Place, load_gazetteer
from sas_core.geography.names import name_key

#: Fewer letters suggest nothing: "sa" would list hundreds of communes.
MIN_CHARACTERS = 2


class PlaceSuggestions:
    """Prefix lookups over the gazetteer's name keys and postcodes, sorted once."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self._names = sorted(gazetteer.by_name)
        self._postcodes = sorted(gazetteer.by_postcode)

    def suggest(self, text: str, limit: int = 8) -> list[str]:
        """Labels such as "Bordeaux (33000)" for what was typed so far."""
        text = text.strip()
        if len(text) < MIN_CHARACTERS:
            return []
        if text.isdigit():
            keys, index = self._postcodes, self.gazetteer.by_postcode
            key = text
        else:
            keys, index = self._names, self.gazetteer.by_name
            key = name_key(text)
        start = bisect.bisect_left(keys, key)
        found: dict[str, Place] = {}
        for k in keys[start : start + 200]:
            if not k.startswith(key):
                break
            for place in index[k]:
                if place.is_current:
                    found.setdefault(place.code, place)
        best = sorted(found.values(), key=lambda p: -p.population)[:limit]
        return [label(p) for p in best]


def label(place: Place) -> str:
    return f"{place.name} ({place.postcodes[0]})" if place.postcodes else place.name


@functools.cache
def place_suggestions() -> PlaceSuggestions:
    """Built once per process, from the gazetteer `make install` builds."""
    return PlaceSuggestions(load_gazetteer())
