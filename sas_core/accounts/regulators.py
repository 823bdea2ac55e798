"""The regulators the platform knows (digest §3, §7.5), and what is shown of their accounts.

Registering or changing a regulator only stores it: the vendors hear of it at the next login or
`sas regulators sync` (`sas_core.accounts.sync`). The read models here — each vendor's view of
an account (`AccountState`) and the audit trail of calls — are what `sas regulators show` prints.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Engine

from sas_core.accounts.models import Regulator
from sas_core.registry.adapters_file import check_territory
from sas_core.storage.accounts import (
    RegulatorAccountCall,
    RegulatorAccountRow,
    RegulatorConflictError,
    RegulatorNotFoundError,
    read_account_calls,
    read_account_rows,
    read_regulator,
    regulators_with_accounts,
    save_regulator,
)

#: Digest §3: IDNPS prefix 8 (RPPS), 0 (ADELI) or 3 (staff of a structure: 3456780581/11242343).
NATIONAL_ID_PATTERN = re.compile(r"^[038][0-9A-Za-z/]{4,63}$")

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class AccountError(ValueError):
    """A value the account services refuse (malformed e-mail, national id, territory…)."""


class AccountStateError(AccountError):
    """A request that cannot apply to the regulators as stored: unknown regulator, e-mail or
    national id already taken, a login of a deactivated regulator."""


@dataclass(frozen=True)
class AccountState:
    """One vendor's view of a regulator's account, for display (`sas regulators show`)."""

    adapter: str
    state: str
    vendor_key: str | None
    vendor_location: str | None
    attempts: int
    next_attempt_at: datetime | None
    last_http_status: int | None
    last_error: str | None
    synced_at: datetime | None

    @classmethod
    def of(cls, row: RegulatorAccountRow) -> AccountState:
        return cls(
            adapter=row.adapter,
            state=row.state,
            vendor_key=row.vendor_key,
            vendor_location=row.vendor_location,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_http_status=row.last_http_status,
            last_error=row.last_error,
            synced_at=row.synced_at,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "adapter": self.adapter,
            "state": self.state,
            "vendor_key": self.vendor_key,
            "vendor_location": self.vendor_location,
            "attempts": self.attempts,
            "next_attempt_at": _iso(self.next_attempt_at),
            "last_http_status": self.last_http_status,
            "last_error": self.last_error,
            "synced_at": _iso(self.synced_at),
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def check_national_id(value: str) -> str:
    if not NATIONAL_ID_PATTERN.match(value):
        raise AccountError(
            f"invalid national id {value!r}: expected a prefixed IDNPS — 8 + RPPS, 0 + ADELI, "
            "or 3 + structure/local id such as 3456780581/11242343 (digest §3)"
        )
    return value


def _validated(**fields: Any) -> Regulator:
    """A `Regulator` from `fields`, or AccountError naming the first broken rule."""
    if fields.get("national_id") is not None:
        check_national_id(fields["national_id"])
    if fields.get("territory") is not None:
        try:
            fields["territory"] = check_territory(fields["territory"])
        except ValueError as exc:
            raise AccountError(str(exc)) from None
    for name in ("family", "given"):
        if not str(fields.get(name) or "").strip():
            raise AccountError(f"{name} must not be empty (FrPractitionerRegul, digest §7.5)")
    try:
        return Regulator(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise AccountError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None


def add_regulator(
    engine: Engine,
    *,
    family: str,
    given: str,
    email: str,
    territory: str,
    national_id: str | None = None,
    clock: Clock = utcnow,
) -> Regulator:
    """Register a regulator; their technical id (a UUID, digest §3) is made here."""
    regulator = _validated(
        id=uuid.uuid4(),
        family=family.strip(),
        given=given.strip(),
        email=email.strip(),
        territory=territory.strip(),
        national_id=national_id.strip() if national_id else None,
    )
    return _save(engine, regulator, clock())


#: What `update_regulator` may change; `active` goes through `deactivate_regulator`.
EDITABLE = frozenset({"family", "given", "email", "territory", "national_id"})


def update_regulator(
    engine: Engine,
    regulator_id: uuid.UUID,
    changes: Mapping[str, str],
    *,
    clock: Clock = utcnow,
) -> Regulator:
    """Change fields of a regulator; vendors hear of it at their next login (digest §7.1).

    A new national id makes the next sync a re-keying PUT (digest §7.3). Deactivation goes
    through `deactivate_regulator`, which tells the vendors at once.
    """
    unknown = sorted(set(changes) - EDITABLE)
    if unknown:
        raise AccountError(
            f"cannot change {', '.join(unknown)} (only {', '.join(sorted(EDITABLE))})"
        )
    fields = get_regulator(engine, regulator_id).model_dump()
    fields.update({k: v.strip() for k, v in changes.items()})
    return _save(engine, _validated(**fields), clock())


def _save(engine: Engine, regulator: Regulator, now: datetime) -> Regulator:
    try:
        return save_regulator(engine, regulator, now)
    except RegulatorConflictError as exc:
        raise AccountStateError(str(exc)) from None


def get_regulator(engine: Engine, regulator_id: uuid.UUID) -> Regulator:
    try:
        return read_regulator(engine, regulator_id)
    except RegulatorNotFoundError as exc:
        raise AccountStateError(str(exc)) from None


def list_regulators(
    engine: Engine, *, active_only: bool = False
) -> list[tuple[Regulator, list[AccountState]]]:
    """Every regulator (by family name) with their account state at each adapter."""
    return [
        (regulator, [AccountState.of(row) for row in rows])
        for regulator, rows in regulators_with_accounts(engine, active_only=active_only)
    ]


def account_states(engine: Engine, regulator_id: uuid.UUID) -> list[AccountState]:
    return [AccountState.of(row) for row in read_account_rows(engine, regulator_id)]


def account_calls(engine: Engine, regulator_id: uuid.UUID) -> list[RegulatorAccountCall]:
    """The audit trail of one regulator, oldest first."""
    return read_account_calls(engine, regulator_id)
