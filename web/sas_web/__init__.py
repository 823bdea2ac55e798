"""The platform's web application (Litestar): today the vendor-facing FHIR endpoint under
`/fhir` (INT_R03 appointment reporting); the regulator and platform-team pages mount on the same
app later (ROADMAP item 3). Business rules live in `sas_core`; this package only speaks HTTP.

The names below are imported on first use (PEP 562): `sas --help` imports `sas_web.commands` to
list `serve` and `oidc`, and must not pay for Litestar and the whole app to do so.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sas_web.app import APPOINTMENT_BODY_MAX_BYTES, create_app
    from sas_web.vendors import (
        DEV_VENDOR,
        CertificateAllowList,
        DevelopmentVendor,
        VendorIdentity,
        VendorRule,
    )

#: Each public name → the module that defines it.
_SOURCES = {
    "APPOINTMENT_BODY_MAX_BYTES": "sas_web.app",
    "create_app": "sas_web.app",
    "DEV_VENDOR": "sas_web.vendors",
    "CertificateAllowList": "sas_web.vendors",
    "DevelopmentVendor": "sas_web.vendors",
    "VendorIdentity": "sas_web.vendors",
    "VendorRule": "sas_web.vendors",
}

__all__ = [
    "APPOINTMENT_BODY_MAX_BYTES",
    "DEV_VENDOR",
    "CertificateAllowList",
    "DevelopmentVendor",
    "VendorIdentity",
    "VendorRule",
    "create_app",
]


def __getattr__(name: str) -> Any:
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(source), name)
