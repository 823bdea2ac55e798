"""A database error never carries a regulator's national id into the log: no bound parameters
(`hide_parameters`), no PostgreSQL DETAIL line quoting the row."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sas_core.storage.accounts import RegulatorRow

RPPS = "810000000000"


def regulator_row(email: str) -> RegulatorRow:
    now = datetime.now(UTC)
    return RegulatorRow(
        id=uuid.uuid4(),
        national_id=RPPS,
        family="Martin",
        given="Claire",
        email=email,
        active=True,
        territory="SAS-33",
        created_at=now,
        updated_at=now,
    )


def test_a_failing_insert_logs_no_national_id(
    migrated: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    # INFO everywhere, as `sas -v` sets it: SQLAlchemy then logs each statement too.
    caplog.set_level(logging.INFO)
    with Session(migrated) as session, session.begin():
        session.add(regulator_row("claire.martin@sas.example"))
    with pytest.raises(IntegrityError) as raised, Session(migrated) as session, session.begin():
        session.add(regulator_row("c.martin@sas.example"))
    logging.getLogger("tests.storage").error("the insert failed", exc_info=raised.value)
    assert "the insert failed" in caplog.text
    assert "IntegrityError" in caplog.text
    assert RPPS not in caplog.text
    assert RPPS not in str(raised.value)
