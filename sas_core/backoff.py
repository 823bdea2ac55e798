"""Exponential backoff: how long to wait after consecutive failures before trying again.

One rule for every retry queue of the platform (the regulator accounts' calls to vendors, the
outbox's deliveries to listeners), each with its own first wait and ceiling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

#: Doublings past this many cannot matter (any ceiling is reached long before) and would only
#: build ever larger integers.
_MAX_DOUBLINGS = 62


@dataclass(frozen=True, slots=True)
class Backoff:
    """`base` after the first failure, doubling with each further one, never above `cap`; and
    never less than the wait a server asked for (`Retry-After`)."""

    base: timedelta
    cap: timedelta

    def __call__(self, attempts: int, retry_after_s: float | None = None) -> timedelta:
        """The wait after the `attempts`-th consecutive failure (0 or less counts as the first);
        any count, however large, gives `cap` rather than overflowing."""
        factor = 1 << min(max(attempts - 1, 0), _MAX_DOUBLINGS)
        wait = self.cap if self.base > self.cap / factor else self.base * factor
        if retry_after_s is not None:
            wait = max(wait, timedelta(seconds=retry_after_s))
        return wait
