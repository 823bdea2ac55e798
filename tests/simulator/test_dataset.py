"""The seeded dataset: deterministic, shaped as its JSON contract says, and rich enough."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from sas_core.identifiers import parse_idnst
from sas_core.slots.models import AppointmentType, Modality, SlotType
from sas_simulator.dataset import PARIS, Dataset, build_dataset

from .conftest import practitioner_with_places

NOW = datetime(2025, 3, 10, 13, 37, tzinfo=PARIS)


def test_same_seed_same_dataset() -> None:
    assert build_dataset(7, 12, now=NOW).as_json() == build_dataset(7, 12, now=NOW).as_json()


def test_other_seed_other_practitioners() -> None:
    first = {p.idnps for p in build_dataset(1, now=NOW).practitioners}
    second = {p.idnps for p in build_dataset(2, now=NOW).practitioners}
    assert first != second


def test_practitioners_and_places_do_not_depend_on_the_time() -> None:
    """`sas simulator dataset` and a later `serve` describe the same people and places."""
    early = build_dataset(now=NOW)
    later = build_dataset(now=NOW + timedelta(hours=30))
    assert early.practitioners == later.practitioners


def test_slots_cover_four_days_from_the_hour_between_8_and_20_paris() -> None:
    data = build_dataset(now=NOW)
    assert data.anchor == datetime(2025, 3, 10, 13, 0, tzinfo=PARIS)
    slots = [s for schedule in data.schedules for s in schedule.slots]
    assert slots
    for slot in slots:
        local_start, local_end = slot.start.astimezone(PARIS), slot.end.astimezone(PARIS)
        assert data.anchor <= slot.start < data.anchor + timedelta(days=4)
        assert local_start.hour >= 8
        assert local_end <= local_start.replace(hour=20, minute=0)
        assert slot.end - slot.start in {timedelta(minutes=m) for m in (15, 20, 30)}
    assert max(s.start for s in slots) > data.anchor + timedelta(days=3)
    assert {s.free for s in slots} == {True, False}


def test_json_contract_shape(dataset: Dataset) -> None:
    data = dataset.as_json()
    assert data["seed"] == 42
    # The 10 seeded practitioners, then the 3 of the acceptance scenarios.
    assert len(data["practitioners"]) == 10 + 3
    for person in data["practitioners"]:
        assert re.fullmatch(r"8[0-9]{11}", person["idnps"])
        assert person["family"] and person["given"]
        assert person["specialties"] and all(
            re.fullmatch(r"SM\d\d", s) for s in person["specialties"]
        )
        assert 1 <= len(person["places"]) <= 3
        assert person["free_slots"] == sum(p["free_slots"] for p in person["places"])
        for place in person["places"]:
            assert place["id"] and place["name"] and place["line"] and place["city"]
            assert re.fullmatch(r"[0-9]{5}", place["postal_code"])
            assert 41 < place["latitude"] < 52 and -5 < place["longitude"] < 10
            assert re.fullmatch(r"1[0-9]{9}|3[0-9]{14}|4[0-9]{14}", place["structure"])
            assert parse_idnst(place["structure"]).value == place["structure"]
            assert re.fullmatch(r"\+33[1-9][0-9]{8}", place["phone"])


def test_identifiers_are_unique(dataset: Dataset) -> None:
    idnps = [p.idnps for p in dataset.practitioners]
    assert len(set(idnps)) == len(idnps)
    assert len({s.id for s in dataset.schedules}) == len(dataset.schedules)
    slot_ids = [slot.id for s in dataset.schedules for slot in s.slots]
    assert len(set(slot_ids)) == len(slot_ids)


@pytest.mark.parametrize("places", [1, 2])
def test_default_dataset_has_one_and_two_place_practitioners_free_within_48_hours(
    dataset: Dataset, places: int
) -> None:
    person = practitioner_with_places(dataset, places)
    horizon = dataset.anchor + timedelta(hours=48)
    for schedule in dataset.schedules_of(person):
        assert any(s.start < horizon for s in schedule.free_slots), schedule.id


def test_every_slot_kind_appears(dataset: Dataset) -> None:
    slots = [slot for s in dataset.schedules for slot in s.slots if slot.free]
    assert {t for s in slots for t in s.slot_types} == {SlotType.PUBLIC, SlotType.PRO, SlotType.SNP}
    assert any(len(s.slot_types) > 1 for s in slots)
    assert {m for s in slots for m in s.modalities} == set(Modality)
    assert {s.appointment_type for s in slots} == set(AppointmentType)
    assert any(s.reasons for s in slots)
    assert any(len(p.places) >= 3 for p in dataset.practitioners)


def test_at_least_one_practitioner_is_required() -> None:
    with pytest.raises(ValueError, match="at least one"):
        build_dataset(practitioners=0)
