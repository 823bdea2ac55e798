"""The simulated vendor's HTTP API: the slot-search FHIR endpoints plus simulator-only controls.

Routes (one controller per concern in `sas_simulator.routes`):
- `GET /fhir/metadata`: CapabilityStatement of a PS-indiv, CPTS and SOS agenda server (digest §1);
- `GET /fhir/Slot?…`: the INT_R01 search (digest §4), INT_R04 with the CPTS includes (§5);
- `GET /fhir/Schedule?…`: the SOS Médecins search (digest §6);
- `POST /fhir/Practitioner`, `PUT /fhir/Practitioner?identifier=SYS|VAL`: regulator accounts
  (INT_R02, digest §7), validated against FrPractitionerRegul (`sas_simulator.accounts`);
- `GET /agenda/{id}`: the booking URL of a practitioner's slots; refused without `origin`, sent
  to the platform's realm without a vendor session (`sas_simulator.sso`), else the booking page;
- `GET /callback`: the OpenID Connect callback; `POST /agenda/{id}/book`: book a slot and report
  it to the platform (INT_R03, `sas_simulator.booking`); `GET /_sim/bookings`: what was booked;
- `GET /site/{id}`: an SOS site's agenda page;
- `GET|PUT /_sim/faults`: read or replace the faults at runtime (outside the FHIR base);
- `GET /_sim/accounts`: the accounts the platform created here, and every write received.

The searches and the account writes are subject to the configured `Faults`, applied after the
request was validated (a bad request is a 400 whatever the faults).

Every error is an OperationOutcome (digest §2) and every FHIR answer is
`Content-Type: application/fhir+json`, the type the test kit expects.
"""

from __future__ import annotations

from datetime import datetime

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide

from sas_core.clock import PARIS
from sas_simulator.booking import ReportSettings
from sas_simulator.dataset import Dataset
from sas_simulator.faults import Faults, FaultState
from sas_simulator.rest import EXCEPTION_HANDLERS
from sas_simulator.routes import CONTROLLERS
from sas_simulator.sso import VendorSso, VendorSsoSettings
from sas_simulator.vendor import SimulatedVendor


def fault_state(app: Litestar) -> FaultState:
    """The live faults of an app made by `create_app`, for in-process tests and tools."""
    vendor = app.state.get("vendor")
    if not isinstance(vendor, SimulatedVendor):
        raise TypeError("this application was not made by sas_simulator.app.create_app")
    return vendor.faults


def create_app(
    dataset: Dataset,
    faults: Faults | None = None,
    *,
    public_base: str | None = None,
    sso: VendorSsoSettings | None = None,
    reporting: ReportSettings | None = None,
) -> Litestar:
    """The simulator application serving `dataset`.

    `public_base` is the root URL clients reach the simulator at (fullUrls, self links and
    booking URLs are built on it); by default it is taken from each request's Host. `sso` makes
    the agenda pages delegate the login to the platform's realm; `reporting` is where bookings
    are reported (INT_R03).
    """
    vendor = SimulatedVendor(
        dataset=dataset,
        faults=FaultState(faults),
        started=datetime.now(PARIS).isoformat(timespec="seconds"),
        public_base=public_base,
        sso=VendorSso(sso) if sso is not None else None,
        reporting=reporting,
    )

    def provide_vendor() -> SimulatedVendor:
        return vendor

    return Litestar(
        route_handlers=list(CONTROLLERS),
        dependencies={"vendor": Provide(provide_vendor, use_cache=True, sync_to_thread=False)},
        exception_handlers=dict(EXCEPTION_HANDLERS),
        state=State({"vendor": vendor}),
        openapi_config=None,
        # The simulator runs inside tests and the CLI: it must not reconfigure their logging.
        logging_config=None,
    )
