"""Regulator accounts the platform keeps in step on the vendors' side (INT_R02, digest §7)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field


class Regulator(BaseModel):
    """A SAS regulator as the platform knows them.

    Every regulator has the platform's technical id (a UUID, system `urn:oid:1.2.250.1.213.3.6`);
    the national id is added once known, and then becomes the key vendors are asked to use.
    """

    model_config = ConfigDict(frozen=True)

    id: UUID
    national_id: str | None = Field(default=None, description="IDNPS, e.g. 3456780581/11242343")
    family: str
    given: str
    email: EmailStr
    active: bool = True
    territory: str | None = Field(default=None, description="SAS territory code, e.g. SAS-33")


class AccountAction(StrEnum):
    """What an account sync asks of a vendor (digest §7.2–7.4)."""

    CREATE = "create"
    UPDATE = "update"
    DEACTIVATE = "deactivate"


class AccountSync(BaseModel):
    """One account operation for one vendor.

    `match` is the identifier (`system|value`) the vendor currently knows the account by, used
    for the conditional `PUT ?identifier=`; it differs from the regulator's new identifier when
    the account is being re-keyed (digest §7.3).
    """

    model_config = ConfigDict(frozen=True)

    action: AccountAction
    regulator: Regulator
    match: str | None = None


class AccountSyncResult(BaseModel):
    """The vendor's answer to an `AccountSync`.

    `retry` marks a transient failure (network, 5xx, 429) the platform should try again later;
    `rejected` is final (4xx) and needs a person to look. `http_method` is recorded in the audit
    trail; `retry_after_s` is the vendor's `Retry-After`, which the retry schedule respects.
    """

    status: Literal["created", "updated", "rejected", "retry"]
    http_status: int | None = None
    vendor_location: str | None = None
    error: str | None = None
    http_method: str | None = None
    retry_after_s: float | None = Field(default=None, ge=0)
