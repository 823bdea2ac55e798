"""The order of results (digest §2.8) on plain lists: the directory's order, lots, partition,
CPTS collapse, the preferred doctor, and the filters' syntax."""

from __future__ import annotations

from collections import Counter

import pytest

from sas_core.offer.models import OfferKind
from sas_core.search.models import Card, CardStatus, Filters, SearchInputError
from sas_core.search.ranking import (
    collapse_cpts,
    lots_of,
    order_candidates,
    partition,
    preferred_doctor_idnps,
)
from sas_core.slots.models import Modality

from .conftest import BORDEAUX, Offer, offer


def ids(offers: list[Offer], seed: int, *, by_distance: bool = False) -> list[str]:
    ranked = order_candidates(offers, BORDEAUX, by_distance=by_distance, seed=seed)
    return [r.candidate.id for r in ranked]


def card(id: str, status: CardStatus, participates: bool = True, **fields: object) -> Card:
    return Card.model_validate(
        {
            "kind": OfferKind.PRACTITIONER,
            "id": id,
            "place_id": f"place-{id}",
            "type": "practitioner",
            "lat": 44.8,
            "lon": -0.5,
            "distance_km": 1.0,
            "participates": participates,
            "status": status,
            "lot": 1,
            **fields,
        }
    )


OFFERS = [offer(f"8{i:011d}", participates=i % 3 != 0) for i in range(1, 31)]


def test_the_same_seed_gives_the_same_list_whatever_the_directory_order() -> None:
    assert ids(OFFERS, 1234) == ids(list(reversed(OFFERS)), 1234)


def test_participants_come_first_then_a_permutation_that_another_seed_changes() -> None:
    first = ids(OFFERS, 1)
    participants = {o.id for o in OFFERS if o.participates}
    assert set(first[: len(participants)]) == participants
    assert ids(OFFERS, 2) != first
    assert set(ids(OFFERS, 2)[: len(participants)]) == participants


def test_exposure_rotates_fairly_across_seeds() -> None:
    """Over many searches, each of 10 equivalent offers is shown first about as often."""
    equivalent = [offer(f"8{i:011d}") for i in range(10)]
    firsts = Counter(ids(equivalent, seed)[0] for seed in range(2000))
    assert set(firsts) == {o.id for o in equivalent}
    assert max(firsts.values()) < 2 * min(firsts.values())


def test_an_address_search_orders_by_distance_within_participation() -> None:
    near = offer("811111111111", lat=44.84, lon=-0.58)
    far = offer("822222222222", lat=44.90, lon=-0.60)
    far_participant = offer("833333333333", lat=45.5, lon=-0.6)
    near_not = offer("844444444444", lat=44.838, lon=-0.579, participates=False)
    got = ids([far, near_not, far_participant, near], 0, by_distance=True)
    assert got == [near.id, far.id, far_participant.id, near_not.id]


def test_a_place_is_listed_once() -> None:
    twice = offer("811111111111")
    assert ids([twice, twice, offer("822222222222")], 3).count(twice.id) == 1


def test_lots_of_25_with_at_most_10_sos_associations() -> None:
    practitioners = [offer(f"8{i:011d}") for i in range(30)]
    sos = [
        Offer(OfferKind.STRUCTURE, f"3{i:014d}", f"site-{i}-{s}", 44.8, -0.5, structure_kind="sos")
        for i in range(12)
        for s in range(2)
    ]
    ranked = order_candidates(sos + practitioners, BORDEAUX, by_distance=False, seed=5)
    lots = list(lots_of(ranked))
    assert all(len(lot) <= 25 for lot in lots)
    assert all(len({r.candidate.id for r in lot if r.is_sos}) <= 10 for lot in lots)
    assert [r for lot in lots for r in lot] == ranked, "order kept, nothing lost"
    assert len(lots) == 3


def test_each_lot_is_partitioned_stably() -> None:
    cards = [
        card("a", "no-slot", participates=False),
        card("b", "slots", participates=False),
        card("c", "not-connected"),
        card("d", "slots"),
        card("e", "vendor-error", participates=False),
        card("f", "slots"),
        card("g", "circuit-open"),
    ]
    assert [c.id for c in partition(cards)] == ["d", "f", "b", "c", "g", "a", "e"]


def test_cpts_members_collapse_into_one_card_at_the_first_members_place() -> None:
    cpts = card("1941375011", "not-connected", kind=OfferKind.STRUCTURE, type="cpts")
    cards = [
        card("a", "slots", participates=False),
        card("m1", "no-slot", cpts="1941375011"),
        card("b", "no-slot"),
        card("m2", "slots", cpts="1941375011"),
        card("other", "no-slot", cpts="1000000000"),
    ]
    shown: set[str] = set()
    collapsed = collapse_cpts(cards, {cpts.id: cpts}, shown)
    assert [c.id for c in collapsed] == ["a", "1941375011", "b", "other"]
    the_cpts = collapsed[1]
    assert the_cpts.members == ["m1", "m2"]
    assert the_cpts.status == "slots", "the best of its members' answers"
    assert shown == {"1941375011"}

    later = collapse_cpts(
        [card("m3", "slots", cpts="1941375011"), card("c", "slots")], {cpts.id: cpts}, shown
    )
    assert [c.id for c in later] == ["c"], "a later lot's member maps to the card already shown"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("urn:oid:1.2.250.1.71.4.2.1|810104332181", "810104332181"),
        ("10104332181", "810104332181"),
        ("810104332181", "810104332181"),
        ("", "sas_pf_002"),
        ("   ", "sas_pf_002"),
        ("urn:oid:1.2.250.1.71.4.2.1|010104332181", "sas_pf_001"),
        ("oid:123", "sas_pf_001"),
        ("Dr MARTIN", "sas_pf_001"),
    ],
)
def test_the_preferred_doctor_parameter(value: str, expected: str) -> None:
    got = preferred_doctor_idnps(value)
    assert (got if isinstance(got, str) else got.error_code_sas) == expected


def test_filters_parse_with_union_inside_a_category() -> None:
    filters = Filters.parse(
        ["with-slots", "available:0-4h,4-8h", "type:cpts", "type:sos", "modality:home"]
    )
    assert filters.with_slots and not filters.surnumeraire
    assert filters.available_within == {"0-4h", "4-8h"}
    assert filters.types == {"cpts", "sos"}
    assert filters.modalities == {Modality.HH}


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("slots", "unknown filter 'slots'"),
        ("available:0-5h", "'0-5h' unknown"),
        ("type:hospital", "'hospital' unknown"),
        ("modality:video", "'video' unknown"),
        ("with-slots:yes", "unknown filter"),
    ],
)
def test_a_filter_that_does_not_exist_is_refused_with_the_known_ones(
    token: str, message: str
) -> None:
    with pytest.raises(SearchInputError, match=message) as error:
        Filters.parse([token])
    assert "0-4h" in str(error.value) or "known values" in str(error.value)
