"""The platform's wall clock: Europe/Paris.

The SAS is a French service: an instant written without an offset is Paris wall-clock time
(`sas_core.fhir.instants`), windows are counted in Paris days (`sas slots fetch`) and times are
shown in Paris time. Every module that needs the zone takes it from here.
"""

from __future__ import annotations

from typing import Final
from zoneinfo import ZoneInfo

#: Europe/Paris, with its daylight-saving changes (tzdata ships it where the system has none).
PARIS: Final = ZoneInfo("Europe/Paris")
