"""`sas lrm`: forwarding appointments to the SAMUs' LRMs through Hub Santé (INT_L02).

The plugin contributes the group through the `sas_connect.commands` entry point; every command
parses its input, calls the plugin's or the core's services and prints the result.
"""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

import click

from sas_core.cli.main import EXIT_FAILED, EXIT_USAGE

# `sas --help` imports this module to list the group: what the commands run (storage, the
# broker's client, the schemas) is imported in their bodies, when they run.
if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from sas_core.appointments.models import ForwardedMessage
    from sas_lrm.forwarder import Forwarder
    from sas_lrm.settings import LrmSettings
    from sas_lrm.standin import Answers

FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
JSON_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True
)
#: The synthetic appointment `render-example` builds its message from.
EXAMPLE_ID = uuid.UUID("6f1c2a9e-3b8d-4c5e-9a7f-0d2e4b6c8a10")
EXAMPLE_RECIPIENT = "fr.health.samu330"


@click.group("lrm")
def lrm_group() -> None:
    """Forward appointments to the SAMUs' LRMs through Hub Santé."""


def _fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(code)


def _settings() -> LrmSettings:
    from sas_lrm.settings import LrmSettings

    try:
        return LrmSettings()
    except ValueError as exc:
        _fail(f"invalid SAS_LRM_* settings: {' '.join(str(exc).split())}", EXIT_USAGE)


