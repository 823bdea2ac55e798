"""The LRMs the platform knows: who may open a search (INT_L01) and where each territory's
appointments go (INT_L02).

One registration per LRM: its name, the `origin` it opens the search with, its SAMU's Hub
client id and the territory it regulates. A territory is addressed when exactly one active LRM
regulates it; none, or several (digest (b): several CRRA may share a département, and the
choice between them is not the platform's to guess), is a refusal naming the territory, which
the forwarding records as the message's failure instead of dropping it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from sas_core.registry.models import LrmRegistration, RegistryInputError
from sas_core.registry.territories import check_territory
from sas_core.storage.engine import write_session
from sas_core.storage.lrm import (
    LrmRegistrationRow,
    add_registration,
    delete_registration,
    registration,
    registration_by_origin,
    registrations,
)

#: Hub Santé client ids (digest (b): `fr.health.samuXXX`, XXX the CRRA code without "FR").
HUB_CLIENT_ID = re.compile(r"fr\.health\.[a-z0-9][a-z0-9.\-]*[a-z0-9]")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")


class NoSamuError(LookupError):
    """A territory no single active LRM regulates: its appointments cannot be addressed."""


class LrmDirectory:
    """The registered LRMs, on one database."""

    def __init__(
        self, engine: Engine, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.engine = engine
        self.clock = clock

    def register(self, entry: LrmRegistration) -> LrmRegistration:
        """Add or replace the registration named `entry.name`; RegistryInputError names the
        field when a value is malformed or the origin belongs to another LRM."""
        entry = _checked(entry)
        with write_session(self.engine) as session:
            other = registration_by_origin(session, entry.origin)
            if other is not None and other.name != entry.name:
                raise RegistryInputError(
                    f"origin {entry.origin!r} is already the LRM {other.name!r}'s: an origin "
                    "names one LRM"
                )
            row = registration(session, entry.name)
            if row is None:
                row = LrmRegistrationRow(name=entry.name)
                add_registration(session, row)
            row.origin = entry.origin
            row.hub_client_id = entry.hub_client_id
            row.territory = entry.territory
            row.active = entry.active
            row.updated_at = self.clock()
        return entry

    def remove(self, name: str) -> bool:
        """Forget the LRM `name`; False when there was none."""
        with write_session(self.engine) as session:
            row = registration(session, name)
            if row is None:
                return False
            delete_registration(session, row)
            return True

    def all(self, territory: str | None = None) -> list[LrmRegistration]:
        """Every registration (of `territory` when given), by name."""
        code = None if territory is None else check_territory(territory)
        return [_domain(row) for row in registrations(self.engine, code)]

    def by_origin(self, origin: str) -> LrmRegistration | None:
        """The active LRM that opens searches with `origin` (INT_L01's allow-list), or None."""
        found = [r for r in self.all() if r.origin == origin and r.active]
        return found[0] if found else None

    def samu_for(self, territory: str) -> LrmRegistration:
        """The LRM that receives `territory`'s appointments, or NoSamuError saying why none."""
        active = [r for r in self.all(territory) if r.active]
        if not active:
            raise NoSamuError(f"territory {territory} has no SAMU configured (no active LRM)")
        if len(active) > 1:
            names = ", ".join(r.name for r in active)
            raise NoSamuError(
                f"territory {territory} has several active LRMs ({names}): deactivate all but "
                "the one that receives its appointments"
            )
        return active[0]


def _checked(entry: LrmRegistration) -> LrmRegistration:
    if not _NAME.fullmatch(entry.name):
        raise RegistryInputError(
            f"LRM name {entry.name!r}: letters, digits, '.', '_' and '-', at most 100"
        )
    origin = entry.origin.strip()
    if not origin or len(origin) > 200 or any(c.isspace() or ord(c) < 32 for c in origin):
        raise RegistryInputError(
            f"origin {entry.origin!r}: a non-empty value without spaces, at most 200 characters"
        )
    if not HUB_CLIENT_ID.fullmatch(entry.hub_client_id):
        raise RegistryInputError(
            f"Hub client id {entry.hub_client_id!r}: expected fr.health.<name>, e.g. "
            "fr.health.samu330"
        )
    try:
        territory = check_territory(entry.territory)
    except ValueError as exc:
        raise RegistryInputError(str(exc)) from None
    return LrmRegistration(entry.name, origin, entry.hub_client_id, territory, entry.active)


def _domain(row: LrmRegistrationRow) -> LrmRegistration:
    return LrmRegistration(row.name, row.origin, row.hub_client_id, row.territory, row.active)
