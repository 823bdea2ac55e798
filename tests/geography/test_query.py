"""Query understanding against the real gazetteer: what a regulator types, what is found."""

from __future__ import annotations

import pytest

from sas_core.geography.distances import haversine_km
from sas_core.geography.gazetteer import Gazetteer
from sas_core.geography.models import AmbiguousPlace, PlaceKind, PlaceNotFound
from sas_core.geography.query import ParsedQuery, geocode_offline, parse_query

#: Town halls, to check that centres land in the right commune (a commune's centroid is within
#: a few km of its town hall; Paris's arrondissements are smaller).
BOBIGNY = (48.9086, 2.4397)
PARIS_2E = (48.8686, 2.3418)


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        ("75015 Paris", ParsedQuery("75015 Paris", postcode="75015", city="Paris")),
        ("Paris 75015", ParsedQuery("Paris 75015", postcode="75015", city="Paris")),
        ("Bobigny", ParsedQuery("Bobigny", city="Bobigny")),
        (" 2a ", ParsedQuery("2a", departement="2A")),
        ("5", ParsedQuery("5", departement="05")),
        (
            "12 rue de la Paix, 75002 Paris",
            ParsedQuery("12 rue de la Paix, 75002 Paris", "12 rue de la Paix", "75002", "Paris"),
        ),
        (
            "12 bis avenue Jean Jaurès 93000 Bobigny, France",
            ParsedQuery(
                "12 bis avenue Jean Jaurès 93000 Bobigny, France",
                "12 bis avenue Jean Jaurès",
                "93000",
                "Bobigny",
            ),
        ),
        ("rue de la Paix 75002", ParsedQuery("rue de la Paix 75002", "rue de la Paix", "75002")),
        ("Saint-Denis (974)", ParsedQuery("Saint-Denis", city="Saint-Denis", departement="974")),
        ("Saint-Denis, 93", ParsedQuery("Saint-Denis, 93", city="Saint-Denis", departement="93")),
    ],
)
def test_parts_of_a_query(typed: str, parsed: ParsedQuery) -> None:
    assert parse_query(typed) == parsed


def test_postcode_and_city_give_the_arrondissement(gazetteer: Gazetteer) -> None:
    result = geocode_offline("75015 Paris", gazetteer)
    assert (result.kind, result.insee, result.postcode, result.departement) == (
        PlaceKind.POSTCODE,
        "75115",
        "75015",
        "75",
    )


def test_a_commune_alone(gazetteer: Gazetteer) -> None:
    result = geocode_offline("Bobigny", gazetteer)
    assert (result.kind, result.insee, result.departement) == (PlaceKind.CITY, "93008", "93")
    assert haversine_km((result.lat, result.lon), BOBIGNY) < 2


def test_a_name_several_communes_bear_is_not_guessed(gazetteer: Gazetteer) -> None:
    with pytest.raises(AmbiguousPlace) as caught:
        geocode_offline("Saint-Denis", gazetteer)
    codes = {c.insee for c in caught.value.candidates}
    assert {"93066", "97411", "11339"} <= codes
    assert "add the postcode or the département" in str(caught.value)


@pytest.mark.parametrize(
    ("typed", "insee"),
    [
        ("Saint-Denis (93)", "93066"),
        ("Saint-Denis (974)", "97411"),
        ("93200 Saint-Denis", "93066"),
        ("saint denis, 974", "97411"),
        ("Saint-Denis 93", "93066"),
    ],
)
def test_the_postcode_or_the_departement_settles_an_ambiguous_name(
    gazetteer: Gazetteer, typed: str, insee: str
) -> None:
    assert geocode_offline(typed, gazetteer).insee == insee


@pytest.mark.parametrize(
    ("typed", "name"),
    [("93", "Seine-Saint-Denis"), ("2A", "Corse-du-Sud"), ("974", "La Réunion")],
)
def test_a_departement_code(gazetteer: Gazetteer, typed: str, name: str) -> None:
    result = geocode_offline(typed, gazetteer)
    assert (result.kind, result.departement, result.insee) == (PlaceKind.DEPARTEMENT, typed, None)
    assert result.label.startswith(name)


def test_a_departement_name(gazetteer: Gazetteer) -> None:
    result = geocode_offline("Seine-Saint-Denis", gazetteer)
    assert (result.kind, result.departement) == (PlaceKind.DEPARTEMENT, "93")


