"""`sas regulators`: the platform's regulators and their accounts at the vendors (INT_R02).

The commands only parse, call the services of `sas_core.accounts` and print; the web front will
call the same services. Which vendors serve a territory comes from the territory registry
(`sas registry`): the adapters enabled there in connected-test or production.

Exit codes as every command: 2 for a wrong command line or value (malformed id, e-mail,
territory), 1 when the operation failed (unknown regulator, e-mail taken, unusable database,
or every vendor call made failed), else 0.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn

import click
from sqlalchemy.engine import Engine

from sas_core.accounts.models import Regulator
from sas_core.accounts.regulators import (
    AccountError,
    AccountState,
    AccountStateError,
    add_regulator,
    get_regulator,
    list_regulators,
    update_regulator,
)
from sas_core.accounts.retries import retry_due
from sas_core.accounts.sync import (
    SyncReport,
    deactivate_regulator,
    regulator_logged_in,
    withdraw_outside_territory,
)
from sas_core.cli.context import open_platform_database, plugin_host
from sas_core.cli.main import EXIT_FAILED, EXIT_USAGE
from sas_core.cli.output import echo_table, stderr
from sas_core.plugins.host import PluginHost
from sas_core.registry.adapters_file import AdapterDirectory
from sas_core.registry.directory import RegistryDirectory

#: Outcomes of a call that reached a verdict; the others failed or sent nothing.
SUCCEEDED = frozenset({"created", "updated"})
FAILED = frozenset({"rejected", "retry"})


@click.group("regulators")
def regulators_group() -> None:
    """Manage regulators and sync their accounts to the vendors of their territory."""


def _fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(code)


def _regulator_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a regulator id (a UUID, as `sas regulators add` prints)",
            param_hint="ID",
        ) from None


def _services(call: Callable[[], Any]) -> Any:
    """Run a service call, turning its refusals into the CLI's messages and exit codes."""
    try:
        return call()
    except AccountStateError as exc:
        _fail(str(exc))
    except AccountError as exc:
        _fail(str(exc), EXIT_USAGE)


def _with_vendors(
    engine: Engine,
    work: Callable[[PluginHost, AdapterDirectory], Awaitable[list[SyncReport]]],
) -> list[SyncReport]:
    """Load the plugins, run `work` on the registry's adapters, then close those it used."""
    host = plugin_host()
    directory = RegistryDirectory(engine, host)

    async def run() -> list[SyncReport]:
        try:
            return await work(host, directory)
        finally:
            for adapter in directory.built.values():
                await host.close_adapter(adapter)

    result: list[SyncReport] = _services(lambda: asyncio.run(run()))
    return result


def _report(reports: Sequence[SyncReport]) -> None:
    """One line per call on stderr, then a per-adapter summary; exit 1 if every call failed."""
    for r in reports:
        status = f" HTTP {r.http_status}" if r.http_status else ""
        action = f"{r.action.value} " if r.action else ""
        error = f": {r.error}" if r.error else ""
        stderr.print(f"{r.regulator_id} → {r.adapter}: {action}{r.outcome}{status}{error}")
    if not reports:
        stderr.print("nothing to send: no adapter concerned (see `sas registry show`)")
        return
    counts: dict[str, Counter[str]] = {}
    for r in reports:
        counts.setdefault(r.adapter, Counter())[r.outcome] += 1
    columns = [
        "created",
        "updated",
        "unchanged",
        "in-flight",
        "retry",
        "rejected",
        "unknown-adapter",
    ]
    echo_table(
        ["adapter", *columns],
        [[name, *(c[k] or "" for k in columns)] for name, c in sorted(counts.items())],
        title="account sync",
    )
    made = [r for r in reports if r.outcome in SUCCEEDED | FAILED]
    if made and all(r.outcome in FAILED for r in made):
        raise SystemExit(EXIT_FAILED)


@regulators_group.command("add")
@click.option("--family", required=True, help="Family name.")
@click.option("--given", required=True, help="Given name (one).")
@click.option("--email", required=True, help="E-mail: the regulator's SAS login.")
@click.option("--territory", required=True, help="SAS territory, e.g. SAS-33.")
@click.option("--national-id", help="IDNPS when known, prefixed (e.g. 810002673899).")
def add(family: str, given: str, email: str, territory: str, national_id: str | None) -> None:
    """Register a regulator and print their id (vendors are told at their first login)."""
    engine = open_platform_database()
    try:
        regulator: Regulator = _services(
            lambda: add_regulator(
                engine,
                family=family,
                given=given,
                email=email,
                territory=territory,
                national_id=national_id,
            )
        )
    finally:
        engine.dispose()
    click.echo(str(regulator.id))


