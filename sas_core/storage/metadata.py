"""Every table of the platform in one `MetaData`, for schema checks, migrations and tests.

Each flow's tables live in its own storage module (`slots`, `accounts`, `appointments`, `realm`,
`registry`, `health`, `offer` for the offer directory, `booking_intents` for the LRM's
case references, and `jobs` for the background jobs);
importing them here registers them on `Base.metadata`, whichever services a process imported.
"""

from sas_core.storage import (
    accounts,
    appointments,
    booking_intents,
    health,
    jobs,
    offer,
    realm,
    registry,
    slots,
)
from sas_core.storage.tables import Base

METADATA = Base.metadata

__all__ = [
    "METADATA",
    "accounts",
    "appointments",
    "booking_intents",
    "health",
    "jobs",
    "offer",
    "realm",
    "registry",
    "slots",
]
