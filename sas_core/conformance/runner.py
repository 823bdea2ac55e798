"""`run`: every check of the catalogue against one vendor endpoint, in order, each turned into a
result whatever happens inside it — an unreachable endpoint, a TLS failure, a non-FHIR answer or
a hanging one is a failed check with its cause, never an exception out of `run`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from urllib.parse import urlsplit

from sas_core.clock import PARIS
from sas_core.conformance import accounts, elements, searches, sso, transport
from sas_core.conformance.catalogue import CHECKS, CheckInfo
from sas_core.conformance.context import Context, Fail, RefusalCerts, Skip, default_window
from sas_core.conformance.models import MODES, CheckResult, Mode, Report, Status
from sas_core.conformance.probe import (
    DEFAULT_DEADLINE_S,
    DEFAULT_TIMEOUT_S,
    ClientTls,
    Deadline,
    TransportFailure,
    Vendor,
)
from sas_core.conformance.scenarios import DEFAULT_RPPS, DEFAULT_SIRET

CheckFunction = Callable[[Context], str]

#: Check id → the function that runs it; the catalogue holds what is said about each.
RUNNERS: dict[str, CheckFunction] = {
    "CAP-01": transport.capability,
    "CAP-02": transport.declared_searches,
    "TLS-01": transport.tls_version,
    "TLS-02": transport.old_tls_refused,
    "TLS-03": transport.no_certificate,
    "TLS-04": transport.wrong_cn,
    "TLS-05": transport.wrong_ou,
    "TLS-06": transport.revoked,
    "SRCH-01": searches.bundle_shape,
    "SRCH-02": searches.self_link,
    "SRCH-03": searches.references,
    "SRCH-04": searches.cardinalities,
    "SRCH-05": searches.unknown_identifier,
    "SCN-01": searches.two_places,
    "SCN-02": searches.several_practitioners,
    "SCN-03": searches.slot_two_cpts,
    "SCN-04": searches.cpts_only_slots,
    "SCN-05": searches.sos_association,
    "PROF-01": elements.profiles,
    "PROF-02": elements.canonicals,
    "ID-01": elements.identifiers,
    "ID-02": elements.idnst_types,
    "TEL-01": elements.phones,
    "SPEC-01": elements.specialties,
    "EMPTY-01": elements.empty_elements,
    "SLOT-01": elements.slot_codes,
    "DATE-01": elements.dates,
    "URL-01": elements.booking_urls,
    "ERR-01": searches.without_bounds,
    "ERR-02": searches.wrong_comparator,
    "ERR-03": searches.wrong_system,
    "PERF-01": searches.performance,
    "ACC-01": accounts.create,
    "ACC-02": accounts.update,
    "ACC-03": accounts.put_as_create,
    "ACC-04": accounts.withdrawal,
    "ACC-05": accounts.rekeying,
    "ACC-06": accounts.invalid_fields,
    "ACC-07": accounts.duplicate,
    "SSO-01": sso.without_origin,
    "SSO-02": sso.with_origin,
}


def check_base_url(base_url: str) -> str:
    """The base URL without its trailing slash; ValueError when it is not an http(s) URL."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"{base_url!r} is not an http:// or https:// URL such as https://host/fhir"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"{base_url!r}: a FHIR base URL has no query or fragment")
    return base_url.strip().rstrip("/")


def run(
    base_url: str,
    mode: Mode = "ps",
    *,
    tls: ClientTls | None = None,
    rpps: Iterable[str] = DEFAULT_RPPS,
    siret: Iterable[str] = DEFAULT_SIRET,
    refusal: RefusalCerts | None = None,
    sso_issuer: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    deadline_s: float = DEFAULT_DEADLINE_S,
    only: Iterable[str] | None = None,
) -> Report:
    """Check the vendor FHIR endpoint at `base_url` the way ANS's connected acceptance does.

    `rpps` and `siret` are prefixed identifiers (`sas_core.conformance.scenarios` normalises
    user input); the defaults are the acceptance scenarios the simulator serves. `only` limits
    the run to some check ids. Raises ValueError for a malformed base URL or mode; everything
    that happens on the wire becomes a check result.
    """
    base = check_base_url(base_url)
    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: one of {', '.join(MODES)}")
    wanted = set(only) if only is not None else None
    unknown = (wanted or set()) - set(RUNNERS)
    if unknown:
        raise ValueError(f"unknown check ids: {', '.join(sorted(unknown))}")
    vendor = Vendor(base, tls or ClientTls(), Deadline.start(deadline_s), timeout_s)
    ctx = Context(
        vendor=vendor,
        mode=mode,
        practitioners=tuple(dict.fromkeys(rpps)),
        associations=tuple(dict.fromkeys(siret)),
        window=default_window(datetime.now(PARIS)),
        refusal=refusal or RefusalCerts(),
        sso_issuer=sso_issuer,
    )
    results: list[CheckResult] = []
    try:
        for info in CHECKS:
            if wanted is not None and info.id not in wanted:
                continue
            results.append(_run_one(info, ctx))
    finally:
        vendor.close()
    return Report(base, mode, tuple(results))


def _run_one(info: CheckInfo, ctx: Context) -> CheckResult:
    if ctx.mode not in info.modes:
        return CheckResult(
            info.id,
            info.title,
            Status.SKIPPED,
            f"does not apply to mode {ctx.mode} (only {', '.join(sorted(info.modes))})",
        )
    began = time.monotonic()

    def result(status: Status, detail: str, fail: Fail | None = None) -> CheckResult:
        hints = tuple(fail.hints) if fail is not None else ()
        return CheckResult(info.id, info.title, status, detail, hints, time.monotonic() - began)

    try:
        return result(Status.PASSED, RUNNERS[info.id](ctx))
    except Skip as exc:
        return result(Status.SKIPPED, str(exc))
    except Fail as exc:
        return result(Status.FAILED, exc.detail, exc)
    except TransportFailure as exc:
        return result(Status.FAILED, str(exc))
    except Exception as exc:
        return result(
            Status.FAILED, f"the answer could not be checked ({type(exc).__name__}: {exc})"
        )
