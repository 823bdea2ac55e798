"""Running the simulator for real: :class:`sas_core.serving.server.AsgiServer` plus the simulator's
fault controls. Tests, the demo and `sas simulator serve` all go through `SimulatorServer`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Litestar

from sas_core.serving.server import GRACEFUL_SHUTDOWN_S, AsgiServer, ServerTls
from sas_core.serving.server import serve_forever as _serve_forever
from sas_simulator.app import fault_state
from sas_simulator.faults import Faults
from sas_simulator.tls import SimulatorTls

__all__ = ["GRACEFUL_SHUTDOWN_S", "ServerTls", "SimulatorServer", "serve_forever"]


class SimulatorServer(AsgiServer):
    """A simulator app served by uvicorn on a background thread; a `SimulatorTls` brings its
    client-subject check as the HTTP protocol."""

    def __init__(self, app: Litestar, **options: Any) -> None:
        tls = options.get("tls")
        if isinstance(tls, SimulatorTls) and options.get("http_protocol") is None:
            options["http_protocol"] = tls.http_protocol()
        super().__init__(app, **options)

    def set_faults(self, faults: Faults) -> None:
        """Replace the faults in-process (the same as `PUT /_sim/faults`)."""
        fault_state(self.app).set(faults)


def serve_forever(
    app: Litestar,
    host: str = "127.0.0.1",
    port: int = 8081,
    tls: ServerTls | None = None,
    *,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM; `ready` receives the FHIR base URL once it answers."""
    _serve_forever(SimulatorServer(app, host=host, port=port, tls=tls), ready=ready)