def _engine() -> Engine:
    from sqlalchemy.exc import SQLAlchemyError

    from sas_core.cli.context import platform_settings
    from sas_core.storage import SchemaNotCurrentError, open_database

    try:
        return open_database(platform_settings())
    except (SQLAlchemyError, SchemaNotCurrentError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        _fail(f"cannot use the database: {reason}")


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


# -- the messages ---------------------------------------------------------------------------------


@lrm_group.command("render")
@click.argument("appointment_id")
@JSON_FORMAT
def render(appointment_id: str, fmt: str) -> None:
    """Print the message the LRM would receive for an appointment's current version.

    The EDXL-DE envelope with its RS-SAS-RDV, addressed to the SAMU of the booking regulator's
    territory and checked against the schemas; exit 1 naming what is missing or invalid.
    """
    from sas_core.appointments.intake import to_domain
    from sas_core.storage.appointments import get_appointment
    from sas_lrm.schemas import MessageSchemas
    from sas_lrm.snapshots import snapshot, wrap

    try:
        key = uuid.UUID(appointment_id)
    except ValueError:
        _fail(f"{appointment_id!r} is not an appointment id (a UUID)", EXIT_USAGE)
    settings = _settings()
    engine = _engine()
    try:
        row = get_appointment(engine, str(key))
        if row is None:
            _fail(f"no appointment {key}", EXIT_USAGE)
        now = datetime.now(UTC)
        found = snapshot(
            engine,
            settings,
            MessageSchemas(settings.hub_schemas),
            to_domain(row),
            version=row.version,
            created=row.version == 1,
            now=now,
        )
    finally:
        engine.dispose()
    if found.payload is None or found.recipient is None or found.problems:
        _fail(f"appointment {key} cannot be sent: {found.error}")
    _echo_json(wrap(settings, found.payload, found.distribution_id, found.recipient, now))


@lrm_group.command("render-example")
@JSON_FORMAT
def render_example(fmt: str) -> None:
    """Print a complete message built from a synthetic appointment (the contract's example).

    An EDXL-DE `Report` to `fr.health.samu330` carrying an RS-SAS-RDV `CreateAppointment`, valid
    against the Hub's `EDXL-DE-full.schema.json`; no database is read.
    """
    from sas_core import Appointment, AppointmentStatus
    from sas_lrm.messages import Booker, Party, appointment_payload, distribution_id
    from sas_lrm.schemas import InvalidMessage, MessageSchemas
    from sas_lrm.snapshots import wrap

    settings = _settings()
    now = datetime.now(UTC).replace(microsecond=0)
    start = (now + timedelta(days=1)).replace(hour=14, minute=0, second=0)
    appointment = Appointment(
        id=EXAMPLE_ID,
        identifier="https://vendor.example/appointments|RDV-0001",
        adapter="example",
        status=AppointmentStatus.BOOKED,
        start=start,
        end=start + timedelta(minutes=20),
        created=now,
        operator="urn:oid:1.2.250.1.71.4.2.1|3620100057/70326SR",
        practitioner="810005681340",
        version=1,
    )
    payload = appointment_payload(
        appointment,
        method="CreateAppointment",
        created=now,
        booker=Booker("MARTIN", "Claire", "claire.martin@sas.example", "3620100057/70326SR"),
        orientation="PS",
        practitioner=Party("810005681340", "MOREL Didier"),
    )
    did = distribution_id(settings.client_id, EXAMPLE_ID, 1)
    message = wrap(settings, payload, did, EXAMPLE_RECIPIENT, now)
    try:
        MessageSchemas(settings.hub_schemas).check(message)
    except InvalidMessage as exc:
        _fail(str(exc))
    _echo_json(message)


# -- where the messages stand ---------------------------------------------------------------------


def _message_view(message: ForwardedMessage) -> dict[str, Any]:
    """A message for `status`: where it stands, never its payload (the regulator's e-mail)."""

    def iso(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "appointment_id": str(message.appointment_id),
        "version": message.version,
        "distribution_id": message.distribution_id,
        "recipient": message.recipient,
        "state": message.state,
        "attempts": message.attempts,
        "last_error": message.last_error,
        "last_error_code": message.last_error_code,
        "created_at": iso(message.created_at),
        "published_at": iso(message.published_at),
        "delivered_at": iso(message.delivered_at),
        "next_attempt_at": iso(message.next_attempt_at),
    }


@lrm_group.command("status")
@FORMAT
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
def status(fmt: str, limit: int) -> None:
    """Where the messages to the LRMs stand: counts, and the newest messages with their last
    error.

    `--format json` prints {pending, delivered, failed, parked, published, messages}: `pending`
    counts every message not delivered nor given up (`published` ones, awaiting the LRM's final
    acknowledgement, included).
    """
    from sas_core.appointments.forwarding import DeliveryStore
    from sas_core.cli.output import echo_table

    engine = _engine()
    try:
        store = DeliveryStore(engine)
        counts = store.counts()
        messages = store.messages(limit=limit)
    finally:
        engine.dispose()
    summary = {
        "pending": counts["pending"] + counts["published"],
        "delivered": counts["delivered"],
        "failed": counts["failed"],
        "parked": counts["parked"],
        "published": counts["published"],
    }
    if fmt == "json":
        _echo_json({**summary, "messages": [_message_view(m) for m in messages]})
        return
    click.echo(", ".join(f"{name} {count}" for name, count in summary.items()))
    echo_table(
        ["appointment", "version", "state", "tries", "recipient", "last error"],
        [
            (m.appointment_id, m.version, m.state, m.attempts, m.recipient, m.last_error)
            for m in messages
        ],
    )


# -- the registered LRMs ---------------------------------------------------------------------------


@lrm_group.group("registry")
def registry_group() -> None:
    """The LRMs the platform knows: origin (INT_L01), SAMU client id, territory."""


@registry_group.command("add")
@click.argument("name")
@click.option("--origin", required=True, help="The `origin` the LRM opens searches with.")
@click.option("--hub-client-id", required=True, help="Its SAMU's Hub id, e.g. fr.health.samu330.")
@click.option("--territory", required=True, help="The territory it regulates, e.g. SAS-33.")
@click.option("--inactive", is_flag=True, help="Register it switched off.")
def registry_add(
    name: str, origin: str, hub_client_id: str, territory: str, inactive: bool
) -> None:
    """Add an LRM, or replace the one of that name."""
    from sas_core.registry.lrms import LrmDirectory
    from sas_core.registry.models import LrmRegistration, RegistryInputError

    engine = _engine()
    try:
        entry = LrmDirectory(engine).register(
            LrmRegistration(name, origin, hub_client_id, territory, active=not inactive)
        )
    except RegistryInputError as exc:
        _fail(str(exc), EXIT_USAGE)
    finally:
        engine.dispose()
    click.echo(f"{entry.name}: {entry.hub_client_id} for {entry.territory}")


@registry_group.command("list")
@FORMAT
def registry_list(fmt: str) -> None:
    """The registered LRMs. `--format json`: [{name, origin, hub_client_id, territory, active}]."""
    from sas_core.cli.output import echo_table
    from sas_core.registry.lrms import LrmDirectory

    engine = _engine()
    try:
        entries = LrmDirectory(engine).all()
    finally:
        engine.dispose()
    if fmt == "json":
        _echo_json([e.as_dict() for e in entries])
        return
    echo_table(
        ["name", "origin", "hub client id", "territory", "active"],
        [(e.name, e.origin, e.hub_client_id, e.territory, e.active) for e in entries],
    )


@registry_group.command("remove")
@click.argument("name")
def registry_remove(name: str) -> None:
    """Forget an LRM."""
    from sas_core.registry.lrms import LrmDirectory

    engine = _engine()
    try:
        removed = LrmDirectory(engine).remove(name)
    finally:
        engine.dispose()
    if not removed:
        _fail(f"no LRM named {name!r}", EXIT_USAGE)
    click.echo(f"{name}: removed")


# -- the broker ---------------------------------------------------------------------------------


@lrm_group.command("ping")
def ping() -> None:
    """Check that the broker answers (exit 1 saying where and why when it does not)."""
    from sas_lrm.transport import connect, where

    settings = _settings()

    async def attempt() -> None:
        connection = await connect(settings, timeout_s=3)
        await connection.close()

    try:
        asyncio.run(attempt())
    except Exception as exc:
        _fail(f"no broker answers at {where(settings)}: {type(exc).__name__}: {exc}")
    click.echo(f"broker answers at {where(settings)}")


@lrm_group.command("forward")
@click.option("--once", is_flag=True, help="Publish what is due, wait for answers, exit.")
@click.option(
    "--wait",
    type=click.FloatRange(0, 600),
    default=5.0,
    show_default=True,
    help="With --once: seconds to wait for acknowledgements.",
)
def forward(once: bool, wait: float) -> None:
    """Publish the recorded messages to the Hub and settle them from its answers, until SIGTERM
    or SIGINT (or, with --once, after one pass)."""
    from aio_pika.exceptions import AMQPError

    from sas_lrm.forwarder import Forwarder
    from sas_lrm.transport import where

    settings = _settings()
    engine = _engine()
    try:
        asyncio.run(_forward(Forwarder(engine, settings), once, wait))
    except (OSError, AMQPError) as exc:
        _fail(f"the broker at {where(settings)} refused or did not answer: {exc}")
    finally:
        engine.dispose()


async def _forward(forwarder: Forwarder, once: bool, wait: float) -> None:
    stop = _stop_on_signals()
    if once:
        asyncio.get_running_loop().call_later(wait, stop.set)
    await forwarder.run(stop)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


@lrm_group.command("hub-standin")
@click.option(
    "--answer",
    default="ack",
    show_default=True,
    help="What the fake LRMs answer: ack, silent, or an error code (e.g. 409, 500).",
)
@click.option("--client", "clients", multiple=True, help="A SAMU client id to serve (repeatable).")
@click.option("--forward", "with_forwarder", is_flag=True, help="Run `sas lrm forward` beside it.")
def hub_standin(answer: str, clients: tuple[str, ...], with_forwarder: bool) -> None:
    """Run a local Hub Santé stand-in on the broker: the `hubsante` exchange, the dispatcher,
    the client queues, and a fake LRM for every registered SAMU (and each --client)."""
    from aio_pika.exceptions import AMQPError

    from sas_core.registry.lrms import LrmDirectory
    from sas_lrm.forwarder import Forwarder
    from sas_lrm.standin import Answers
    from sas_lrm.transport import where

    if answer not in ("ack", "silent") and not answer.isdigit():
        _fail(f"--answer {answer!r}: expected ack, silent or an error code", EXIT_USAGE)
    settings = _settings()
    engine = _engine()
    try:
        samus = {r.hub_client_id for r in LrmDirectory(engine).all() if r.active} | set(clients)
        forwarder = Forwarder(engine, settings) if with_forwarder else None
        asyncio.run(_standin(settings, sorted(samus), Answers(default=answer), forwarder))
    except (OSError, AMQPError) as exc:
        _fail(f"the broker at {where(settings)} refused or did not answer: {exc}")
    finally:
        engine.dispose()


async def _standin(
    settings: LrmSettings, samus: list[str], answers: Answers, forwarder: Forwarder | None
) -> None:
    from sas_core.cli.output import stderr
    from sas_lrm.schemas import MessageSchemas
    from sas_lrm.standin import FakeLrm, HubStandIn, Topology
    from sas_lrm.transport import connect, where

    stop = _stop_on_signals()
    connection = await connect(settings)
    async with connection:
        standin = HubStandIn(
            connection,
            clients=[settings.client_id],
            lrms=[FakeLrm(samu, answers) for samu in samus],
            topology=Topology.for_exchange(settings.exchange),
            schemas=MessageSchemas(settings.hub_schemas),
        )
        await standin.start()
        stderr.print(
            f"hub stand-in on {where(settings)}: exchange {standin.topology.exchange}, "
            f"clients {', '.join(standin.clients)}; the fake LRMs answer {answers.default}"
        )
        if forwarder is not None:
            await forwarder.run(stop)
        else:
            await stop.wait()
