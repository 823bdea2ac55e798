"""What every check of one run shares: the vendor, the mode, the identifiers searched, the
search window, and the answers already read (the main search is made once, read by many)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sas_core.clock import PARIS
from sas_core.conformance.models import FixHint, Mode
from sas_core.conformance.probe import Exchange, TransportFailure, Vendor
from sas_core.fhir.instants import format_instant
from sas_core.identifiers import IDNPS_SYSTEM, IDNST_SYSTEM

#: [TK] searches from now to the end of day D+2, at most 72 hours (digest §4.2, §12).
WINDOW_MAX = timedelta(hours=72)
_IG_VERSION = re.compile(r"\|(\d+\.\d+\.\d+)$")


class Skip(Exception):
    """The check cannot run here; the message says why (never counted as passed)."""


class Fail(Exception):
    """The check failed: what went wrong, and how to fix each finding."""

    def __init__(self, detail: str, hints: list[FixHint] | None = None) -> None:
        self.detail = detail
        self.hints = hints or []
        super().__init__(detail)


@dataclass(frozen=True, slots=True)
class RefusalCerts:
    """Client certificates the vendor must refuse (each a PEM file with its key): issued by the
    trusted CA but with a wrong CN, a wrong OU, or revoked. ANS gives them for acceptance."""

    wrong_cn: Path | None = None
    wrong_ou: Path | None = None
    revoked: Path | None = None


@dataclass(frozen=True, slots=True)
class Search:
    """A search the checker sent and what came back."""

    params: list[tuple[str, str]]
    url: str
    answer: Exchange
    bundle: dict[str, Any]


def default_window(now: datetime) -> tuple[datetime, datetime]:
    """[TK] now (Paris) to the end of day D+2, capped at 72 h."""
    start = now.astimezone(PARIS).replace(microsecond=0)
    end_of_d2 = (start + timedelta(days=3)).replace(hour=0, minute=0, second=0) - timedelta(
        seconds=1
    )
    return start, min(end_of_d2, start + WINDOW_MAX)


@dataclass
class Context:
    vendor: Vendor
    mode: Mode
    practitioners: tuple[str, ...]
    associations: tuple[str, ...]
    window: tuple[datetime, datetime]
    refusal: RefusalCerts = field(default_factory=RefusalCerts)
    sso_issuer: str | None = None
    _searches: dict[str, Search] = field(default_factory=dict)

    # -- the CapabilityStatement ---------------------------------------------------------------

    def capability(self) -> dict[str, Any]:
        answer = self.vendor.get(self.vendor.url("metadata"))
        if answer.status != 200:
            raise Fail(f"GET {answer.url} answered HTTP {answer.status}, not 200")
        return answer.resource("CapabilityStatement")

    def ig_version(self) -> str | None:
        """The IG version the CapabilityStatement declares (`…/ig/fhir/sas|1.2.0`), if any."""
        try:
            statement = self.capability()
        except (Fail, TransportFailure):
            return None
        for guide in statement.get("implementationGuide") or []:
            if isinstance(guide, str) and (match := _IG_VERSION.search(guide)):
                return match[1]
        return None

    # -- searches --------------------------------------------------------------------------------

    def search_params(
        self,
        identifiers: tuple[str, ...] | None = None,
        window: tuple[datetime, datetime] | None = None,
    ) -> tuple[str, list[tuple[str, str]]]:
        """The resource searched and the IG's parameters for this mode (digest §4.2, §5.1, §6.2)."""
        lower, upper = window or self.window
        ge, le = "ge" + format_instant(lower), "le" + format_instant(upper)
        if self.mode == "sos":
            values = identifiers if identifiers is not None else self.associations
            return "Schedule", [
                ("_revinclude", "Slot:schedule"),
                ("_include", "Schedule:actor:Location"),
                ("_include:iterate", "Location:organization"),
                ("_has:Slot:schedule:start", ge),
                ("_has:Slot:schedule:start", le),
                ("_has:Slot:schedule:status", "free"),
                (
                    "actor:Location.organization.identifier",
                    ",".join(f"{IDNST_SYSTEM}|{v}" for v in values),
                ),
                ("_count", "1000"),
            ]
        values = identifiers if identifiers is not None else self.practitioners
        params = [("_include", "Slot:schedule"), ("_include:iterate", "Schedule:actor")]
        if self.mode == "cpts":
            params += [
                ("_include", "Slot:service-type-reference"),
                ("_include:iterate", "HealthcareService:organization"),
            ]
        return "Slot", [
            *params,
            ("start", ge),
            ("start", le),
            (
                "schedule.actor:Practitioner.identifier",
                ",".join(f"{IDNPS_SYSTEM}|{v}" for v in values),
            ),
            ("status", "free"),
            ("_count", "1000"),
        ]

    def search(
        self,
        identifiers: tuple[str, ...] | None = None,
        window: tuple[datetime, datetime] | None = None,
        *,
        cached: bool = True,
    ) -> Search:
        """A conformant search answered 200 with a Bundle; Fail otherwise, with the cause."""
        resource, params = self.search_params(identifiers, window)
        url = self.vendor.url(resource, params)
        if cached and url in self._searches:
            return self._searches[url]
        answer = self.vendor.get(url, cached=cached)
        if answer.status != 200:
            raise Fail(
                f"GET {resource}?… answered HTTP {answer.status}, not 200" + _diagnostics(answer),
                [
                    FixHint(
                        f"GET [base]/{resource}",
                        f"HTTP {answer.status}",
                        "200 with a searchset Bundle for a conformant search",
                        "point d'accès joignable, réponses FHIR JSON (§2)",
                    )
                ],
            )
        bundle = answer.resource("Bundle")
        found = Search(params, url, answer, bundle)
        if cached:
            self._searches[url] = found
        return found

    def requested(self) -> tuple[str, ...]:
        return self.associations if self.mode == "sos" else self.practitioners


def _diagnostics(answer: Exchange) -> str:
    try:
        body = answer.json()
    except TransportFailure:
        return ""
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        texts = [
            str(i.get("diagnostics") or i.get("code"))
            for i in body.get("issue") or []
            if isinstance(i, dict)
        ]
        return f" ({'; '.join(texts)[:200]})" if texts else ""
    return ""
