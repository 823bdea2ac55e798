"""CPTS and SOS Médecins in the dataset: the guarantees of the default one and the JSON contract."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta

from sas_core.slots.models import SlotType
from sas_simulator.dataset import PARIS, WEEKDAYS, Dataset, build_dataset

NOW = datetime(2025, 3, 10, 13, 37, tzinfo=PARIS)


def test_structures_do_not_change_the_practitioners() -> None:
    """Cassettes and demos rely on the practitioners, places and slot draws of before."""
    plain = build_dataset(now=NOW, cpts=0, sos=0, acceptance=False)
    full = build_dataset(now=NOW, acceptance=False)
    assert [dataclasses.replace(p, cpts=()) for p in full.practitioners] == list(
        plain.practitioners
    )
    for mine, theirs in zip(full.schedules, plain.schedules, strict=True):
        assert [dataclasses.replace(s, cpts=()) for s in mine.slots] == list(theirs.slots)


def test_same_options_same_structures() -> None:
    assert (
        build_dataset(3, 7, now=NOW, cpts=4, sos=3).as_json()
        == build_dataset(3, 7, now=NOW, cpts=4, sos=3).as_json()
    )


def test_default_dataset_guarantees(dataset: Dataset) -> None:
    horizon = dataset.anchor + timedelta(hours=48)
    assert len(dataset.cpts) >= 2 and len(dataset.sos) >= 2
    assert any(not p.cpts for p in dataset.practitioners)
    assert all(not p.cpts for p in dataset.practitioners[:3]), "the INT_R01 demo practitioners"
    # A practitioner in two CPTS, with a free slot visible to both within 48 hours.
    member = next(p for p in dataset.practitioners if len(p.cpts) >= 2)
    both = [
        s
        for schedule in dataset.schedules_of(member)
        for s in schedule.free_slots
        if len(s.cpts) >= 2 and s.start < horizon
    ]
    assert both and all(SlotType.CPTS in s.security_types for s in both)
    # An association with two sites, each with free slots within 48 hours.
    two_sites = next(a for a in dataset.sos if len(a.sites) == 2)
    for schedule in dataset.site_schedules_of(two_sites):
        assert any(s.start < horizon for s in schedule.free_slots), schedule.id


def test_cpts_slots_belong_to_the_members_cpts(dataset: Dataset) -> None:
    for person in dataset.practitioners:
        for schedule in dataset.schedules_of(person):
            for slot in schedule.slots:
                assert set(slot.cpts) <= set(person.cpts)
                assert (SlotType.CPTS in slot.security_types) == bool(slot.cpts)
                assert SlotType.CPTS not in slot.slot_types


def test_sos_slots(dataset: Dataset) -> None:
    slots = [s for schedule in dataset.site_schedules for s in schedule.slots]
    assert {t for s in slots for t in s.security_types} == {SlotType.PUBLIC, SlotType.SNP}
    for schedule in dataset.site_schedules:
        for slot in schedule.slots:
            opening = schedule.site.opening_on(slot.start.date())
            assert opening is not None
            assert opening.opening <= slot.start.time() and slot.end.time() <= opening.closing


def test_json_contract(dataset: Dataset) -> None:
    data = dataset.as_json()
    idnps = {p["idnps"] for p in data["practitioners"]}
    cpts = [s for s in data["structures"] if s["kind"] == "cpts"]
    sos = [s for s in data["structures"] if s["kind"] == "sos"]
    assert len(cpts) + len(sos) == len(data["structures"])
    assert len({s["idnst"] for s in data["structures"]}) == len(data["structures"])
    for person in data["practitioners"]:
        assert isinstance(person["cpts"], list)
        assert set(person["cpts"]) <= {c["idnst"] for c in cpts}
    for community in cpts:
        assert re.fullmatch(r"1[0-9]{9}", community["idnst"])
        assert community["name"] and re.fullmatch(r"\+33[1-9][0-9]{8}", community["phone"])
        assert community["healthcare_service"]
        assert set(community["members"]) <= idnps
        members = [p for p in data["practitioners"] if community["idnst"] in p["cpts"]]
        assert community["members"] == [p["idnps"] for p in members]
    for association in sos:
        assert re.fullmatch(r"3[0-9]{14}", association["idnst"])
        assert association["name"] and association["phone"].startswith("+33")
        assert 1 <= len(association["sites"]) <= 3
        assert association["free_slots"] == sum(s["free_slots"] for s in association["sites"])
        for site in association["sites"]:
            assert site["id"] and site["name"] and site["line"] and site["city"]
            assert re.fullmatch(r"[0-9]{5}", site["postal_code"])
            assert site["hours"]
            for hours in site["hours"]:
                assert set(hours["days"]) <= set(WEEKDAYS)
                assert re.fullmatch(r"\d\d:\d\d:\d\d", hours["opening"])


def test_no_structures_when_asked_for_none() -> None:
    data = build_dataset(now=NOW, cpts=0, sos=0, acceptance=False).as_json()
    assert data["structures"] == []
    assert all(p["cpts"] == [] for p in data["practitioners"])
