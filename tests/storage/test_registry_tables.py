"""The registry's tables on SQLite and PostgreSQL: an edit and its audit rows, the rules the
database itself enforces, and Corsica's territory codes migrated to their official form."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from sas_core.registry.models import (
    AdapterChange,
    AdapterState,
    Assignment,
    AssignmentChange,
    DeclaredAdapter,
)
from sas_core.storage import upgrade
from sas_core.storage.accounts import RegulatorRow
from sas_core.storage.registry import audit_entries, editing_registry, read_registry
from sas_core.storage.schema import alembic_config

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
VENDOR = DeclaredAdapter("vendor-a", "sas-fhir", 7.0, {"client_key": "env:VENDOR_A_KEY"})


def test_an_edit_is_stored_with_its_audit_rows(migrated: Engine) -> None:
    placed = Assignment("SAS-33", "vendor-a", True, AdapterState.ONBOARDING)
    with editing_registry(migrated) as editor:
        assert editor.current.adapters == {}
        editor.write(
            [AdapterChange(None, VENDOR), AssignmentChange(None, placed)],
            at=NOW,
            actor="alice",
            reason="new vendor",
        )
    registry = read_registry(migrated)
    assert registry.adapters == {"vendor-a": VENDOR}
    assert registry.in_territory("SAS-33") == [placed]

    suspended = placed.moved_to(AdapterState.CONNECTED_TEST).moved_to(AdapterState.SUSPENDED)
    with editing_registry(migrated) as editor:
        editor.write([AssignmentChange(placed, suspended)], at=NOW, actor="bob", reason=None)
    assert read_registry(migrated).in_territory("SAS-33") == [suspended]

    newest, *_, oldest = audit_entries(migrated)
    assert (oldest.action, oldest.actor, oldest.reason) == ("declare", "alice", "new vendor")
    assert oldest.after == {"plugin": "sas-fhir", "timeout_s": 7.0, "settings": VENDOR.settings}
    assert newest.action == "state" and newest.actor == "bob"
    assert newest.before == {"enabled": True, "state": "onboarding", "suspended_from": None}
    assert newest.after == {
        "enabled": True,
        "state": "suspended",
        "suspended_from": "connected-test",
    }
    assert [e.action for e in audit_entries(migrated, territory="SAS-33")] == ["state", "enable"]
    assert len(audit_entries(migrated, adapter="vendor-a", limit=2)) == 2


def test_an_exception_inside_an_edit_changes_nothing(migrated: Engine) -> None:
    with pytest.raises(RuntimeError), editing_registry(migrated) as editor:
        editor.write([AdapterChange(None, VENDOR)], at=NOW, actor="alice", reason=None)
        raise RuntimeError("refused after the first write")
    assert read_registry(migrated).adapters == {}
    assert audit_entries(migrated) == []


def test_the_database_refuses_an_assignment_without_its_adapter(migrated: Engine) -> None:
    orphan = Assignment("SAS-33", "nobody", True, AdapterState.ONBOARDING)
    with pytest.raises(IntegrityError), editing_registry(migrated) as editor:
        editor.write([AssignmentChange(None, orphan)], at=NOW, actor="alice", reason=None)


def test_corsica_is_migrated_to_its_official_codes_and_back(migrated: Engine) -> None:
    config = alembic_config()
    with migrated.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "7d41c2a9e5f3")
    ids = {code: uuid.uuid4() for code in ("SAS-2A", "SAS-2B", "SAS-33")}
    with migrated.begin() as connection:
        connection.execute(
            insert(RegulatorRow),
            [
                {"id": rid, "family": "F", "given": "G", "email": f"{code}@test.fr",
                 "active": True, "territory": code, "created_at": NOW, "updated_at": NOW}
                for code, rid in ids.items()
            ],
        )  # fmt: skip

    def territories() -> list[str]:
        with migrated.connect() as connection:
            rows = connection.execute(text("SELECT territory FROM regulators"))
            return sorted(r[0] for r in rows)

    upgrade(migrated)
    assert territories() == ["SAS-20A", "SAS-20B", "SAS-33"]
    with migrated.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "7d41c2a9e5f3")
    assert territories() == ["SAS-2A", "SAS-2B", "SAS-33"]
