"""Login throttling: failed logins counted per key (an account, an address) over a sliding window.

Once a key has `max_failures` failures in the window it is locked: no password is even checked
until `lockout` after its last failure, a delay doubling with each further failure (capped at the
window), so guessing gets slower and slower while a regulator who mistyped waits a minute.

The counts live in the process: several platform instances each count on their own (an attacker
spread over N instances gets N times the tries). The local login they guard is development-only;
Pro Santé Connect throttles its own.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

#: Keys kept at most before the expired ones are dropped (a spray of unknown accounts).
_PRUNE_ABOVE = 10_000


class LoginThrottle:
    def __init__(
        self,
        max_failures: int,
        window: timedelta,
        lockout: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.lockout = lockout
        self.clock = clock
        self._failures: dict[str, deque[datetime]] = {}
        # The vendor and browser listeners of `sas serve` each run their own event loop thread.
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> timedelta | None:
        """How long `key` is still locked out, or None."""
        now = self.clock()
        with self._lock:
            failures = self._recent(key, now)
            if len(failures) < self.max_failures:
                return None
            extra = len(failures) - self.max_failures
            delay = min(self.lockout * 2**extra, self.window)
            remaining = failures[-1] + delay - now
            return remaining if remaining > timedelta(0) else None

    def failed(self, key: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) > _PRUNE_ABOVE:
                for stale in [k for k in self._failures if not self._recent(k, now)]:
                    del self._failures[stale]
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures
