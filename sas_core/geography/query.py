"""Understanding the place a regulator types, and finding it in the offline gazetteer.

Understood: a département code (`93`, `2A`, `974`), a postcode alone or with its city
(`75015 Paris`), a commune (`Bobigny`, `Saint-Denis (93)`, `Paris 8e`) and an address
(`12 rue de la Paix, 75002 Paris`), whose street is recognised and kept in the label but not
located: offline, an address is its commune's centre (street-level precision needs an online
geocoder plugin, docs/geography.md). A name that several communes bear is not guessed.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sas_core.geography.gazetteer import Gazetteer, Place
from sas_core.geography.models import (
    AmbiguousPlace,
    Candidate,
    GeocodeResult,
    PlaceKind,
    PlaceNotFound,
)
from sas_core.geography.names import name_key

_POSTCODE = re.compile(r"(?<![0-9])([0-9]{5})(?![0-9])")
_DEPARTEMENT_ONLY = re.compile(r"^(?:DEPARTEMENT |DEP )?([0-9]{1,3}|2 ?[AB])$")
_DEPARTEMENT_SUFFIX = re.compile(r"[(\[]\s*([0-9]{1,3}|2\s?[ABab])\s*[)\]]\s*$")
_TRAILING_DEPARTEMENT = re.compile(r"^(.*\S)\s+([0-9]{2,3}|2[ABab])$")
_CEDEX = re.compile(r"\s*\bCEDEX(?:\s+[0-9]{1,2})?\b", re.IGNORECASE)
_ARRONDISSEMENT = re.compile(
    r"^(PARIS|LYON|MARSEILLE) ([0-9]{1,2}) ?(?:E|ER|EME|ERE)?(?: ARRONDISSEMENT| ARR)?$"
)
#: INSEE code of arrondissement n: Paris 751nn, Lyon 6938n, Marseille 132nn.
_ARRONDISSEMENT_CODES = {
    "PARIS": (20, "751{:02d}"),
    "LYON": (9, "6938{}"),
    "MARSEILLE": (16, "132{:02d}"),
}
_HOUSE_NUMBER = re.compile(r"^[0-9]+(?: ?(?:BIS|TER|QUATER|[A-D]))?(?: |$)")
#: First words of a French street name (full and as La Poste abbreviates them).
STREET_WORDS = frozenset(
    {
        *("RUE", "RUELLE", "AVENUE", "AV", "AVE", "BOULEVARD", "BD", "BLD", "CHEMIN", "CHE", "CH"),
        *("PLACE", "PL", "IMPASSE", "IMP", "ALLEE", "ALL", "ROUTE", "RTE", "QUAI", "COURS", "CRS"),
        *("SQUARE", "SQ", "PASSAGE", "PAS", "VOIE", "VC", "SENTIER", "SEN", "PROMENADE", "PROM"),
        *("ESPLANADE", "PARVIS", "MONTEE", "FAUBOURG", "FG", "CHAUSSEE", "CARREFOUR", "TRAVERSE"),
        *("VILLA", "CITE", "RESIDENCE", "RES", "HAMEAU", "HAM", "LIEU", "LIEUDIT", "LOTISSEMENT"),
        *("LOT", "DOMAINE", "QUARTIER", "ZA", "ZI", "ZAC", "ROND", "RPT", "CLOS", "VENELLE"),
    }
)
_COUNTRY = frozenset({"FRANCE", "FR"})
#: How many candidates an ambiguity message lists.
SHOWN_CANDIDATES = 10
ADDRESS_NOTE = (
    "offline, an address is located at its commune's centre; street-level precision needs an "
    "online geocoder plugin"
)


@dataclass(frozen=True)
class ParsedQuery:
    """The parts found in a query; none of them is checked against the gazetteer yet."""

    text: str
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    departement: str | None = None

    def understood(self) -> str:
        parts = [
            f"street {self.street!r}" if self.street else "",
            f"postcode {self.postcode}" if self.postcode else "",
            f"commune {self.city!r}" if self.city else "",
            f"département {self.departement}" if self.departement else "",
        ]
        return ", ".join(p for p in parts if p) or "nothing"


def parse_query(text: str) -> ParsedQuery:
    """Split a query into street, postcode, city and département (no lookup)."""
    cleaned = " ".join(text.split()).strip(" ,;")
    if not cleaned:
        raise PlaceNotFound(
            "the place is empty: type an address, a commune, a postcode or a département code"
        )
    whole = _DEPARTEMENT_ONLY.match(name_key(cleaned))
    if whole:
        return ParsedQuery(cleaned, departement=_departement_code(whole[1]))
    departement = None
    suffix = _DEPARTEMENT_SUFFIX.search(cleaned)
    if suffix:
        departement = _departement_code(suffix[1])
        cleaned = cleaned[: suffix.start()].strip(" ,;")
    chunks = [_CEDEX.sub("", c).strip(" -;") for c in cleaned.split(",")]
    chunks = [c for c in chunks if c and name_key(c) not in _COUNTRY]
    if len(chunks) > 1 and departement is None and _DEPARTEMENT_ONLY.match(name_key(chunks[-1])):
        departement = _departement_code(name_key(chunks.pop()))
    postcodes = list(_POSTCODE.finditer(", ".join(chunks)))
    if postcodes:
        joined = ", ".join(chunks)
        found = postcodes[-1]
        before = joined[: found.start()].strip(" ,;-")
        after = joined[found.end() :].strip(" ,;-")
        street, city = None, after or None
        if before and city is None:
            head, _, last = before.rpartition(",")
            if head and not _looks_like_street(last.strip()):
                street, city = head.strip(" ,"), last.strip()
            elif _looks_like_street(before):
                street = before
            else:
                city = before
        elif before:
            street = before
        return ParsedQuery(cleaned, street, found[1], city, departement)
    if not chunks:
        return ParsedQuery(cleaned, departement=departement)
    street = ", ".join(chunks[:-1]) or None
    return ParsedQuery(cleaned, street, None, chunks[-1], departement)


def geocode_offline(text: str, gazetteer: Gazetteer) -> GeocodeResult:
    """Find the place `text` names in the gazetteer, or raise `GeocodeError` saying why not."""
    query = parse_query(text)
    if query.postcode:
        return _by_postcode(query, gazetteer)
    if query.city:
        return _by_name(query, gazetteer)
    return _departement(query, gazetteer)


def _departement(query: ParsedQuery, gazetteer: Gazetteer) -> GeocodeResult:
    code = query.departement or ""
    place = gazetteer.departements.get(code)
    if place is None:
        raise PlaceNotFound(
            f"{code!r} is not the code of a département with a SAS territory "
            "(01…95, 2A, 2B, 971…974, 976)"
        )
    return _result(place, PlaceKind.DEPARTEMENT, f"{place.name} ({place.code})")


def _by_postcode(query: ParsedQuery, gazetteer: Gazetteer) -> GeocodeResult:
    postcode = query.postcode or ""
    places = gazetteer.by_postcode.get(postcode, [])
    if not places and query.city:
        # A CEDEX or outdated code: the commune's name still says where.
        without = ParsedQuery(query.text, query.street, None, query.city, query.departement)
        try:
            result = _by_name(without, gazetteer)
        except PlaceNotFound:
            pass
        else:
            note = f"postcode {postcode} is unknown (CEDEX?): located by the commune's name"
            return result.model_copy(update={"note": _join_notes(note, result.note)})
    if not places:
        raise PlaceNotFound(
            f"{postcode} is not the postcode of any commune (understood {query.understood()})"
        )
    kind = PlaceKind.ADDRESS if query.street else PlaceKind.POSTCODE
    if query.city:
        key = name_key(query.city)
        matches = _named_among(places, key, gazetteer)
        if len(matches) == 1:
            return _result(matches[0], kind, _label(query, matches[0]), postcode)
        if len(matches) > 1:
            raise _ambiguous(query, matches)
        elsewhere = [p for p in gazetteer.named(key) if p.is_current]
        if elsewhere:
            raise PlaceNotFound(
                f"{query.city!r} is not a commune of postcode {postcode} ({_names(places)}) "
                f"but is {_names(elsewhere)} (understood {query.understood()})"
            )
    if len(places) == 1:
        result = _result(places[0], kind, _label(query, places[0]), postcode)
    else:
        result = _postcode_centre(query, places, kind)
    if query.city:
        note = f"{query.city!r} is no commune of {postcode}: located by the postcode alone"
        return result.model_copy(update={"note": _join_notes(note, result.note)})
    return result


def _by_name(query: ParsedQuery, gazetteer: Gazetteer) -> GeocodeResult:
    city = query.city or ""
    key = name_key(city)
    arrondissement = _arrondissement(key, gazetteer)
    if arrondissement is not None:
        kind = PlaceKind.ADDRESS if query.street else PlaceKind.CITY
        return _result(arrondissement, kind, _label(query, arrondissement))
    places = gazetteer.named(key)
    if query.departement:
        in_departement = [p for p in places if p.departement == query.departement]
        if places and not in_departement:
            raise PlaceNotFound(
                f"no commune named {city!r} in département {query.departement} "
                f"({_names(places)} elsewhere; understood {query.understood()})"
            )
        places = in_departement
    chosen = _one_meaning(places)
    if chosen is not None:
        kind = PlaceKind.ADDRESS if query.street else PlaceKind.CITY
        return _result(chosen, kind, _label(query, chosen))
    if places:
        raise _ambiguous(query, places)
    trailing = _TRAILING_DEPARTEMENT.match(city)
    if trailing and query.departement is None:
        # "Saint-Denis 93": a département code after the name.
        code = _departement_code(trailing[2])
        if code in gazetteer.departements:
            narrowed = ParsedQuery(query.text, query.street, None, trailing[1], code)
            return _by_name(narrowed, gazetteer)
    departement = gazetteer.departement_names.get(key)
    if departement is not None and not query.street:
        return _result(
            departement, PlaceKind.DEPARTEMENT, f"{departement.name} ({departement.code})"
        )
    if not query.street and _looks_like_street(city):
        return _address_without_comma(query, gazetteer)
    raise PlaceNotFound(
        f"no commune or département is named {city!r} (understood {query.understood()}); "
        "check the spelling or add the postcode"
    )


def _address_without_comma(query: ParsedQuery, gazetteer: Gazetteer) -> GeocodeResult:
    """`12 rue de la Paix Paris`: the longest ending of the words that names one commune."""
    words = (query.city or "").split()
    for start in range(1, len(words)):
        street, city = " ".join(words[:start]), " ".join(words[start:])
        candidate = ParsedQuery(query.text, street, None, city, query.departement)
        try:
            return _by_name(candidate, gazetteer)
        except PlaceNotFound:
            continue
    raise PlaceNotFound(
        f"{query.city!r} looks like a street but names no commune: add the postcode or the "
        "commune after a comma (e.g. '12 rue de la Paix, 75002 Paris')"
    )


def _one_meaning(places: Sequence[Place]) -> Place | None:
    """The place a name means when only one current commune bears it (else one former one)."""
    current = [p for p in places if p.is_current]
    if current:
        return current[0] if len(current) == 1 else None
    return places[0] if len(places) == 1 else None


def _named_among(places: Sequence[Place], key: str, gazetteer: Gazetteer) -> list[Place]:
    """Which of a postcode's communes (or of their former communes) the name designates."""
    arrondissement = _arrondissement(key, gazetteer)
    if arrondissement is not None:
        return [arrondissement] if arrondissement in places else []
    named = [p for p in gazetteer.named(key) if p.is_current and p in places]
    if named:
        return named
    # "75008 Paris": the arrondissement of a city that has them.
    by_parent = [
        p for p in places if p.parent and name_key(gazetteer.communes[p.parent].name) == key
    ]
    if by_parent:
        return by_parent
    codes = {p.code for p in places}
    return [p for p in gazetteer.named(key) if not p.is_current and p.parent in codes]


