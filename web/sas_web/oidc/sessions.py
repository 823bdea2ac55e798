"""The realm's browser sessions and their cookie.

The cookie `SAS_SESSION` (path `/realms/sas`, HttpOnly, SameSite=Lax, Secure when the issuer is
`https`) holds a 256-bit random id; the session itself is in the database (`RealmStore`), so an
id that cannot be guessed needs no signature as well. A new id is issued at each login (no
fixation). A session ends at its absolute lifetime (a regulator's shift) or once unused for the
idle period (regulation rooms share workstations), whichever comes first.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar.datastructures import Cookie

from sas_core.storage.realm import RealmStore
from sas_web.oidc.paths import REALM

SESSION_COOKIE = "SAS_SESSION"


@dataclass(frozen=True, slots=True)
class BrowserSession:
    """A live session: its regulator once logged in, else the state of an upstream login."""

    token: str
    regulator_id: uuid.UUID | None
    auth_time: datetime | None
    pending: dict[str, Any] | None


class Sessions:
    """The realm's sessions, timed by `clock` (tests move it instead of waiting)."""

    def __init__(
        self,
        store: RealmStore,
        clock: Callable[[], datetime],
        lifetime: timedelta,
        idle: timedelta,
    ) -> None:
        self.store = store
        self.clock = clock
        self.lifetime = lifetime
        self.idle = idle

    def current(self, token: str | None) -> BrowserSession | None:
        """The live session of this cookie; using it keeps it alive for another idle period,
        never past its absolute lifetime."""
        if not token:
            return None
        stored = self.store.use_session(token, self.clock(), self.lifetime, self.idle)
        if stored is None:
            return None
        return BrowserSession(token, stored.regulator_id, stored.auth_time, stored.pending)

    def open(
        self,
        *,
        regulator_id: uuid.UUID | None = None,
        pending: dict[str, Any] | None = None,
        replaces: str | None = None,
    ) -> str:
        """A new session id (also at login: a fresh id defeats session fixation)."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        expires_at = now + min(self.lifetime, self.idle)
        self.store.open_session(
            token,
            now,
            expires_at,
            regulator_id=regulator_id,
            pending=pending,
            replaces=replaces,
        )
        return token

    def end(self, token: str | None, subject: uuid.UUID | None) -> uuid.UUID | None:
        """End the cookie's session (unless it is another regulator's than `subject`) and,
        with no such session, every session of `subject`: an RP's cross-site POST carries no
        SameSite=Lax cookie. Returns the regulator logged out, if any."""
        return self.store.end_sessions(token, subject)


def session_cookie(token: str | None, *, secure: bool) -> Cookie:
    """The cookie carrying `token`; with no token, the one clearing it."""
    return Cookie(
        key=SESSION_COOKIE,
        value=token or "",
        path=REALM,
        httponly=True,
        secure=secure,
        samesite="lax",
        max_age=None if token else 0,
    )
