"""The generator: deterministic, realistic enough, and in step with the simulator's vendors."""

from __future__ import annotations

from sas_core.geography.gazetteer import Gazetteer
from sas_core.offer.agendas import PLACE_ID_SYSTEM
from sas_core.offer.models import DirectoryPractitioner, DirectoryStructure, StructureKind
from sas_core.offer.nomenclature import PROFESSIONS, SPECIALTIES
from sas_core.offer.synthetic import _SPECIALISTS, DEMO_AGENDAS, generate_directory
from sas_core.registry.files import read_files
from sas_simulator.dataset import build_dataset
from sas_simulator.demo import VENDORS
from tests.conftest import REPO
from tests.offer.conftest import SEED, SIZE

Generated = tuple[tuple[DirectoryStructure, ...], tuple[DirectoryPractitioner, ...]]


def _materialised(seed: int, size: int, gazetteer: Gazetteer) -> Generated:
    directory = generate_directory(seed, size, gazetteer)
    return directory.structures, tuple(directory.practitioners)


def test_same_seed_same_directory(gazetteer: Gazetteer, generated: Generated) -> None:
    assert _materialised(SEED, SIZE, gazetteer) == generated
    other = _materialised(SEED + 1, SIZE, gazetteer)
    demo = {p.idnps for p in other[1][:50]}
    assert {p.idnps for p in other[1]} - demo != {p.idnps for p in generated[1]} - demo


def test_the_demo_agendas_are_the_simulated_vendors() -> None:
    """`sas demo`'s vendors and the generator's demo part name the same seeds and sizes."""
    vendors = {v.name: v for v in VENDORS}
    for agendas in DEMO_AGENDAS:
        vendor = vendors[agendas.adapter]
        assert (vendor.seed, vendor.practitioners) == (agendas.seed, agendas.practitioners)
        assert vendor.by_structure == (agendas.serves == "sos")


def test_the_demo_registry_enables_the_adapters_the_directory_names() -> None:
    declared = set(read_files(REPO / "registry").adapters)
    named = {a.adapter for a in DEMO_AGENDAS}
    assert named <= declared


def test_every_agenda_a_simulated_vendor_serves_is_in_the_directory(
    generated: Generated,
) -> None:
    structures, practitioners = generated
    by_idnps = {p.idnps: p for p in practitioners}
    by_idnst = {s.idnst: s for s in structures}
    for agendas in DEMO_AGENDAS:
        dataset = build_dataset(agendas.seed, agendas.practitioners)
        if agendas.serves == "sos":
            for association in dataset.sos:
                found = by_idnst[association.idnst]
                assert found.kind is StructureKind.SOS
                assert {(p.id, p.adapter) for p in found.places} == {
                    (f"{PLACE_ID_SYSTEM}|{site.id}", agendas.adapter) for site in association.sites
                }
            continue
        for person in dataset.practitioners:
            found_person = by_idnps[person.idnps]
            assert found_person.specialties == person.specialties
            assert found_person.participation.participates
            assert [(p.id, p.adapter, p.latitude) for p in found_person.places] == [
                (f"{PLACE_ID_SYSTEM}|{p.id}", agendas.adapter, p.latitude) for p in person.places
            ]
            assert all(p.insee for p in found_person.places)
            assert found_person.participation.cpts == (person.cpts[0] if person.cpts else None)
        for cpts in dataset.cpts:
            found_cpts = by_idnst[cpts.idnst]
            assert found_cpts.kind is StructureKind.CPTS and found_cpts.zone_insee
            expected = agendas.adapter if agendas.serves_cpts else None
            assert {p.adapter for p in found_cpts.places} == {expected}


def test_the_synthetic_part_looks_like_france(generated: Generated) -> None:
    structures, practitioners = generated
    synthetic = practitioners[50:]
    assert len(synthetic) == SIZE
    assert {p.profession for p in synthetic} <= set(PROFESSIONS)
    assert set(_SPECIALISTS) <= set(SPECIALTIES)
    assert all(code in SPECIALTIES for p in synthetic for code in p.specialties)
    departements = {pl.insee[:2] for p in synthetic for pl in p.places if pl.insee}
    assert len(departements) > 60
    paris = sum(pl.insee.startswith("75") for p in synthetic for pl in p.places if pl.insee)
    lozere = sum(pl.insee.startswith("48") for p in synthetic for pl in p.places if pl.insee)
    assert paris > 10 * max(lozere, 1)
    share = sum(p.participation.participates for p in synthetic) / len(synthetic)
    assert 0.15 < share < 0.4
    places = [pl for p in synthetic for pl in p.places]
    connected = sum(pl.adapter is not None for pl in places) / len(places)
    assert 0.05 < connected < 0.3
    assert any(p.participation.surnumeraire for p in synthetic)
    assert any(pl.marketplace_url for pl in places)
    kinds = {s.kind for s in structures}
    assert kinds == {StructureKind.CPTS, StructureKind.SOS, StructureKind.MSP, StructureKind.CDS}
    zones = [insee for s in structures for insee in s.zone_insee]
    ids = [p.idnps for p in practitioners] + [s.idnst for s in structures]
    assert len(set(ids)) == len(ids)
    synthetic_zones = [
        insee
        for s in structures
        if not s.places[0].id.startswith(PLACE_ID_SYSTEM)
        for insee in s.zone_insee
    ]
    assert len(set(synthetic_zones)) == len(synthetic_zones), "synthetic CPTS zones overlap"
    assert zones
