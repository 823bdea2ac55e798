"""The candidate query against brute force, the ranked pages against the search's ranking, CPTS
coverage, a practitioner's places, stats."""

from __future__ import annotations

import random

import pytest
from sqlalchemy.engine import Engine

from sas_core.geography.distances import haversine_km
from sas_core.offer.directory import OfferDirectory
from sas_core.offer.models import (
    CandidateQuery,
    DirectoryPractitioner,
    DirectoryStructure,
    OfferKind,
    StructureKind,
    UnknownSpecialty,
)
from sas_core.search.ranking import directory_rank
from sas_core.storage.offer import inscribed_box

Generated = tuple[tuple[DirectoryStructure, ...], tuple[DirectoryPractitioner, ...]]


def _brute_force(
    generated: Generated, center: tuple[float, float], radius_km: float
) -> set[tuple[str, str]]:
    structures, practitioners = generated
    offers = [(p.idnps, p.places) for p in practitioners]
    offers += [(s.idnst, s.places) for s in structures]
    return {
        (offer, place.id)
        for offer, places in offers
        for place in places
        if haversine_km(center, (place.latitude, place.longitude)) <= radius_km
    }


def test_candidates_are_exactly_the_places_within_the_circle(
    stored: Engine, generated: Generated
) -> None:
    directory = OfferDirectory(stored)
    _, practitioners = generated
    rng = random.Random(3)
    centres = [(48.8566, 2.3522), (45.764, 4.8357), (43.2965, 5.3698), (-21.1151, 55.5364)]
    centres += [
        (place.latitude + rng.uniform(-0.1, 0.1), place.longitude + rng.uniform(-0.1, 0.1))
        for place in (rng.choice(p.places) for p in rng.sample(practitioners, 8))
    ]
    non_empty = 0
    for centre in centres:
        for radius in (2.0, 10.0, 30.0):
            found = directory.candidates(centre, radius)
            assert {(c.id, c.place_id) for c in found} == _brute_force(generated, centre, radius)
            assert [c.distance_km for c in found] == sorted(c.distance_km for c in found)
            for candidate in found:
                exact = haversine_km(centre, (candidate.latitude, candidate.longitude))
                assert candidate.distance_km == pytest.approx(exact, abs=1e-3)
            non_empty += bool(found)
    assert non_empty >= len(centres)


def test_specialty_and_kind_filters(stored: Engine, generated: Generated) -> None:
    directory = OfferDirectory(stored)
    paris = (48.8566, 2.3522)
    everyone = directory.candidates(paris, 15)
    gps = directory.candidates(paris, 15, specialty="SM54")
    assert gps and all("SM54" in c.specialties for c in gps)
    assert {(c.id, c.place_id) for c in gps} == {
        (c.id, c.place_id) for c in everyone if "SM54" in c.specialties
    }
    structures = directory.candidates(paris, 15, kinds=[OfferKind.STRUCTURE])
    assert structures and all(c.kind is OfferKind.STRUCTURE for c in structures)
    assert {c.id for c in structures} < {c.id for c in everyone}


def test_unknown_specialty_and_radius_out_of_range_are_refused(stored: Engine) -> None:
    directory = OfferDirectory(stored)
    with pytest.raises(UnknownSpecialty, match="SM99"):
        directory.candidates((48.85, 2.35), 10, specialty="SM99")
    for radius in (0, -1, 501):
        with pytest.raises(ValueError, match="out of range"):
            directory.candidates((48.85, 2.35), radius)


def test_cpts_covering_a_commune_and_their_members(stored: Engine, generated: Generated) -> None:
    directory = OfferDirectory(stored)
    structures, practitioners = generated
    cpts = next(s for s in structures if s.kind is StructureKind.CPTS and len(s.zone_insee) > 1)
    for insee in cpts.zone_insee:
        covering = directory.cpts_covering(insee)
        assert cpts.idnst in {c.id for c in covering}
        assert all(c.structure_kind is StructureKind.CPTS for c in covering)
    assert directory.cpts_covering("00000") == []
    member = next(p for p in practitioners if p.participation.cpts == cpts.idnst)
    place = member.places[0]
    near = directory.candidates((place.latitude, place.longitude), 1)
    card = next(c for c in near if c.id == member.idnps and c.place_id == place.id)
    assert (card.cpts, card.participation_via) == (cpts.idnst, "cpts")


def test_practitioner_places_everywhere(stored: Engine, generated: Generated) -> None:
    _, practitioners = generated
    person = next(p for p in practitioners if len(p.places) > 1)
    found = OfferDirectory(stored).practitioner_places(person.idnps)
    assert {c.place_id for c in found} == {p.id for p in person.places}
    assert {c.id for c in found} == {person.idnps}
    assert OfferDirectory(stored).practitioner_places("810000000000") == []


