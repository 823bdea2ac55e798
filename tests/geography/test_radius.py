"""Search radii: ANS's table when the operator provides it, the documented fallbacks otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from sas_core.geography.distances import haversine_km
from sas_core.geography.gazetteer import Gazetteer
from sas_core.geography.models import GeocodeResult, PlaceKind
from sas_core.geography.query import geocode_offline
from sas_core.geography.radius import (
    DEFAULT_CITY_RADIUS_KM,
    NoRadiusTable,
    OfficialRadiusTable,
    RadiusTableError,
    load_radius_table,
)
from sas_core.geography.search_area import search_area
from sas_core.settings import load_settings

HEADER = (
    "code,label,territory name,region,area,countyRadius,barycentreCityLat,barycentreCityLon,"
    "cityDefaultRadius,enlargementValue\n"
)


def write_table(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "radii.csv"
    path.write_text(header + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


def test_the_sheet_codes_are_read_as_insee_codes(tmp_path: Path) -> None:
    table = OfficialRadiusTable.from_csv(
        write_table(
            tmp_path,
            "4,Alpes,SAS-04,PACA,6925,118,44.1,6.2,50,25",
            "20A,Corse-du-Sud,SAS-20A,Corse,4014,109,41.86,8.99,30,15",
            "976,Mayotte,SAS-976,Mayotte,0,0,0,0,0,0",
        )
    )
    assert (table.city_radius_km("04"), table.county_radius_km("04")) == (50, 118)
    assert table.barycentre("2A") == (41.86, 8.99)
    # 0 is the sheet's "not filled": the fallback applies.
    assert (table.city_radius_km("976"), table.county_radius_km("976")) == (None, None)
    assert table.barycentre("976") is None
    assert table.city_radius_km("93") is None  # not in the file


@pytest.mark.parametrize(
    ("header", "row", "said"),
    [
        ("code,label\n", "93,Seine-Saint-Denis", "missing column(s) countyRadius"),
        (HEADER, "20,Corse,SAS-20,Corse,0,1,1,1,1,1", "line 2: code '20' is not a département"),
        (HEADER, "93,S,SAS-93,IDF,236,22,48.9,2.4,-5,3", "line 2: '-5' is not a distance"),
        (HEADER, "93,S,SAS-93,IDF,236,22,north,2.4,5,3", "line 2: barycentre"),
    ],
)
def test_a_wrong_table_is_refused_with_its_line(
    tmp_path: Path, header: str, row: str, said: str
) -> None:
    with pytest.raises(RadiusTableError, match=said.replace("(", r"\(").replace(")", r"\)")):
        OfficialRadiusTable.from_csv(write_table(tmp_path, row, header=header))


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RadiusTableError, match="cannot be read"):
        load_radius_table(tmp_path / "absent.csv")


def test_without_a_table_the_fallbacks_apply(gazetteer: Gazetteer) -> None:
    city = search_area(geocode_offline("Bobigny", gazetteer), NoRadiusTable())
    assert (city.territory, city.radius_km) == ("SAS-93", DEFAULT_CITY_RADIUS_KM)
    departement = search_area(geocode_offline("93", gazetteer), NoRadiusTable())
    centre = gazetteer.departements["93"]
    assert (departement.lat, departement.lon) == (centre.lat, centre.lon)
    assert departement.radius_km == centre.radius_km


def test_a_plugins_answer_gets_the_platforms_radius(tmp_path: Path) -> None:
    table = OfficialRadiusTable.from_csv(
        write_table(tmp_path, "93,S,SAS-93,IDF,236,22,48.9175,2.478,5,3")
    )
    place = GeocodeResult(
        lat=48.9, lon=2.44, kind=PlaceKind.ADDRESS, departement="93", label="x", source="ban"
    )
    area = search_area(place, table)
    assert (area.lat, area.lon, area.territory, area.radius_km) == (48.9, 2.44, "SAS-93", 5)


def test_the_official_table_through_the_setting(
    gazetteer: Gazetteer, official_radius_table: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAS_RADIUS_TABLE", str(official_radius_table))
    table = load_radius_table(load_settings().radius_table)
    paris = search_area(geocode_offline("75015 Paris", gazetteer), table)
    assert (paris.territory, paris.radius_km) == ("SAS-75", 5)
    gironde = search_area(geocode_offline("33", gazetteer), table)
    assert (gironde.territory, gironde.radius_km) == ("SAS-33", 143)
    assert (gironde.lat, gironde.lon) == pytest.approx((44.82527778, -0.575277778))
    # Not filled in the sheet (Mayotte): the fallbacks.
    mayotte = search_area(geocode_offline("976", gazetteer), table)
    assert mayotte.radius_km == gazetteer.departements["976"].radius_km
    assert search_area(geocode_offline("Mamoudzou", gazetteer), table).radius_km == 10


def test_the_gazetteers_departement_centres_are_near_the_official_barycentres(
    gazetteer: Gazetteer, official_radius_table: Path
) -> None:
    """The fallback centres (area-weighted centroids) against ANS's barycentres, where filled."""
    table = OfficialRadiusTable.from_csv(official_radius_table)
    gaps = {
        code: haversine_km(official, (place.lat, place.lon))
        for code, place in gazetteer.departements.items()
        if (official := table.barycentre(code)) is not None
    }
    assert len(gaps) >= 95
    assert sorted(gaps.values())[len(gaps) // 2] < 0.5
    assert max(gaps.values()) < 5, max(gaps.items(), key=lambda item: item[1])


def test_the_gazetteers_covering_radius_is_never_wider_than_the_official_one(
    gazetteer: Gazetteer, official_radius_table: Path
) -> None:
    """ANS's countyRadius keeps a margin over the circle that just covers the département."""
    table = OfficialRadiusTable.from_csv(official_radius_table)
    for code, place in gazetteer.departements.items():
        official = table.county_radius_km(code)
        if official is not None:
            assert place.radius_km is not None and place.radius_km <= official, code


def test_setting_left_empty_means_no_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAS_RADIUS_TABLE", "")
    assert load_settings().radius_table is None
