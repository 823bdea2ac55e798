"""The order of a search's results (digest §2.8), as pure functions over candidates and cards.

1. The LRM's preferred doctor first, whatever his slots (§2.11).
2. Before any vendor is asked, the directory's order (`directory_rank`): participants first, then
   distance for an address search, else a permutation drawn from the search's one seed (Solr's
   `random_<seed>` field, §2.4 step 10) — the same seed gives the same list, another seed
   rotates who is seen first among equivalent offers. Ties end on the id, as Solr's `its_nid`.
   The offer directory computes the same order in SQL (`sas_core.storage.offer`), so that a
   search reads its candidates a page at a time; a test holds the two to the same list.
3. That order is cut into lots of 25 (≤ 10 SOS associations), and each lot, once its slots are
   known, is stably partitioned: slots and participating, slots, participating, the rest.
4. The CPTS covering the searched commune collapse their members into one card, at the place of
   the first member met (§2.8 "CPTS collapse").

Not copied from the published front (§2.12): the seed is drawn once per search, not at each page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from sas_core.geography.distances import haversine_km, squared_chord, unit_vector
from sas_core.identifiers import IdentifierError, parse_rpps
from sas_core.offer.models import CandidateQuery, seeded_position, shuffle_key
from sas_core.search.models import (
    LOT_SIZE,
    MAX_SOS_PER_LOT,
    Card,
    CardStatus,
    OfferCandidate,
    PreferredDoctorError,
)


@dataclass(frozen=True)
class Ranked:
    """A candidate with its distance from the searched point."""

    candidate: OfferCandidate
    distance_km: float

    @property
    def key(self) -> tuple[str, str]:
        """A card is one place of one offer: what de-duplicates the list."""
        return self.candidate.id, self.candidate.place_id

    @property
    def is_sos(self) -> bool:
        return self.candidate.structure_kind == "sos"


def directory_rank(
    query: CandidateQuery, candidate: OfferCandidate
) -> tuple[bool, float, str, str]:
    """The candidate's key in the directory's order for `query` (`rank_key`)."""
    return rank_key(candidate, query.center, by_distance=query.by_distance, seed=query.seed)


def rank_key(
    candidate: OfferCandidate, center: tuple[float, float], *, by_distance: bool, seed: int
) -> tuple[bool, float, str, str]:
    """Not participating last, then the squared chord to `center` (an address search) or the
    candidate's position in the seed's permutation (a hash of the place, so it does not depend
    on which other candidates the search found, nor on the order the directory returned them),
    then the ids, compared by code point (as the databases are told to)."""
    if by_distance:
        point = unit_vector(candidate.latitude, candidate.longitude)
        position: float = squared_chord(point, unit_vector(*center))
    else:
        position = seeded_position(seed, shuffle_key(candidate.id, candidate.place_id))
    return (not candidate.participates, position, candidate.id, candidate.place_id)


def ranked(candidate: OfferCandidate, center: tuple[float, float]) -> Ranked:
    """The candidate with its distance from `center`, rounded to the metre."""
    point = (candidate.latitude, candidate.longitude)
    return Ranked(candidate, round(haversine_km(center, point), 3))


def order_candidates(
    candidates: Iterable[OfferCandidate],
    center: tuple[float, float],
    *,
    by_distance: bool,
    seed: int,
) -> list[Ranked]:
    """The directory's order (digest §2.4 step 10) of a list, de-duplicated by place."""
    entries: dict[tuple[str, str], Ranked] = {}
    for candidate in candidates:
        entry = ranked(candidate, center)
        entries.setdefault(entry.key, entry)
    return sorted(
        entries.values(),
        key=lambda e: rank_key(e.candidate, center, by_distance=by_distance, seed=seed),
    )


def lots_of(ranked: Iterable[Ranked]) -> Iterator[list[Ranked]]:
    """Lots of at most 25 places naming at most 10 SOS associations, in order (digest §5),
    each cut as soon as it is full: `ranked` may be read from the directory as it goes."""
    lot: list[Ranked] = []
    sos: set[str] = set()
    for entry in ranked:
        if lot and entry.is_sos and entry.candidate.id not in sos and len(sos) == MAX_SOS_PER_LOT:
            yield lot
            lot, sos = [], set()
        lot.append(entry)
        if entry.is_sos:
            sos.add(entry.candidate.id)
        if len(lot) == LOT_SIZE:
            yield lot
            lot, sos = [], set()
    if lot:
        yield lot


