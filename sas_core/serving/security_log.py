"""The platform's security events: one `key=value` line each on the `sas.security` logger.

Operators grep or ship these lines, so each is a single line whatever the values hold: a value
with anything but plain token characters is written as a JSON string (quotes, spaces, newlines
and non-ASCII escaped), which also keeps attacker-chosen text (a certificate's CN, a Host header,
a path) from forging a line. Callers pass identifiers only — never a password, code, token, national
id or patient data: those stay out of the log by construction, not by filtering.

The web app sets the request id of the request being served (`REQUEST_ID`), so an event names the
request it happened in, as the access log (`sas.access`) does.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar

SECURITY_LOGGER = "sas.security"
#: The id of the request being served (`sas_web.access_log` sets it for each request).
REQUEST_ID: ContextVar[str | None] = ContextVar("sas_request_id", default=None)

#: A value longer than this is cut: a log line is evidence, not a copy of the request.
MAX_VALUE_CHARS = 200
_PLAIN = re.compile(r"[A-Za-z0-9._:/@+\-\[\]]+")

log = logging.getLogger(SECURITY_LOGGER)


def logfmt(fields: dict[str, object]) -> str:
    """`key=value key2="value with spaces"`; `None` values are left out."""
    return " ".join(f"{key}={_value(value)}" for key, value in fields.items() if value is not None)


def _value(value: object) -> str:
    text = str(value)
    if len(text) > MAX_VALUE_CHARS:
        text = text[:MAX_VALUE_CHARS] + "…"
    return text if _PLAIN.fullmatch(text) else json.dumps(text)


def security_event(event: str, /, *, level: int = logging.WARNING, **fields: object) -> None:
    """Log `event=<event> request_id=… <fields>` on `sas.security` (WARNING: a refusal)."""
    log.log(level, logfmt({"event": event, "request_id": REQUEST_ID.get(), **fields}))
