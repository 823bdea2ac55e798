"""Which vendor a request comes from: the client certificate's CN/OU against an allow-list
(digest §2: the receiving side checks CN and OU), or the development vendor without TLS.

The certificate is read from the ASGI TLS extension (see `sas_web.tls`), or — behind a reverse
proxy that terminates TLS — from the `X-SSL-Client-Cert` header (URL-encoded PEM, nginx's
`$ssl_client_escaped_cert`), trusted only when the connection comes from a configured proxy
address. The proxy is then the one that verifies the chain against the client CA.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

from cryptography import x509
from cryptography.x509.oid import NameOID

from sas_core.fhir.outcomes import FhirRefusal, Issue
from sas_core.serving.security_log import security_event

#: The vendor every request is attributed to in `--insecure-dev` mode.
DEV_VENDOR = "dev-vendor"
#: The header a TLS-terminating proxy forwards the verified client certificate in.
CLIENT_CERT_HEADER = "x-ssl-client-cert"


@dataclass(frozen=True, slots=True)
class VendorRule:
    """A certificate with this CN (and this OU, when given) is vendor `name`."""

    name: str
    cn: str
    ou: str | None = None

    @classmethod
    def parse(cls, text: str) -> VendorRule:
        """`NAME:CN[:OU]`, the form of `--vendor` and `SAS_SERVE_VENDORS`."""
        parts = [p.strip() for p in text.split(":")]
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"a vendor is NAME:CN[:OU], got {text!r}")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else None)


class VendorIdentity(Protocol):
    """Decides the vendor of a request from its ASGI scope; raises FhirRefusal(403) if none."""

    def vendor_of(self, scope: Mapping[str, Any], headers: Mapping[str, str]) -> str: ...


class DevelopmentVendor:
    """`--insecure-dev`: no TLS, every request is the development vendor."""

    def vendor_of(self, scope: Mapping[str, Any], headers: Mapping[str, str]) -> str:
        return DEV_VENDOR


class CertificateAllowList:
    """The vendor whose rule matches the client certificate; 403 for any other certificate,
    logged as a `vendor_refused` security event."""

    def __init__(self, rules: Iterable[VendorRule], trusted_proxies: Iterable[str] = ()) -> None:
        self.rules = tuple(rules)
        self.trusted_proxies = tuple(ipaddress.ip_network(p, strict=False) for p in trusted_proxies)

    def vendor_of(self, scope: Mapping[str, Any], headers: Mapping[str, str]) -> str:
        pem = self._certificate(scope, headers)
        if pem is None:
            _refused(scope, "no_certificate")
            raise FhirRefusal(
                403,
                Issue(
                    "no client certificate: this endpoint requires mutual TLS", None, "forbidden"
                ),
            )
        try:
            subject = x509.load_pem_x509_certificate(pem.encode()).subject
        except ValueError:
            _refused(scope, "unreadable_certificate")
            raise FhirRefusal(
                403, Issue("the client certificate cannot be read", None, "forbidden")
            ) from None
        cns = {str(a.value) for a in subject.get_attributes_for_oid(NameOID.COMMON_NAME)}
        ous = {
            str(a.value) for a in subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
        }
        for rule in self.rules:
            if rule.cn in cns and (rule.ou is None or rule.ou in ous):
                return rule.name
        _refused(scope, "not_in_allow_list", cn=",".join(sorted(cns)), ou=",".join(sorted(ous)))
        raise FhirRefusal(
            403,
            Issue(
                f"the client certificate (CN={', '.join(sorted(cns)) or '-'}, "
                f"OU={', '.join(sorted(ous)) or '-'}) is not in the vendor allow-list",
                None,
                "forbidden",
            ),
        )

    def _certificate(self, scope: Mapping[str, Any], headers: Mapping[str, str]) -> str | None:
        forwarded = headers.get(CLIENT_CERT_HEADER)
        if forwarded and self._from_trusted_proxy(scope):
            return unquote(forwarded)
        tls = (scope.get("extensions") or {}).get("tls") or {}
        chain = tls.get("client_cert_chain") or []
        return str(chain[0]) if chain else None

    def _from_trusted_proxy(self, scope: Mapping[str, Any]) -> bool:
        """Whether the socket's peer is a configured proxy: `scope["client"]` is that peer, as
        `AsgiServer` never lets uvicorn rewrite it from `X-Forwarded-For`."""
        client = scope.get("client")
        if not client or not self.trusted_proxies:
            return False
        try:
            address = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        return any(address in network for network in self.trusted_proxies)


def _refused(
    scope: Mapping[str, Any], reason: str, cn: str | None = None, ou: str | None = None
) -> None:
    client = scope.get("client")
    security_event(
        "vendor_refused",
        reason=reason,
        client=client[0] if client else None,
        path=scope.get("path"),
        cn=cn,
        ou=ou,
    )
