"""Conformance of a vendor endpoint to the SAS IG, checked the way ANS's connected acceptance
checks it, with a fix hint for every failure (`sas conformance`); and of an Appointment a vendor
is about to report, by the platform's own intake rules (`sas conformance appointment`).

The API the vendor kit's generated tests call::

    from sas_core.conformance import ClientTls, run
    report = run("https://vendor.test/fhir", "ps", tls=ClientTls(cert, key, ca))
    assert report.ok, report.summary
"""

from sas_core.conformance.appointment import check_appointment
from sas_core.conformance.catalogue import CHECKS, CheckInfo
from sas_core.conformance.context import RefusalCerts
from sas_core.conformance.models import MODES, CheckResult, FixHint, Mode, Report, Status
from sas_core.conformance.probe import DEFAULT_DEADLINE_S, DEFAULT_TIMEOUT_S, ClientTls
from sas_core.conformance.rendering import as_json, as_junit, as_text
from sas_core.conformance.runner import run
from sas_core.conformance.scenarios import (
    DEFAULT_RPPS,
    DEFAULT_SIRET,
    association_id,
    practitioner_id,
)

__all__ = [
    "CHECKS",
    "DEFAULT_DEADLINE_S",
    "DEFAULT_RPPS",
    "DEFAULT_SIRET",
    "DEFAULT_TIMEOUT_S",
    "MODES",
    "CheckInfo",
    "CheckResult",
    "ClientTls",
    "FixHint",
    "Mode",
    "RefusalCerts",
    "Report",
    "Status",
    "as_json",
    "as_junit",
    "as_text",
    "association_id",
    "check_appointment",
    "practitioner_id",
    "run",
]