def _arrondissement(key: str, gazetteer: Gazetteer) -> Place | None:
    match = _ARRONDISSEMENT.match(key)
    if not match:
        return None
    count, pattern = _ARRONDISSEMENT_CODES[match[1]]
    number = int(match[2])
    if not 1 <= number <= count:
        return None
    return gazetteer.communes.get(pattern.format(number))


def _postcode_centre(query: ParsedQuery, places: Sequence[Place], kind: PlaceKind) -> GeocodeResult:
    """A postcode shared by several communes: the mean of their centres."""
    departement = Counter(p.departement for p in places).most_common(1)[0][0]
    shown = ", ".join(p.name for p in places[:5]) + (", …" if len(places) > 5 else "")
    label = f"{query.postcode} ({len(places)} communes: {shown})"
    if query.street:
        label = f"{query.street}, {label}"
    return GeocodeResult(
        lat=round(statistics.fmean(p.lat for p in places), 5),
        lon=round(statistics.fmean(p.lon for p in places), 5),
        kind=kind,
        departement=departement,
        label=label,
        postcode=query.postcode,
        note=ADDRESS_NOTE if kind is PlaceKind.ADDRESS else None,
    )


def _result(
    place: Place, kind: PlaceKind, label: str, postcode: str | None = None
) -> GeocodeResult:
    if postcode is None and len(place.postcodes) == 1:
        postcode = place.postcodes[0]
    return GeocodeResult(
        lat=place.lat,
        lon=place.lon,
        kind=kind,
        departement=place.departement,
        label=label,
        insee=place.code if kind is not PlaceKind.DEPARTEMENT else None,
        postcode=postcode if kind is not PlaceKind.DEPARTEMENT else None,
        note=ADDRESS_NOTE if kind is PlaceKind.ADDRESS else None,
    )