def test_an_address_is_located_at_its_commune_and_says_so(gazetteer: Gazetteer) -> None:
    result = geocode_offline("12 rue de la Paix, 75002 Paris", gazetteer)
    assert (result.kind, result.insee, result.postcode) == (PlaceKind.ADDRESS, "75102", "75002")
    assert result.label.startswith("12 rue de la Paix, 75002 Paris")
    assert result.note is not None and "online geocoder" in result.note
    assert haversine_km((result.lat, result.lon), PARIS_2E) < 1


def test_an_address_without_comma_finds_its_commune_at_the_end(gazetteer: Gazetteer) -> None:
    result = geocode_offline("3 place de la Libération Bobigny", gazetteer)
    assert (result.kind, result.insee) == (PlaceKind.ADDRESS, "93008")


@pytest.mark.parametrize(
    "typed",
    ["saint-etienne", "ST ETIENNE", "Saint Étienne", "st-étienne", "SAINT-ÉTIENNE"],
)
def test_accents_case_hyphens_and_abbreviations(gazetteer: Gazetteer, typed: str) -> None:
    assert geocode_offline(typed, gazetteer).insee == "42218"


@pytest.mark.parametrize(
    ("typed", "insee"),
    [
        ("Ste Maxime", "83115"),
        ("havre", "76351"),
        ("Le Havre", "76351"),
        ("L'Haÿ-les-Roses", "94038"),
    ],
)
def test_articles_and_sainte(gazetteer: Gazetteer, typed: str, insee: str) -> None:
    assert geocode_offline(typed, gazetteer).insee == insee


@pytest.mark.parametrize(
    ("typed", "insee"),
    [
        ("Paris 8e", "75108"),
        ("paris 08", "75108"),
        ("Paris 1er arrondissement", "75101"),
        ("75116 Paris", "75116"),
        ("Lyon 3", "69383"),
        ("69003 Lyon", "69383"),
        ("Marseille 13e", "13213"),
        ("13001 Marseille", "13201"),
        ("Paris", "75056"),
    ],
)
def test_arrondissements_of_paris_lyon_and_marseille(
    gazetteer: Gazetteer, typed: str, insee: str
) -> None:
    assert geocode_offline(typed, gazetteer).insee == insee


def test_a_former_commune_inside_its_commune_nouvelle(gazetteer: Gazetteer) -> None:
    result = geocode_offline("22100 Léhon", gazetteer)
    assert (result.insee, result.departement) == ("22123", "22")


def test_a_postcode_shared_by_several_communes_is_their_mean_centre(gazetteer: Gazetteer) -> None:
    result = geocode_offline("27950", gazetteer)
    communes = gazetteer.by_postcode["27950"]
    assert len(communes) > 1
    assert (result.kind, result.insee, result.postcode) == (PlaceKind.POSTCODE, None, "27950")
    assert all(haversine_km((result.lat, result.lon), (c.lat, c.lon)) < 15 for c in communes)


def test_an_unknown_locality_with_a_known_postcode_falls_back_on_the_postcode(
    gazetteer: Gazetteer,
) -> None:
    result = geocode_offline("93000 Lieu-dit Inconnu", gazetteer)
    assert (result.insee, result.kind) == ("93008", PlaceKind.POSTCODE)
    assert result.note is not None and "postcode alone" in result.note


@pytest.mark.parametrize("typed", ["93012 Bobigny Cedex", "93012 BOBIGNY CEDEX 2", "99999 Bobigny"])
def test_an_unknown_postcode_leaves_the_commune_to_say_where(
    gazetteer: Gazetteer, typed: str
) -> None:
    result = geocode_offline(typed, gazetteer)
    assert (result.insee, result.kind) == ("93008", PlaceKind.CITY)
    assert result.note is not None and "is unknown" in result.note


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("", "the place is empty"),
        ("   ", "the place is empty"),
        ("Trifouillis-les-Oies", "no commune or département is named 'Trifouillis-les-Oies'"),
        ("99999 Trifouillis", "99999 is not the postcode of any commune"),
        ("75002 Lyon", "'Lyon' is not a commune of postcode 75002"),
        ("975", "'975' is not the code of a département"),
        ("Bobigny (13)", "no commune named 'Bobigny' in département 13"),
    ],
)
def test_what_is_not_found_says_what_was_understood(
    gazetteer: Gazetteer, typed: str, said: str
) -> None:
    with pytest.raises(PlaceNotFound, match=said.replace("(", r"\(")):
        geocode_offline(typed, gazetteer)
