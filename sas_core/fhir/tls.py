"""The TLS side of the vendor link (digest §2): TLS ≥ 1.2, mutual authentication, and the
words used to report a handshake that failed.

Messages built here name files and OpenSSL reasons only, never certificate or key contents.
"""

from __future__ import annotations

import functools
import ssl
from pathlib import Path


class TlsConfigError(ValueError):
    """The configured certificate, key or CA cannot be loaded; the message says which and why."""


def _refuse_password() -> str:
    # Without this callback OpenSSL would prompt on the terminal for an encrypted key's password.
    raise TlsConfigError("client_key is encrypted; give an unencrypted PEM key")


def build_ssl_context(
    client_cert: Path | None,
    client_key: Path | None,
    ca_bundle: Path | None,
    verify: bool = True,
) -> ssl.SSLContext:
    """A client context for one vendor: TLS ≥ 1.2 (digest §2, §16.23), optional client chain.

    `ca_bundle` replaces the system store when given, so only the CA the vendor was issued by
    (IGC-Santé in production) is trusted for that vendor.
    """
    try:
        if ca_bundle is not None:
            ctx = ssl.create_default_context(cafile=str(ca_bundle))
        else:
            ctx = ssl.create_default_context()
    except (ssl.SSLError, OSError) as exc:
        raise TlsConfigError(
            f"ca_bundle {ca_bundle} is not a PEM CA bundle ({_reason(exc)})"
        ) from None
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if client_cert is not None:
        try:
            ctx.load_cert_chain(
                str(client_cert),
                str(client_key) if client_key is not None else None,
                password=_refuse_password,
            )
        except TlsConfigError:
            raise
        except (ssl.SSLError, OSError) as exc:
            raise TlsConfigError(
                f"client_cert {client_cert} and client_key {client_key} cannot be loaded "
                f"as a PEM certificate chain and its key ({_reason(exc)})"
            ) from None
    return ctx


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return exc.reason.replace("_", " ").lower()
    return type(exc).__name__ if not str(exc) else str(exc)


#: OpenSSL reasons that mean the vendor refused (or never asked for) our client certificate.
_CLIENT_CERT_REFUSED = (
    "CERTIFICATE_REQUIRED",
    "BAD_CERTIFICATE",
    "CERTIFICATE_UNKNOWN",
    "UNKNOWN_CA",
    "CERTIFICATE_REVOKED",
    "CERTIFICATE_EXPIRED",
    "HANDSHAKE_FAILURE",
    "ACCESS_DENIED",
)


def describe_tls_error(exc: ssl.SSLError) -> str:
    """'TLS failure: …' with the reason and what it most likely means for the operator."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = exc.verify_message or "certificate verify failed"
        return (
            f"TLS failure: the vendor's server certificate was rejected ({detail}); "
            "check ca_bundle and the base_url host name"
        )
    if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return (
            f"TLS failure: the vendor closed the connection during the handshake ({_reason(exc)}); "
            "its server probably refused our client certificate or TLS version"
        )
    reason = exc.reason or type(exc).__name__
    if any(marker in reason for marker in _CLIENT_CERT_REFUSED):
        return (
            f"TLS failure: the vendor refused the handshake ({_reason(exc)}); "
            "its server probably rejected or did not receive our client certificate"
        )
    return f"TLS failure: {_reason(exc)}"


def shared_ssl_context(
    client_cert: Path | None,
    client_key: Path | None,
    ca_bundle: Path | None,
    verify: bool = True,
) -> ssl.SSLContext:
    """`build_ssl_context`, built once per distinct configuration and shared.

    Loading a CA store costs tens of milliseconds of CPU on the event loop; with one context per
    adapter client a 24-vendor fan-out spent a second building them. A context can serve any
    number of connections, so adapters with the same TLS material share one. The files'
    modification times are part of the key: a renewed certificate gets a new context.
    """
    return _cached_context(
        _file_key(client_cert), _file_key(client_key), _file_key(ca_bundle), verify
    )


def _file_key(path: Path | None) -> tuple[str, int] | None:
    if path is None:
        return None
    try:
        return str(path), path.stat().st_mtime_ns
    except OSError:
        return str(path), -1


@functools.lru_cache(maxsize=64)
def _cached_context(
    client_cert: tuple[str, int] | None,
    client_key: tuple[str, int] | None,
    ca_bundle: tuple[str, int] | None,
    verify: bool,
) -> ssl.SSLContext:
    return build_ssl_context(
        Path(client_cert[0]) if client_cert else None,
        Path(client_key[0]) if client_key else None,
        Path(ca_bundle[0]) if ca_bundle else None,
        verify,
    )
