"""The territory registry's tables: declared adapters, their assignment to territories, and the
audit trail of every change.

The database holds the live registry; the TOML files of `registry/` are written from it and
applied to it. Settings are stored as the operator gave them once validated, a secret only as
its reference (`env:NAME`, `file:PATH`), so neither a copy of the database nor the audit trail
holds a secret. Edits are serialised (PostgreSQL advisory lock, SQLite write lock taken at
BEGIN): each one reads the registry, checks its rules against it, and writes in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from sas_core.registry.models import (
    AdapterChange,
    AdapterState,
    Assignment,
    AuditEntry,
    Change,
    DeclaredAdapter,
    Registry,
    SearchRadius,
)
from sas_core.storage.columns import JsonDocument
from sas_core.storage.engine import write_session
from sas_core.storage.tables import Base, BigId

#: Key of the PostgreSQL advisory lock that serialises registry edits ("SASREGIS" in ASCII).
EDIT_LOCK_KEY = 0x5341535245474953

_STATES = "('onboarding', 'connected-test', 'production', 'suspended')"
_ACTIONS = "('declare', 'update', 'enable', 'disable', 'state', 'change')"


class RegistryAdapterRow(Base):
    """An adapter declared once: its plugin, deadline and settings (secrets by reference)."""

    __tablename__ = "registry_adapters"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    plugin: Mapped[str] = mapped_column(String(200))
    timeout_s: Mapped[float] = mapped_column(Float)
    settings: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RegistryAssignmentRow(Base):
    """An adapter in a territory: enabled or not, and its lifecycle state there."""

    __tablename__ = "registry_assignments"
    __table_args__ = (
        CheckConstraint(f"state IN {_STATES}", name="state_known"),
        CheckConstraint(
            "(state = 'suspended' AND suspended_from IN "
            "('onboarding', 'connected-test', 'production'))"
            " OR (state <> 'suspended' AND suspended_from IS NULL)",
            name="suspended_from_set_when_suspended",
        ),
        Index("ix_registry_assignments_adapter", "adapter"),
    )

    territory: Mapped[str] = mapped_column(String(8), primary_key=True)
    adapter: Mapped[str] = mapped_column(
        ForeignKey("registry_adapters.name", ondelete="RESTRICT"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16))
    suspended_from: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime]


class RegistryAuditRow(Base):
    """Audit trail: one row per change — who, when, what (before/after, no secret), why."""

    __tablename__ = "registry_audit"
    __table_args__ = (
        CheckConstraint(f"action IN {_ACTIONS}", name="action_known"),
        Index("ix_registry_audit_at", "at"),
        Index("ix_registry_audit_territory_adapter", "territory", "adapter"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(10))
    territory: Mapped[str | None] = mapped_column(String(8))
    adapter: Mapped[str | None] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    after: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    reason: Mapped[str | None] = mapped_column(Text)


class RegistrySearchRadiusRow(Base):
    """A territory's own search radii (km), where it overrides ANS's table."""

    __tablename__ = "registry_search_radii"
    __table_args__ = (
        CheckConstraint(
            "(city_radius_km IS NULL OR city_radius_km > 0)"
            " AND (county_radius_km IS NULL OR county_radius_km > 0)",
            name="radii_positive",
        ),
    )

    territory: Mapped[str] = mapped_column(String(8), primary_key=True)
    city_radius_km: Mapped[float | None] = mapped_column(Float)
    county_radius_km: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime]


def read_search_radii(engine: Engine) -> dict[str, SearchRadius]:
    """Every territory's overridden radii, by territory."""
    with Session(engine) as session:
        return {
            row.territory: SearchRadius(row.territory, row.city_radius_km, row.county_radius_km)
            for row in session.scalars(select(RegistrySearchRadiusRow))
        }


def write_search_radius(engine: Engine, radius: SearchRadius, *, at: datetime) -> None:
    """Store a territory's radii; with neither figure, the territory goes back to the table."""
    with write_session(engine) as session:
        row = session.get(RegistrySearchRadiusRow, radius.territory)
        if radius.city_radius_km is None and radius.county_radius_km is None:
            if row is not None:
                session.delete(row)
            return
        if row is None:
            row = RegistrySearchRadiusRow(territory=radius.territory)
            session.add(row)
        row.city_radius_km = radius.city_radius_km
        row.county_radius_km = radius.county_radius_km
        row.updated_at = at


