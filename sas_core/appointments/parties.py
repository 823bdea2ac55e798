"""Who the platform knows: the regulators it sent to vendors (INT_R02) and the practitioners of
its directory.

An appointment naming someone the platform does not know is still stored, flagged for review
(digest §15.4 lists "operator id unknown to PTF SAS" as a 422 *candidate*; refusing it would lose
a real booking). The platform's implementation, on its own tables, is
:class:`sas_core.storage.parties.StoredParties`.
"""

from __future__ import annotations

from typing import Protocol


class KnownParties(Protocol):
    """Answers "do we know them?" for appointment intake; must be cheap (called per request)."""

    def knows_regulator(self, system: str, value: str) -> bool:
        """Whether `system|value` is a regulator account the platform manages (IDNPS or the SAS
        technical UUID, digest §3)."""
        ...

    def knows_practitioner(self, idnps: str) -> bool:
        """Whether the prefixed IDNPS is a practitioner of the platform's directory."""
        ...
