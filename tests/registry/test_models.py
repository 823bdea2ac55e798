"""The lifecycle of an adapter in a territory: which moves are allowed, and what a change says."""

from __future__ import annotations

import pytest

from sas_core.registry.models import (
    AdapterChange,
    AdapterState,
    Assignment,
    AssignmentChange,
    DeclaredAdapter,
    RegistryStateError,
)

ONBOARDING, TEST, PRODUCTION, SUSPENDED = AdapterState


def at(state: AdapterState, suspended_from: AdapterState | None = None) -> Assignment:
    return Assignment("SAS-33", "vendor-a", True, state, suspended_from)


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (at(ONBOARDING), TEST),
        (at(TEST), PRODUCTION),
        (at(TEST), ONBOARDING),
        (at(ONBOARDING), SUSPENDED),
        (at(TEST), SUSPENDED),
        (at(PRODUCTION), SUSPENDED),
        (at(SUSPENDED, PRODUCTION), PRODUCTION),
        (at(SUSPENDED, PRODUCTION), TEST),
        (at(SUSPENDED, PRODUCTION), ONBOARDING),
        (at(SUSPENDED, TEST), TEST),
        (at(SUSPENDED, ONBOARDING), ONBOARDING),
    ],
)
def test_legal_moves(start: Assignment, to: AdapterState) -> None:
    moved = start.moved_to(to)
    assert moved.state is to
    assert moved.suspended_from == (start.state if to is SUSPENDED else None)


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (at(ONBOARDING), PRODUCTION),
        (at(PRODUCTION), TEST),
        (at(PRODUCTION), ONBOARDING),
        (at(SUSPENDED, ONBOARDING), TEST),
        (at(SUSPENDED, TEST), PRODUCTION),
    ],
)
def test_illegal_moves_name_the_transition_and_the_rule(
    start: Assignment, to: AdapterState
) -> None:
    with pytest.raises(RegistryStateError) as caught:
        start.moved_to(to)
    message = str(caught.value)
    assert f"SAS-33 vendor-a: {start.state} → {to} is not allowed" in message
    assert "onboarding → connected-test → production" in message


def test_staying_put_is_no_move() -> None:
    assert at(PRODUCTION).moved_to(PRODUCTION) == at(PRODUCTION)


def test_only_an_enabled_adapter_in_test_or_production_is_called() -> None:
    assert at(TEST).live and at(PRODUCTION).live
    assert not at(ONBOARDING).live and not at(SUSPENDED, PRODUCTION).live
    assert not Assignment("SAS-33", "vendor-a", False, PRODUCTION).live


def test_changes_describe_themselves_and_name_their_audit_action() -> None:
    before = DeclaredAdapter("vendor-a", "sas-fhir", 7.0, {"base_url": "http://a/fhir"})
    after = DeclaredAdapter(
        "vendor-a", "sas-fhir", 3.0, {"base_url": "http://b/fhir", "client_key": "env:KEY"}
    )
    assert AdapterChange(None, before).describe() == (
        "+ adapter vendor-a: plugin sas-fhir, timeout 7 s, base_url=http://a/fhir"
    )
    assert AdapterChange(before, after).describe() == (
        "~ adapter vendor-a: timeout 7 s → 3 s; base_url http://a/fhir → http://b/fhir; "
        "client_key=env:KEY"
    )
    assert AdapterChange(before, after).action == "update"
    disabled = Assignment("SAS-33", "vendor-a", False, PRODUCTION)
    assert AssignmentChange(None, at(ONBOARDING)).action == "enable"
    assert AssignmentChange(at(PRODUCTION), disabled).action == "disable"
    assert AssignmentChange(at(PRODUCTION), disabled).describe() == "~ SAS-33 vendor-a: disabled"
    assert AssignmentChange(at(TEST), at(PRODUCTION)).action == "state"
    assert AssignmentChange(disabled, at(SUSPENDED, PRODUCTION)).action == "change"
    assert AssignmentChange(None, at(SUSPENDED, TEST)).describe() == (
        "+ SAS-33 vendor-a: enabled, suspended (from connected-test)"
    )