def group_of(card: Card) -> int:
    """Digest §2.8 step 2: 0 slots and participating, 1 slots, 2 participating, 3 the rest."""
    has_slots = card.status == "slots"
    if has_slots:
        return 0 if card.participates else 1
    return 2 if card.participates else 3


def partition(cards: Sequence[Card]) -> list[Card]:
    """The stable partition of one lot: the order inside each group is the directory's."""
    return sorted(cards, key=group_of)


#: When members disagree, the CPTS card shows the most useful answer: slots, then a vendor's
#: "nothing free", then why the others could not say.
_STATUS_PRIORITY: tuple[CardStatus, ...] = (
    "slots",
    "no-slot",
    "vendor-error",
    "circuit-open",
    "not-connected",
)


def collapse_cpts(
    cards: Sequence[Card], covering: Mapping[str, Card], shown: set[str]
) -> list[Card]:
    """Replace the members of a CPTS covering the searched commune by the CPTS card, at the
    first member's position; `shown` holds the CPTS already placed by an earlier lot, whose
    members are then only dropped (digest §2.8: the nid de-duplication keeps the card once).

    The CPTS card carries its members' ids and slots, and the best of their statuses.
    """
    members: dict[str, list[Card]] = {}
    for card in cards:
        if card.cpts is not None and card.cpts in covering:
            members.setdefault(card.cpts, []).append(card)
    collapsed: list[Card] = []
    for card in cards:
        cpts = card.cpts
        if cpts is None or cpts not in covering:
            collapsed.append(card)
            continue
        if cpts in shown:
            continue
        shown.add(cpts)
        collapsed.append(_cpts_card(covering[cpts], members[cpts]))
    return collapsed


def _cpts_card(template: Card, members: Sequence[Card]) -> Card:
    status = min((m.status for m in members), key=_STATUS_PRIORITY.index)
    slots = sorted(
        {(s.start, s.end, s.practitioner, s.id): s for m in members for s in m.slots}.values(),
        key=lambda s: (s.start, s.practitioner or "", s.id),
    )
    causes = sorted({m.cause for m in members if m.status == status and m.cause})
    fetched = [m.fetched_at for m in members if m.fetched_at is not None]
    return template.model_copy(
        update={
            "status": status,
            "cause": "; ".join(causes) or None,
            "slots": slots,
            "members": list(dict.fromkeys(m.id for m in members)),
            "fetched_at": min(fetched) if fetched else None,
            "available_within": sorted(
                {b for m in members for b in m.available_within}, key=_bucket_order
            ),
            "lot": members[0].lot,
        }
    )


def _bucket_order(bucket: str) -> int:
    return int(bucket.split("-")[0])


# -------------------------------------------------------------------------------------------------
# Preferred doctor (digest §2.1, §2.11)
# -------------------------------------------------------------------------------------------------

#: The LRM's form: `urn:oid:1.2.250.1.71.4.2.1|8<RPPS>` (the IDNPS system and an 8-prefixed RPPS).
_PREFERRED_URN = re.compile(r"urn:oid:1\.2\.250\.1\.71\.4\.2\.1\|8([0-9]{11})")
PF_NOT_FOUND = "sas_pf_001"
PF_MISSING = "sas_pf_002"


def preferred_doctor_idnps(value: str) -> str | PreferredDoctorError:
    """The IDNPS the LRM's `practitioner` parameter names, or the error the official engine
    answers: `sas_pf_002` when empty, `sas_pf_001` when it cannot name one practitioner.

    Accepted: the URN form, an RPPS (11 digits) or an IDNPS (`8` + RPPS). Any other value
    containing `urn`, `oid` or `:` is malformed (`sas_pf_001`). A plain name would be a text
    search on the official platform; the directory is searched by identifier only, so a name
    is not found (`sas_pf_001`) either.
    """
    text = value.strip()
    if not text:
        return PreferredDoctorError(
            error_code_sas="sas_pf_002", error_message_sas="missing pref_doctor parameter"
        )
    urn = _PREFERRED_URN.fullmatch(text)
    rpps = urn.group(1) if urn else text
    try:
        return parse_rpps(rpps).value
    except IdentifierError:
        return not_found()


def not_found() -> PreferredDoctorError:
    return PreferredDoctorError(
        error_code_sas="sas_pf_001", error_message_sas="Preferred doctor cannot be found."
    )