def read_registry(engine: Engine) -> Registry:
    """The registry as it is now (no lock: for reading only)."""
    with Session(engine) as session:
        return _load(session)


class RegistryEditor:
    """One edit of the registry, inside its transaction: `current` is the registry as the lock
    found it; `write` stores the changes and their audit rows."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self.current = _load(session)

    def write(
        self, changes: Sequence[Change], *, at: datetime, actor: str, reason: str | None
    ) -> None:
        for change in changes:
            if isinstance(change, AdapterChange):
                self._put_adapter(change.after, at)
            else:
                self._put_assignment(change.after, at)
            self._session.add(
                RegistryAuditRow(
                    at=at,
                    actor=actor,
                    action=change.action,
                    territory=change.territory,
                    adapter=change.adapter,
                    before=change.audit_before(),
                    after=change.audit_after(),
                    reason=reason,
                )
            )
            # Declarations first: an assignment's foreign key needs its adapter's row.
            self._session.flush()

    def _put_adapter(self, adapter: DeclaredAdapter, at: datetime) -> None:
        row = self._session.get(RegistryAdapterRow, adapter.name)
        if row is None:
            row = RegistryAdapterRow(name=adapter.name, created_at=at)
            self._session.add(row)
        row.plugin = adapter.plugin
        row.timeout_s = adapter.timeout_s
        row.settings = dict(adapter.settings)
        row.updated_at = at

    def _put_assignment(self, assignment: Assignment, at: datetime) -> None:
        key = (assignment.territory, assignment.adapter)
        row = self._session.get(RegistryAssignmentRow, key)
        if row is None:
            row = RegistryAssignmentRow(territory=assignment.territory, adapter=assignment.adapter)
            self._session.add(row)
        row.enabled = assignment.enabled
        row.state = str(assignment.state)
        row.suspended_from = (
            None if assignment.suspended_from is None else str(assignment.suspended_from)
        )
        row.updated_at = at


@contextmanager
def editing_registry(engine: Engine) -> Iterator[RegistryEditor]:
    """A registry edit in one transaction, serialised with every other edit; an exception
    raised inside rolls everything back."""
    with write_session(engine) as session:
        if engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EDIT_LOCK_KEY})
        yield RegistryEditor(session)


def audit_entries(
    engine: Engine,
    *,
    territory: str | None = None,
    adapter: str | None = None,
    limit: int | None = None,
) -> list[AuditEntry]:
    """The audit trail, newest first, optionally for one territory and/or adapter."""
    query = select(RegistryAuditRow).order_by(RegistryAuditRow.id.desc())
    if territory is not None:
        query = query.where(RegistryAuditRow.territory == territory)
    if adapter is not None:
        query = query.where(RegistryAuditRow.adapter == adapter)
    if limit is not None:
        query = query.limit(limit)
    with Session(engine) as session:
        return [
            AuditEntry(
                at=row.at,
                actor=row.actor,
                action=row.action,
                territory=row.territory,
                adapter=row.adapter,
                before=row.before,
                after=row.after,
                reason=row.reason,
            )
            for row in session.scalars(query)
        ]


def _load(session: Session) -> Registry:
    adapters = {
        row.name: DeclaredAdapter(
            name=row.name, plugin=row.plugin, timeout_s=row.timeout_s, settings=row.settings
        )
        for row in session.scalars(select(RegistryAdapterRow))
    }
    assignments = {
        (row.territory, row.adapter): Assignment(
            territory=row.territory,
            adapter=row.adapter,
            enabled=row.enabled,
            state=AdapterState(row.state),
            suspended_from=None if row.suspended_from is None else AdapterState(row.suspended_from),
        )
        for row in session.scalars(select(RegistryAssignmentRow))
    }
    return Registry(adapters=adapters, assignments=assignments)