@regulators_group.command("update")
@click.argument("regulator_id", metavar="ID")
@click.option("--family", help="New family name.")
@click.option("--given", help="New given name.")
@click.option("--email", help="New e-mail.")
@click.option("--territory", help="New territory, e.g. SAS-33.")
@click.option("--national-id", help="National id (IDNPS); setting it re-keys the accounts.")
def update(regulator_id: str, **changes: str | None) -> None:
    """Change a regulator; vendors are told at the next login or `sas regulators sync`.

    Setting the national id makes the next sync a re-keying PUT on the old identifier
    (digest §7.3). A new territory withdraws the accounts at the vendors not enabled in it
    at once (`active=false`, §7.4); the new territory's are created at the next login.
    """
    wanted = {k: v for k, v in changes.items() if v is not None}
    if not wanted:
        raise click.UsageError("nothing to change: give at least one of the options")
    key = _regulator_id(regulator_id)
    engine = open_platform_database()
    try:
        regulator: Regulator = _services(lambda: update_regulator(engine, key, wanted))
        click.echo(f"{regulator.id} updated; vendors are told at the next login or sync")
        if "territory" in wanted:
            _report(
                _with_vendors(
                    engine, lambda host, d: withdraw_outside_territory(engine, host, d, key)
                )
            )
    finally:
        engine.dispose()


@regulators_group.command("deactivate")
@click.argument("regulator_id", metavar="ID")
def deactivate(regulator_id: str) -> None:
    """Withdraw a regulator: stored, then `active=false` sent at once to every vendor that has
    the account (digest §7.4); a vendor that cannot be reached is retried later."""
    key = _regulator_id(regulator_id)
    engine = open_platform_database()
    try:
        reports = _with_vendors(engine, lambda host, d: deactivate_regulator(engine, host, d, key))
    finally:
        engine.dispose()
    _report(reports)


@regulators_group.command("sync")
@click.argument("regulator_id", metavar="[ID]", required=False)
@click.option("--login", is_flag=True, help="Record it as a login of the regulator(s).")
@click.option("--force", is_flag=True, help="Send even what the vendor already has.")
def sync(regulator_id: str | None, login: bool, force: bool) -> None:
    """Do what a login does for one regulator (or every active one), then retry what is due.

    Only vendors enabled in the regulator's territory, and only what changed since each was
    last told, unless --force (digest §7.1).
    """
    key = _regulator_id(regulator_id) if regulator_id else None
    engine = open_platform_database()
    try:
        if key is None:
            targets = [r for r, _ in list_regulators(engine, active_only=True)]
        else:
            targets = [_services(lambda: get_regulator(engine, key))]

        async def work(host: PluginHost, directory: AdapterDirectory) -> list[SyncReport]:
            reports: list[SyncReport] = []
            for regulator in targets:
                if regulator.active:
                    reports += await regulator_logged_in(
                        engine, host, directory, regulator.id, force=force, record_login=login
                    )
            ids = None if key is None else [key]
            return reports + await retry_due(engine, host, directory, regulator_ids=ids)

        reports = _with_vendors(engine, work)
    finally:
        engine.dispose()
    _report(reports)


def _as_dict(regulator: Regulator, accounts: Sequence[AccountState]) -> dict[str, Any]:
    """One element of `show --format json` (a public contract: `id`, `active`, `accounts`)."""
    return {
        **regulator.model_dump(mode="json"),
        "accounts": [a.as_dict() for a in accounts],
    }


@regulators_group.command("show")
@click.argument("regulator_id", metavar="[ID]", required=False)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def show(regulator_id: str | None, fmt: str) -> None:
    """Show regulators and, per adapter, the state of their account there.

    `--format json` always prints an array (one element with ID).
    """
    key = _regulator_id(regulator_id) if regulator_id else None
    engine = open_platform_database()
    try:
        everyone = list_regulators(engine)
    finally:
        engine.dispose()
    chosen = [(r, a) for r, a in everyone if key is None or r.id == key]
    if key is not None and not chosen:
        if fmt == "json":
            click.echo("[]")
        _fail(f"no regulator {key}")
    if fmt == "json":
        click.echo(json.dumps([_as_dict(r, a) for r, a in chosen], indent=2, ensure_ascii=False))
        return
    rows = [
        [
            r.id,
            f"{r.given} {r.family}",
            r.national_id or "",
            r.territory or "",
            "yes" if r.active else "no",
            account.adapter if account else "—",
            _account_cell(account) if account else "",
        ]
        for r, accounts in chosen
        for account in (list[AccountState | None](accounts) or [None])
    ]
    echo_table(
        ["id", "name", "national id", "territory", "active", "adapter", "account"],
        rows,
        title="regulators",
    )


def _account_cell(account: AccountState) -> str:
    if account.state == "retrying" and account.next_attempt_at is not None:
        return f"retrying (attempt {account.attempts}, next {account.next_attempt_at:%H:%M:%S} UTC)"
    if account.state == "rejected" and account.last_error:
        return f"rejected: {account.last_error}"
    return account.state
