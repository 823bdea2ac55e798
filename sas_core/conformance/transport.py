"""The CapabilityStatement and TLS checks: what the endpoint declares, the TLS version it
negotiates, and the client certificates it must refuse (digest §1, §2, §15.1)."""

from __future__ import annotations

import socket
import ssl
import warnings
from pathlib import Path
from urllib.parse import urlsplit

from sas_core.conformance import catalogue as faq
from sas_core.conformance.bundle_view import as_list
from sas_core.conformance.context import Context, Fail, Skip
from sas_core.conformance.models import FixHint
from sas_core.conformance.probe import ClientTls
from sas_core.fhir.media_types import FHIR_JSON
from sas_core.fhir.tls import TlsConfigError

#: The resource each mode searches, and its search interaction (digest §1).
_SEARCHED = {"ps": "Slot", "cpts": "Slot", "sos": "Schedule"}


def capability(ctx: Context) -> str:
    statement = ctx.capability()
    hints = []
    if statement.get("fhirVersion") != "4.0.1":
        hints.append(
            FixHint(
                "CapabilityStatement.fhirVersion",
                repr(statement.get("fhirVersion")),
                "'4.0.1'",
                faq.FAQ_CAPABILITY,
            )
        )
    formats = [f for f in as_list(statement.get("format")) if isinstance(f, str)]
    if not any(f in (FHIR_JSON, "json", "application/json") for f in formats):
        hints.append(
            FixHint(
                "CapabilityStatement.format", repr(formats), repr([FHIR_JSON]), faq.FAQ_CAPABILITY
            )
        )
    if hints:
        raise Fail("the CapabilityStatement does not declare FHIR R4 JSON", hints)
    return f"FHIR {statement.get('fhirVersion')}, {', '.join(formats)}"


def declared_searches(ctx: Context) -> str:
    statement = ctx.capability()
    wanted = {_SEARCHED[ctx.mode]: "search-type", "Practitioner": "update"}
    servers = [
        r
        for r in as_list(statement.get("rest"))
        if isinstance(r, dict) and r.get("mode") == "server"
    ]
    declared: dict[str, set[str]] = {}
    for rest in servers:
        for resource in as_list(rest.get("resource")):
            if isinstance(resource, dict):
                declared.setdefault(str(resource.get("type")), set()).update(
                    str(i.get("code"))
                    for i in as_list(resource.get("interaction"))
                    if isinstance(i, dict)
                )
    hints = [
        FixHint(
            f"CapabilityStatement.rest.resource({kind}).interaction",
            ", ".join(sorted(declared.get(kind, set()))) or "absent",
            f"{interaction} (digest §1)",
            faq.FAQ_CAPABILITY,
        )
        for kind, interaction in wanted.items()
        if interaction not in declared.get(kind, set())
    ]
    if hints:
        raise Fail("the CapabilityStatement does not declare what the flows use", hints)
    return ", ".join(f"{k} {v}" for k, v in wanted.items())


def _address(ctx: Context) -> tuple[str, int, str]:
    if not ctx.vendor.https:
        raise Skip("the base URL is http://: TLS checks apply to an https:// base")
    parts = urlsplit(ctx.vendor.base_url)
    return parts.hostname or "", parts.port or 443, parts.path.rstrip("/")


