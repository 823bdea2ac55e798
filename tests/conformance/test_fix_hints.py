"""Each element check catches the mistake the FAQ lists, and its fix hint names the element, what
was found, what the IG expects and the FAQ entry: the simulator's real answer, spoilt once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from sas_core.clock import PARIS
from sas_core.conformance import DEFAULT_RPPS, DEFAULT_SIRET, FixHint, Mode, catalogue
from sas_core.conformance.context import Context, Fail, default_window
from sas_core.conformance.probe import ClientTls, Deadline, Vendor
from sas_core.conformance.runner import RUNNERS
from sas_simulator.server import SimulatorServer

Bundle = dict[str, Any]
#: Every FAQ entry the catalogue names: a hint points to one of them.
FAQ_ENTRIES = {v for k, v in vars(catalogue).items() if k.startswith("FAQ_")}


@pytest.fixture
def context(sas_vendor: SimulatorServer) -> Iterator[Callable[[Mode], Context]]:
    vendors: list[Vendor] = []

    def make(mode: Mode) -> Context:
        vendor = Vendor(sas_vendor.base_url, ClientTls(), Deadline.start(30))
        vendors.append(vendor)
        window = default_window(datetime.now(PARIS))
        return Context(vendor, mode, DEFAULT_RPPS, DEFAULT_SIRET, window)

    yield make
    for vendor in vendors:
        vendor.close()


def resources(bundle: Bundle, kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def failure(ctx: Context, check_id: str, spoil: Callable[[Bundle], None]) -> list[FixHint]:
    """Spoil the answer the checks read, run one check, return its hints (it must fail)."""
    assert RUNNERS[check_id](ctx)  # passes on the simulator's own answer
    spoil(ctx.search().bundle)
    with pytest.raises(Fail) as failed:
        RUNNERS[check_id](ctx)
    hints = failed.value.hints
    assert hints and all(h.faq in FAQ_ENTRIES for h in hints)
    return hints


def unprefixed_rpps(bundle: Bundle) -> None:
    identifier = resources(bundle, "Practitioner")[0]["identifier"][0]
    identifier["value"] = identifier["value"][1:]


def local_phone(bundle: Bundle) -> None:
    resources(bundle, "PractitionerRole")[0]["telecom"][0]["value"] = "01 45 00 00 11"


def label_as_code(bundle: Bundle) -> None:
    resources(bundle, "Slot")[0]["specialty"][0]["coding"][0]["code"] = "Médecine générale"


def https_sas_fr(bundle: Bundle) -> None:
    slot = resources(bundle, "Slot")[0]
    slot["meta"]["profile"] = ["https://sas.fr/fhir/StructureDefinition/FrSlotAgregateur"]


def empty_name(bundle: Bundle) -> None:
    resources(bundle, "Practitioner")[0]["name"][0]["given"] = [""]


def no_booking_url(bundle: Bundle) -> None:
    del resources(bundle, "Slot")[0]["comment"]


def dangling_schedule(bundle: Bundle) -> None:
    resources(bundle, "Slot")[0]["schedule"]["reference"] = "Schedule/nowhere"


def utc_z(bundle: Bundle) -> None:
    slot = resources(bundle, "Slot")[0]
    slot["start"] = (
        datetime.fromisoformat(slot["start"]).astimezone().strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def no_profile(bundle: Bundle) -> None:
    del resources(bundle, "Schedule")[0]["meta"]


def bare_oid(bundle: Bundle) -> None:
    resources(bundle, "Practitioner")[0]["identifier"][0]["system"] = "1.2.250.1.71.4.2.1"


def one_place_only(bundle: Bundle) -> None:
    """The second place's PractitionerRole dropped: its Schedule points to the person only."""
    second = "role-ps-acc-1-pl-acc-2"
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"].get("id") != second]
    for schedule in resources(bundle, "Schedule"):
        schedule["actor"] = [a for a in schedule["actor"] if not a["reference"].endswith(second)]


@pytest.mark.parametrize(
    ("check_id", "spoil", "element", "found"),
    [
        ("ID-01", unprefixed_rpps, "identifier[0].value", "RPPS without its prefix 8"),
        ("ID-01", bare_oid, "identifier[0].system", "urn:oid:1.2.250.1.71.4.2.1"),
        ("TEL-01", local_phone, "telecom[0].value", "'01 45 00 00 11'"),
        ("SPEC-01", label_as_code, "specialty[0].coding[0].code", "'Médecine générale'"),
        (
            "PROF-02",
            https_sas_fr,
            "meta.profile[0]",
            "http://sas.fr/fhir/StructureDefinition/FrSlotAgregateur",
        ),
        ("PROF-01", no_profile, "meta.profile", "absent"),
        ("EMPTY-01", empty_name, "name[0].given[0]", "''"),
        ("URL-01", no_booking_url, "comment", "None"),
        ("SRCH-03", dangling_schedule, "schedule", "'Schedule/nowhere'"),
        ("DATE-01", utc_z, "start", "milliseconds and a numeric offset"),
        ("SRCH-04", one_place_only, "actor", "0 PractitionerRole"),
    ],
    ids=lambda v: v if isinstance(v, str) and "-" in v and len(v) < 9 else None,
)
def test_the_hint_names_element_found_expected_and_faq(
    context: Callable[[Mode], Context],
    check_id: str,
    spoil: Callable[[Bundle], None],
    element: str,
    found: str,
) -> None:
    hints = failure(context("ps"), check_id, spoil)

    hint = hints[0]
    assert hint.element.endswith(element), hint
    assert found in f"{hint.found} {hint.expected}", hint
    assert hint.faq in FAQ_ENTRIES, hint
    assert hint.expected


def test_a_slot_offered_through_one_cpts_only_is_caught(
    context: Callable[[Mode], Context],
) -> None:
    def one_cpts(bundle: Bundle) -> None:
        for slot in resources(bundle, "Slot"):
            slot["serviceType"] = [
                s for s in slot["serviceType"] if "cpts-acc-2" not in str(s.get("extension"))
            ]

    hints = failure(context("cpts"), "SCN-03", one_cpts)
    assert "two CPTS" in hints[0].expected


def test_the_idnst_type_follows_the_declared_ig_version(
    context: Callable[[Mode], Context],
) -> None:
    """The simulator declares IG 1.2.0: the CPTS Organization's IDNST typed the 1.1.0 way fails."""

    def typed_as_in_1_1_0(bundle: Bundle) -> None:
        for org in resources(bundle, "Organization"):
            org["identifier"][0]["type"]["coding"][0]["system"] = (
                "http://interopsante.org/fhir/CodeSystem/fr-location-identifier-type"
            )

    hints = failure(context("cpts"), "ID-02", typed_as_in_1_1_0)
    assert "IG 1.2.0" in hints[0].expected and "fr-core-cs-v2-0203" in hints[0].expected