def _label(query: ParsedQuery, place: Place) -> str:
    postcode = query.postcode or (place.postcodes[0] if len(place.postcodes) == 1 else None)
    where = f"{postcode} {place.name}" if postcode else f"{place.name} ({place.departement})"
    return f"{query.street}, {where}" if query.street else where


def _ambiguous(query: ParsedQuery, places: Sequence[Place]) -> AmbiguousPlace:
    candidates = [
        Candidate(
            label=f"{p.name} ({p.departement})" + ("" if p.is_current else ", former commune"),
            insee=p.code,
            departement=p.departement,
            postcodes=p.postcodes,
        )
        for p in places
    ]
    shown = "\n".join(
        f"  {c.label}: INSEE {c.insee}, postcode(s) {' '.join(c.postcodes) or '-'}"
        for c in candidates[:SHOWN_CANDIDATES]
    )
    more = len(candidates) - SHOWN_CANDIDATES
    example = f"{query.city} ({candidates[0].departement})"
    return AmbiguousPlace(
        f"{query.city!r} names {len(candidates)} places; add the postcode or the département, "
        f"e.g. {example!r}:\n{shown}" + (f"\n  … and {more} more" if more > 0 else ""),
        candidates,
    )


def _names(places: Sequence[Place]) -> str:
    shown = ", ".join(f"{p.name} ({p.departement})" for p in places[:3])
    return shown + (", …" if len(places) > 3 else "")


def _looks_like_street(text: str) -> bool:
    key = name_key(text)
    return bool(_HOUSE_NUMBER.match(key)) or key.split(" ", 1)[0] in STREET_WORDS


def _departement_code(text: str) -> str:
    code = text.replace(" ", "").upper()
    return code.zfill(2) if code.isdigit() and len(code) < 3 else code


def _join_notes(*notes: str | None) -> str | None:
    return "; ".join(n for n in notes if n) or None