def _attempt(ctx: Context, context: ssl.SSLContext) -> tuple[bool, str]:
    """Handshake and `GET [base]/metadata`: (accepted, what happened). A refusal is a failed
    handshake, a connection closed before an answer, or an HTTP 4xx."""
    host, port, path = _address(ctx)
    budget = ctx.vendor.deadline.budget(ctx.vendor.timeout_s)
    try:
        with (
            socket.create_connection((host, port), timeout=budget) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            version = tls.version()
            tls.sendall(
                f"GET {path}/metadata HTTP/1.1\r\nHost: {host}:{port}\r\n"
                "Accept: application/fhir+json\r\nConnection: close\r\n\r\n".encode()
            )
            head = tls.recv(64)
    except ssl.SSLError as exc:
        return False, f"handshake refused ({exc.reason or exc})"
    except (ConnectionError, TimeoutError, OSError) as exc:
        return False, f"connection refused or closed ({exc.__class__.__name__})"
    if not head:
        return False, f"connection closed after the {version} handshake, before any answer"
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ")
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    if 400 <= status < 500:
        return False, f"{version}, then HTTP {status}"
    return True, f"{version}, then {status_line!r}"


def _context(ctx: Context, cert: Path | None = None, *, with_cert: bool = True) -> ssl.SSLContext:
    try:
        if not with_cert:
            return ClientTls(ca=ctx.vendor.tls.ca).context()
        return ctx.vendor.tls.context(cert=cert)
    except TlsConfigError as exc:
        raise Fail(f"cannot use the TLS material: {exc}") from None


def tls_version(ctx: Context) -> str:
    _address(ctx)
    accepted, what = _attempt(ctx, _context(ctx))
    if not accepted:
        raise Fail(
            f"our own client certificate was refused: {what}",
            [
                FixHint(
                    "TLS",
                    what,
                    "the platform's certificate accepted (give --cert/--key/--ca)",
                    faq.FAQ_TLS,
                )
            ],
        )
    if not what.startswith(("TLSv1.2", "TLSv1.3")):
        raise Fail(
            what, [FixHint("TLS version", what.split(",")[0], "TLS 1.2 or 1.3", faq.FAQ_TLS)]
        )
    return what.split(",")[0] + " negotiated"


def old_tls_refused(ctx: Context) -> str:
    _address(ctx)
    context = _context(ctx)
    try:
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        with warnings.catch_warnings():
            # Deprecated for being insecure, which is the point: the vendor must refuse it.
            warnings.simplefilter("ignore", DeprecationWarning)
            context.maximum_version = ssl.TLSVersion.TLSv1_1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError) as exc:
        raise Skip(f"this machine's OpenSSL cannot offer TLS 1.1 ({exc})") from None
    accepted, what = _attempt(ctx, context)
    if "NO_PROTOCOLS_AVAILABLE" in what or "no protocols available" in what:
        raise Skip("this machine's OpenSSL cannot offer TLS 1.1")
    if accepted:
        raise Fail(
            f"TLS 1.1 accepted: {what}",
            [
                FixHint(
                    "TLS version", what.split(",")[0], "versions below TLS 1.2 refused", faq.FAQ_TLS
                )
            ],
        )
    return f"TLS 1.1 refused: {what}"


def _refused(ctx: Context, context: ssl.SSLContext, what: str) -> str:
    accepted, happened = _attempt(ctx, context)
    if accepted:
        raise Fail(
            f"{what} accepted: {happened}",
            [
                FixHint(
                    "mTLS",
                    f"{what} accepted ({happened})",
                    "the handshake refused, or HTTP 4xx",
                    faq.FAQ_TLS,
                )
            ],
        )
    return f"{what} refused: {happened}"


def no_certificate(ctx: Context) -> str:
    _address(ctx)
    return _refused(
        ctx, _context(ctx, with_cert=False), "a connection without a client certificate"
    )


def _with(ctx: Context, cert: Path | None, option: str, what: str) -> str:
    _address(ctx)
    if cert is None:
        raise Skip(f"give {option} PEM (a certificate of the trusted CA with its key)")
    return _refused(ctx, _context(ctx, cert), what)


def wrong_cn(ctx: Context) -> str:
    return _with(ctx, ctx.refusal.wrong_cn, "--wrong-cn-cert", "a certificate with a wrong CN")


def wrong_ou(ctx: Context) -> str:
    return _with(ctx, ctx.refusal.wrong_ou, "--wrong-ou-cert", "a certificate with a wrong OU")


def revoked(ctx: Context) -> str:
    return _with(ctx, ctx.refusal.revoked, "--revoked-cert", "a revoked certificate")