def test_a_candidate_carries_its_offer(stored: Engine, generated: Generated) -> None:
    _, practitioners = generated
    person = next(p for p in practitioners if any(pl.adapter for pl in p.places))
    cards = {c.place_id: c for c in OfferDirectory(stored).practitioner_places(person.idnps)}
    for place in person.places:
        card = cards[place.id]
        assert card.kind is OfferKind.PRACTITIONER
        assert card.name == person.name
        assert card.specialties == person.specialties
        assert card.adapter == place.adapter
        assert card.connected == (place.adapter is not None)
        assert card.modalities == place.modalities
        assert card.participates == person.participation.participates
        assert card.surnumeraire == person.participation.surnumeraire
        assert (card.address.postal_code, card.insee) == (place.postal_code, place.insee)


def test_stats_count_the_directory(stored: Engine, generated: Generated) -> None:
    structures, practitioners = generated
    stats = OfferDirectory(stored).stats()
    assert stats.practitioners == len(practitioners)
    assert sum(stats.structures.values()) == len(structures)
    places = sum(len(p.places) for p in practitioners) + sum(len(s.places) for s in structures)
    assert stats.places == places == sum(v[0] for v in stats.by_departement.values())
    assert stats.participating_practitioners == sum(
        p.participation.participates for p in practitioners
    )
    connected = sum(
        pl.adapter is not None for o in (*practitioners, *structures) for pl in o.places
    )
    assert stats.connected_places == connected
    assert 0 < stats.connected_share < 0.5


QUERIES = [
    CandidateQuery((48.8566, 2.3522), 8, seed=11),
    CandidateQuery((48.8566, 2.3522), 8, seed=12),
    CandidateQuery((48.8566, 2.3522), 8, by_distance=True),
    CandidateQuery((45.764, 4.8357), 20, specialty="SM54", by_distance=True),
    CandidateQuery((45.764, 4.8357), 60, kinds=[OfferKind.STRUCTURE], seed=3),
    CandidateQuery((43.2965, 5.3698), 30, surnumeraire_only=True, seed=4),
]


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_the_database_ranks_as_the_search_does(stored: Engine, query: CandidateQuery) -> None:
    """The ranked pages are the search's order (`directory_rank`) of exactly the candidates of
    the circle, and pages put end to end give the same list."""
    directory = OfferDirectory(stored)
    everyone = directory.candidates(query.center, query.radius_km, specialty=query.specialty)
    answering = [
        c
        for c in everyone
        if (query.kinds is None or c.kind in query.kinds)
        and (c.surnumeraire or not query.surnumeraire_only)
    ]
    expected = sorted(answering, key=lambda c: directory_rank(query, c))
    assert len(expected) > 3
    assert directory.count(query) == len(expected)
    assert directory.ranked(query, limit=len(expected) + 10) == expected

    pages = [directory.ranked(query, offset=o, limit=7) for o in range(0, len(expected) + 7, 7)]
    assert [c for page in pages for c in page] == expected
    assert [c.participates for c in expected] == sorted(
        (c.participates for c in expected), reverse=True
    ), "participants first"


def test_excluded_offers_and_the_places_a_search_lists(stored: Engine) -> None:
    directory = OfferDirectory(stored)
    query = CandidateQuery((48.8566, 2.3522), 5, seed=1)
    first = directory.ranked(query, limit=20)
    left_out = frozenset({first[0].id, first[3].id})
    without = directory.ranked(
        CandidateQuery((48.8566, 2.3522), 5, seed=1, exclude=left_out), limit=18
    )
    kept = [c for c in first if c.id not in left_out]
    assert without[: len(kept)] == kept
    assert not left_out & {c.id for c in without}

    listed = directory.places_in(query, {c.id for c in first})
    assert listed.keys() == {c.id for c in first}
    everyone = directory.candidates(query.center, query.radius_km)
    for offer, places in listed.items():
        assert places == {c.place_id for c in everyone if c.id == offer}

    shown = directory.offer_places([(c.id, c.place_id) for c in first[:5]])
    assert {(c.id, c.place_id, c.name) for c in shown} == {
        (c.id, c.place_id, c.name) for c in first[:5]
    }
    assert directory.offer_places([]) == []


def test_a_page_is_refused_a_bad_radius_specialty_or_page(stored: Engine) -> None:
    directory = OfferDirectory(stored)
    with pytest.raises(ValueError, match="out of range"):
        directory.ranked(CandidateQuery((48.85, 2.35), 0), limit=5)
    with pytest.raises(UnknownSpecialty):
        directory.count(CandidateQuery((48.85, 2.35), 5, specialty="SM99"))
    with pytest.raises(ValueError, match="page"):
        directory.ranked(CandidateQuery((48.85, 2.35), 5), offset=-1, limit=5)


@pytest.mark.parametrize(
    "centre", [(48.8566, 2.3522), (-21.1151, 55.5364), (51.05, 2.37), (4.93, -52.33)]
)
@pytest.mark.parametrize("radius", [0.5, 5.0, 50.0, 500.0])
def test_the_inscribed_box_is_inside_the_circle(centre: tuple[float, float], radius: float) -> None:
    """The places of the inscribed box skip the exact test: every point of it is in the circle."""
    box = inscribed_box(centre, radius)
    corners = [(lat, lon) for lat in (box.south, box.north) for lon in (box.west, box.east)]
    assert all(haversine_km(centre, corner) < radius for corner in corners)
    assert box.north - box.south > 1.2 * radius / 111.2, "not needlessly small"
