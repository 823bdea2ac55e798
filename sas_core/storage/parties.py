"""The parties the platform knows, read from its own tables (`sas_core.appointments.parties`)."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.engine import Engine

from sas_core.identifiers import IDNPS_SYSTEM, SAS_TECHNICAL_SYSTEM
from sas_core.storage.accounts import RegulatorRow
from sas_core.storage.tables import FetchedSlot


class StoredParties:
    """Regulators are those of the `regulators` table (by national id or platform UUID).

    Until the offer directory exists (roadmap item 2), a practitioner is known when the platform
    has fetched slots of theirs: a vendor reporting an appointment with someone whose agenda the
    platform never saw is exactly what a person should look at.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def knows_regulator(self, system: str, value: str) -> bool:
        if system == IDNPS_SYSTEM:
            condition = RegulatorRow.national_id == value
        elif system == SAS_TECHNICAL_SYSTEM:
            try:
                condition = RegulatorRow.id == uuid.UUID(value)
            except ValueError:
                return False
        else:
            return False
        with self.engine.connect() as connection:
            return bool(connection.scalar(select(exists().where(condition))))

    def knows_practitioner(self, idnps: str) -> bool:
        with self.engine.connect() as connection:
            return bool(
                connection.scalar(select(exists().where(FetchedSlot.practitioner_idnps == idnps)))
            )
