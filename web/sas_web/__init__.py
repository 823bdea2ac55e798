"""The platform's web application (Litestar): today the vendor-facing FHIR endpoint under
`/fhir` (INT_R03 appointment reporting); the regulator and platform-team pages mount on the same
app later (ROADMAP item 3). Business rules live in `sas_core`; this package only speaks HTTP."""

from sas_web.app import APPOINTMENT_BODY_MAX_BYTES, create_app
from sas_web.vendors import (
    DEV_VENDOR,
    CertificateAllowList,
    DevelopmentVendor,
    VendorIdentity,
    VendorRule,
)

__all__ = [
    "APPOINTMENT_BODY_MAX_BYTES",
    "DEV_VENDOR",
    "CertificateAllowList",
    "DevelopmentVendor",
    "VendorIdentity",
    "VendorRule",
    "create_app",
]
