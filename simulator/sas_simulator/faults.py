"""Misbehaviours the simulator can put on for Slot searches, to exercise clients' defences.

The platform must survive a vendor that is slow, broken or hostile (digest §4.1: answer within
7 s or be ignored); each mode below is one way a real vendor has been seen to fail.
"""

from __future__ import annotations

import threading
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FaultMode = Literal[
    "none", "http-500", "malformed-json", "hang", "trickle", "oversized", "http-429"
]
FAULT_MODES: tuple[FaultMode, ...] = (
    "none",
    "http-500",
    "malformed-json",
    "hang",
    "trickle",
    "oversized",
    "http-429",
)


class Faults(BaseModel):
    """How Slot searches misbehave; `PUT /_sim/faults` replaces it at runtime.

    - `latency_ms`: wait this long before answering (any mode).
    - `http-500`: 500 with an OperationOutcome.
    - `malformed-json`: 200 with a truncated JSON body.
    - `hang`: never answer, until the client gives up.
    - `trickle`: send the headers, then one byte every 0.5 s, forever.
    - `oversized`: stream a (valid) JSON Bundle larger than `oversized_mb` MiB.
    - `http-429`: 429 with `Retry-After: retry_after_s` (rounded up to whole seconds, as HTTP
      requires), for the first `fail_times` searches after the faults were set, or always when
      `fail_times` is None.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    latency_ms: int = Field(default=0, ge=0)
    mode: FaultMode = "none"
    retry_after_s: float = Field(default=1.0, ge=0)
    fail_times: int | None = Field(default=None, ge=0)
    oversized_mb: int = Field(default=25, ge=1)


class FaultState:
    """The faults in force and how many 429s they have produced; shared across threads."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self._faults = faults or Faults()
        self._rejected = 0

    @property
    def current(self) -> Faults:
        with self._lock:
            return self._faults

    def set(self, faults: Faults) -> None:
        """Replace the faults and restart the 429 count."""
        with self._lock:
            self._faults = faults
            self._rejected = 0

    def take_rate_limit(self) -> bool:
        """Whether this search gets a 429 (counting it when it does)."""
        with self._lock:
            limit = self._faults.fail_times
            if limit is not None and self._rejected >= limit:
                return False
            self._rejected += 1
            return True
