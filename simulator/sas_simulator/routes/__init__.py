"""The simulator's HTTP routes, one Litestar controller per concern; each receives the app's
`SimulatedVendor` as the `vendor` dependency."""

from sas_simulator.routes.accounts import AccountsController
from sas_simulator.routes.agenda import AgendaController
from sas_simulator.routes.faults import FaultsController
from sas_simulator.routes.metadata import MetadataController
from sas_simulator.routes.searches import SearchController

CONTROLLERS = (
    MetadataController,
    SearchController,
    AccountsController,
    AgendaController,
    FaultsController,
)

__all__ = [
    "CONTROLLERS",
    "AccountsController",
    "AgendaController",
    "FaultsController",
    "MetadataController",
    "SearchController",
]
