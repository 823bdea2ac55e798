"""Regulator account sync (digest §7) end to end: the services, the `sas-fhir` plugin, real
sockets to simulated vendors, and the database on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from sas_core.accounts.regulators import (
    AccountError,
    AccountStateError,
    account_calls,
    account_states,
    add_regulator,
    get_regulator,
    update_regulator,
)
from sas_core.accounts.retries import retry_due
from sas_core.accounts.sync import (
    SyncReport,
    backoff,
    deactivate_regulator,
    regulator_logged_in,
    withdraw_outside_territory,
)
from sas_core.plugins.host import PluginHost
from sas_core.plugins.models import AdapterConfig
from sas_core.registry.adapters_file import FileAdapterDirectory, parse_adapters
from sas_core.registry.health import HealthSettings
from sas_core.scheduling.jobs import PlatformJobs, SchedulerSettings
from sas_core.scheduling.scheduler import JobScheduler
from sas_core.storage import create_engine_for, upgrade
from sas_simulator.app import create_app
from sas_simulator.dataset import build_dataset
from sas_simulator.faults import Faults
from sas_simulator.server import SimulatorServer

pytestmark = pytest.mark.anyio

IDNPS = "urn:oid:1.2.250.1.71.4.2.1"
SAS = "urn:oid:1.2.250.1.213.3.6"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'accounts.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    engine = create_engine_for(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def vendors() -> Iterator[dict[str, SimulatorServer]]:
    """Three simulated vendors: a and b serve SAS-33, c serves SAS-75."""
    dataset = build_dataset(practitioners=2)
    servers = {name: SimulatorServer(create_app(dataset)) for name in ("a", "b", "c")}
    for server in servers.values():
        server.start()
    yield servers
    for server in servers.values():
        server.stop()


def directory_for(host: PluginHost, vendors: dict[str, SimulatorServer]) -> FileAdapterDirectory:
    territories = {"a": ["SAS-33"], "b": ["SAS-33", "SAS-2A"], "c": ["SAS-75"]}
    return parse_adapters(
        {
            "adapters": {
                f"vendor-{name}": {
                    "plugin": "sas-fhir",
                    "territories": territories[name],
                    "timeout_s": 2,
                    "settings": {"base_url": server.base_url},
                }
                for name, server in vendors.items()
            }
        },
        host,
    )


@pytest.fixture
async def host() -> AsyncIterator[PluginHost]:
    host = PluginHost.discover(allow=["sas-fhir"])
    yield host
    for name in ("vendor-a", "vendor-b", "vendor-c", "vendor-gone"):
        await host.close_adapter(AdapterConfig(name=name, plugin="sas-fhir"))


@pytest.fixture
def directory(host: PluginHost, vendors: dict[str, SimulatorServer]) -> FileAdapterDirectory:
    return directory_for(host, vendors)


def writes(server: SimulatorServer) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = httpx.get(f"{server.root_url}/_sim/accounts").json()["writes"]
    return data


def vendor_accounts(server: SimulatorServer) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = httpx.get(f"{server.root_url}/_sim/accounts").json()["accounts"]
    return data


def seed_account(server: SimulatorServer, body: dict[str, Any]) -> int:
    """An account the vendor has without the platform having sent it."""
    return httpx.post(f"{server.base_url}/Practitioner", json=body).status_code


def states(engine: Engine, regulator_id: uuid.UUID) -> dict[str, str]:
    return {a.adapter: a.state for a in account_states(engine, regulator_id)}


def new_regulator(engine: Engine, **changes: Any) -> uuid.UUID:
    fields: dict[str, Any] = {
        "family": "Marius",
        "given": "Jules",
        "email": f"jules.{uuid.uuid4().hex[:6]}@test.fr",
        "territory": "SAS-33",
        **changes,
    }
    return add_regulator(engine, **fields).id


@pytest.fixture
async def rid(engine: Engine, host: PluginHost, directory: FileAdapterDirectory) -> uuid.UUID:
    """A regulator of SAS-33 whose first login created the account at vendor-a and vendor-b."""
    regulator_id = new_regulator(engine)
    await regulator_logged_in(engine, host, directory, regulator_id)
    return regulator_id


def assert_withdrawn(
    reports: list[SyncReport], vendors: dict[str, SimulatorServer], identifier: str
) -> None:
    """vendor-a and vendor-b were sent `active=false` by PUT on `identifier`, and hold that."""
    assert sorted((r.adapter, r.action, r.outcome) for r in reports) == [
        ("vendor-a", "deactivate", "updated"),
        ("vendor-b", "deactivate", "updated"),
    ]
    for name in ("a", "b"):
        assert writes(vendors[name])[-1] == {
            "method": "PUT",
            "identifier": identifier,
            "status": 200,
        }
        [account] = vendor_accounts(vendors[name])
        assert account["active"] is False


async def test_login_creates_at_every_adapter_of_the_territory_and_only_there(
    engine: Engine,
    host: PluginHost,
    directory: FileAdapterDirectory,
    vendors: dict[str, SimulatorServer],
) -> None:
    rid = new_regulator(engine)

    reports = await regulator_logged_in(engine, host, directory, rid)

    assert sorted((r.adapter, r.outcome, r.http_status) for r in reports) == [
        ("vendor-a", "created", 201),
        ("vendor-b", "created", 201),
    ]
    assert states(engine, rid) == {"vendor-a": "synced", "vendor-b": "synced"}
    assert [w["method"] for w in writes(vendors["a"])] == ["POST"]
    assert writes(vendors["c"]) == []
    [account] = vendor_accounts(vendors["a"])
    assert account["identifiers"] == [f"{SAS}|{rid}"]
    [state] = [s for s in account_states(engine, rid) if s.adapter == "vendor-a"]
    assert state.vendor_key == f"{SAS}|{rid}"
    assert state.vendor_location == f"{vendors['a'].base_url}/Practitioner/{account['id']}"


async def test_a_second_login_without_change_sends_nothing(
    engine: Engine,
    host: PluginHost,
    directory: FileAdapterDirectory,
    vendors: dict[str, SimulatorServer],
    rid: uuid.UUID,
) -> None:
    again = await regulator_logged_in(engine, host, directory, rid)

    assert {r.outcome for r in again} == {"unchanged"}
    assert len(writes(vendors["a"])) == len(writes(vendors["b"])) == 1


async def test_an_update_is_a_put_and_a_national_id_rekeys_the_uuid(
    engine: Engine,
    host: PluginHost,
    directory: FileAdapterDirectory,
    vendors: dict[str, SimulatorServer],
    rid: uuid.UUID,
) -> None:
    update_regulator(engine, rid, {"family": "Loridon"})
    renamed = await regulator_logged_in(engine, host, directory, rid)
    update_regulator(engine, rid, {"national_id": "810002673899"})
    rekeyed = await regulator_logged_in(engine, host, directory, rid)
    update_regulator(engine, rid, {"email": "new.address@test.fr"})
    by_national = await regulator_logged_in(engine, host, directory, rid)

    assert {(r.outcome, r.http_status) for r in renamed + rekeyed + by_national} == {
        ("updated", 200)
    }
    assert [(w["method"], w["identifier"]) for w in writes(vendors["a"])] == [
        ("POST", None),
        ("PUT", f"{SAS}|{rid}"),
        ("PUT", f"{SAS}|{rid}"),
        ("PUT", f"{IDNPS}|810002673899"),
    ]
    [account] = vendor_accounts(vendors["a"])
    assert account["identifiers"] == [f"{IDNPS}|810002673899"]
    assert account["email"] == "new.address@test.fr"
    assert account["resource"]["name"][0]["family"] == "Loridon"
    assert {s.vendor_key for s in account_states(engine, rid)} == {f"{IDNPS}|810002673899"}


async def test_deactivation_is_sent_at_once_to_every_vendor_with_the_account(
    engine: Engine,
    host: PluginHost,
    directory: FileAdapterDirectory,
    vendors: dict[str, SimulatorServer],
) -> None:
    rid = new_regulator(engine, national_id="810002673899")
    await regulator_logged_in(engine, host, directory, rid)

    reports = await deactivate_regulator(engine, host, directory, rid)

    assert_withdrawn(reports, vendors, f"{IDNPS}|810002673899")
    assert get_regulator(engine, rid).active is False
    with pytest.raises(AccountStateError, match="deactivated"):
        await regulator_logged_in(engine, host, directory, rid)


async def test_a_failing_vendor_is_retried_from_the_database_after_a_restart(
    database_url: str,
    engine: Engine,
    host: PluginHost,
    directory: FileAdapterDirectory,
    vendors: dict[str, SimulatorServer],
) -> None:
    rid = new_regulator(engine)
    vendors["a"].set_faults(Faults(mode="http-500"))
    before = datetime.now(UTC)

    reports = await regulator_logged_in(engine, host, directory, rid)

    outcome = {r.adapter: (r.outcome, r.http_status) for r in reports}
    assert outcome == {"vendor-a": ("retry", 500), "vendor-b": ("created", 201)}
    [state] = [s for s in account_states(engine, rid) if s.adapter == "vendor-a"]
    assert state.state == "retrying"
    assert state.attempts == 1
    assert "HTTP 500" in (state.last_error or "")
    assert state.next_attempt_at is not None
    assert state.next_attempt_at >= before + backoff(1)
    # Not due yet: nothing is sent.
    assert await retry_due(engine, host, directory) == []

    # The platform restarts: new engine, new plugins, new directory; the vendor is back.
    engine.dispose()
    vendors["a"].set_faults(Faults())
    restarted = create_engine_for(database_url)
    host2 = PluginHost.discover(allow=["sas-fhir"])
    later = state.next_attempt_at + timedelta(seconds=1)
    try:
        retried = await retry_due(
            restarted, host2, directory_for(host2, vendors), clock=lambda: later
        )
        assert [(r.adapter, r.outcome, r.http_status) for r in retried] == [
            ("vendor-a", "created", 201)
        ]
        assert states(restarted, rid) == {"vendor-a": "synced", "vendor-b": "synced"}
        # The first POST may have landed, so the retry is a PUT-as-create (digest §7.3).
        assert [(w["method"], w["status"]) for w in writes(vendors["a"])] == [
            ("POST", 500),
            ("PUT", 201),
        ]
        calls = account_calls(restarted, rid)
        assert sorted((c.adapter, c.http_method, c.http_status, c.outcome) for c in calls) == [
            ("vendor-a", "POST", 500, "retry"),
            ("vendor-a", "PUT", 201, "created"),
            ("vendor-b", "POST", 201, "created"),
        ]
        assert calls[-1].matched_on == f"{SAS}|{rid}"
    finally:
        restarted.dispose()


async def test_the_account_retries_job_sends_queued_accounts_as_they_fall_due(
    engine: Engine,
    host: PluginHost,
    directory: FileAdapterDirectory,
    vendors: dict[str, SimulatorServer],
) -> None:
    rid = new_regulator(engine)
    vendors["a"].set_faults(Faults(mode="http-500"))
    await regulator_logged_in(engine, host, directory, rid)
    assert states(engine, rid)["vendor-a"] == "retrying"
    vendors["a"].set_faults(Faults())
    later = datetime.now(UTC) + timedelta(hours=2)
    jobs = PlatformJobs(
        engine, host, directory, SchedulerSettings(), HealthSettings(), clock=lambda: later
    )
    [retries] = [job for job in jobs.jobs() if job.name == "account-retries"]

    outcome = await JobScheduler(engine, [retries], clock=lambda: later).run_job(retries)

    assert (outcome.status, outcome.detail) == ("ok", "1 created")
    assert states(engine, rid) == {"vendor-a": "synced", "vendor-b": "synced"}


async def test_an_unreachable_vendor_and_429_are_retried_with_backoff(
    engine: Engine, host: PluginHost, vendors: dict[str, SimulatorServer]
) -> None:
    vendors["a"].set_faults(Faults(mode="http-429", retry_after_s=7200))
    directory = parse_adapters(
        {
            "adapters": {
                "vendor-a": {
                    "plugin": "sas-fhir",
                    "territories": ["SAS-33"],
                    "settings": {"base_url": vendors["a"].base_url},
                },
                "vendor-gone": {
                    "plugin": "sas-fhir",
                    "territories": ["SAS-33"],
                    "timeout_s": 1,
                    "settings": {"base_url": "http://127.0.0.1:9/fhir"},
                },
            }
        },
        host,
    )
    rid = new_regulator(engine)
    start = datetime.now(UTC)

    reports = await regulator_logged_in(engine, host, directory, rid)

    assert {r.adapter: r.outcome for r in reports} == {"vendor-a": "retry", "vendor-gone": "retry"}
    by_adapter = {s.adapter: s for s in account_states(engine, rid)}
    assert "connection refused" in (by_adapter["vendor-gone"].last_error or "")
    waited = by_adapter["vendor-a"].next_attempt_at
    assert waited is not None and waited >= start + timedelta(seconds=7200)


async def test_a_vendor_that_hangs_is_cut_at_the_deadline_and_retried(
    engine: Engine, host: PluginHost, vendors: dict[str, SimulatorServer]
) -> None:
    vendors["a"].set_faults(Faults(mode="hang"))
    directory = parse_adapters(
        {
            "adapters": {
                "vendor-a": {
                    "plugin": "sas-fhir",
                    "territories": ["SAS-33"],
                    "timeout_s": 0.5,
                    "settings": {"base_url": vendors["a"].base_url},
                }
            }
        },
        host,
    )
    rid = new_regulator(engine)

    [report] = await regulator_logged_in(engine, host, directory, rid)

    assert report.outcome == "retry"
    assert "0.5 s deadline" in (report.error or "")
    assert "may or may not have applied it" in (report.error or "")
    assert states(engine, rid) == {"vendor-a": "retrying"}


async def test_a_refusal_is_final_and_visible(
    engine: Engine,
    host: PluginHost,
    directory: FileAdapterDirectory,
    vendors: dict[str, SimulatorServer],
) -> None:
    """The vendor already has an active account with that national id (409 on POST)."""
    taken = seed_account(
        vendors["a"],
        {
            "resourceType": "Practitioner",
            "identifier": [
                {
                    "type": {
                        "coding": [
                            {
                                "system": "http://interopsante.org/fhir/CodeSystem/fr-v2-0203",
                                "code": "IDNPS",
                            }
                        ]
                    },
                    "system": IDNPS,
                    "value": "810002673899",
                }
            ],
            "active": True,
            "name": [{"family": "Autre", "given": ["Personne"]}],
            "telecom": [{"system": "email", "value": "autre@test.fr"}],
        },
    )
    assert taken == 201
    rid = new_regulator(engine, national_id="810002673899")

    await regulator_logged_in(engine, host, directory, rid)
    again = await regulator_logged_in(engine, host, directory, rid)

    state = {s.adapter: s for s in account_states(engine, rid)}["vendor-a"]
    assert state.state == "rejected"
    assert state.last_http_status == 409
    assert "already exists" in (state.last_error or "")
    assert state.next_attempt_at is None
    assert {r.adapter: r.outcome for r in again}["vendor-a"] == "unchanged"
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert await retry_due(engine, host, directory, clock=lambda: tomorrow) == []


async def test_overlapping_logins_send_once_and_end_synced(
    engine: Engine,
    host: PluginHost,
    directory: FileAdapterDirectory,
    vendors: dict[str, SimulatorServer],
) -> None:
    """Both the first login (no row yet) and a later one after a change (a row to claim)."""
    rid = new_regulator(engine)

    first = await asyncio.gather(*(regulator_logged_in(engine, host, directory, rid) for _ in "12"))
    update_regulator(engine, rid, {"family": "Loridon"})
    second = await asyncio.gather(
        *(regulator_logged_in(engine, host, directory, rid) for _ in "12")
    )

    for reports in (first, second):
        assert sorted(r.outcome for rs in reports for r in rs if r.adapter == "vendor-a") in (
            ["created", "in-flight"],
            ["in-flight", "updated"],
        )
    assert [(w["method"], w["status"]) for w in writes(vendors["a"])] == [
        ("POST", 201),
        ("PUT", 200),
    ]
    assert states(engine, rid) == {"vendor-a": "synced", "vendor-b": "synced"}
    again = await regulator_logged_in(engine, host, directory, rid)
    assert {r.outcome for r in again} == {"unchanged"}


async def test_a_deactivation_is_never_overtaken_by_a_slower_login(
    engine: Engine,
    host: PluginHost,
    directory: FileAdapterDirectory,
    vendors: dict[str, SimulatorServer],
    rid: uuid.UUID,
) -> None:
    update_regulator(engine, rid, {"family": "Loridon"})
    vendors["a"].set_faults(Faults(latency_ms=800))
    login = asyncio.create_task(regulator_logged_in(engine, host, directory, rid))
    await asyncio.sleep(0.3)  # the login's PUT (active) is at the vendor, waiting
    assert states(engine, rid)["vendor-a"] == "pending"
    vendors["a"].set_faults(Faults())

    withdrawn = await deactivate_regulator(engine, host, directory, rid)
    logged_in = await login

    for name in ("a", "b"):
        [account] = vendor_accounts(vendors[name])
        assert account["active"] is False
    assert {r.adapter: r.outcome for r in withdrawn}["vendor-a"] == "in-flight"
    assert {r.adapter: (r.action, r.outcome) for r in logged_in}["vendor-a"] == (
        "deactivate",
        "updated",
    )
    assert states(engine, rid) == {"vendor-a": "synced", "vendor-b": "synced"}
    assert await retry_due(engine, host, directory) == []


def test_regulator_values_are_checked(engine: Engine) -> None:
    with pytest.raises(AccountError, match="territory"):
        new_regulator(engine, territory="Gironde")
    with pytest.raises(AccountError, match="national id"):
        new_regulator(engine, national_id="12 34")
    with pytest.raises(AccountError, match="email"):
        new_regulator(engine, email="not-an-address")
    rid = new_regulator(engine, email="taken@test.fr")
    with pytest.raises(AccountStateError, match=r"e-mail 'taken@test\.fr' is already"):
        new_regulator(engine, email="taken@test.fr")
    with pytest.raises(AccountError, match="cannot change active"):
        update_regulator(engine, rid, {"active": "false"})
    with pytest.raises(AccountStateError, match="no regulator"):
        update_regulator(engine, uuid.uuid4(), {"family": "X"})


def test_corsica_is_stored_under_its_official_code(engine: Engine) -> None:
    rid = new_regulator(engine, territory="SAS-2A")
    assert get_regulator(engine, rid).territory == "SAS-20A"
    assert update_regulator(engine, rid, {"territory": "SAS-2B"}).territory == "SAS-20B"


def test_backoff_doubles_up_to_an_hour_and_respects_retry_after() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert backoff(20) == timedelta(hours=1)
    assert backoff(1, retry_after_s=300) == timedelta(seconds=300)


# -------------------------------------------------------------------------------------------------
# Accounts follow the registry: a move withdraws the accounts of the territory left
# -------------------------------------------------------------------------------------------------


async def test_a_move_withdraws_the_old_territory_at_once_and_creates_the_new_at_login(
    engine: Engine,
    host: PluginHost,
    directory: FileAdapterDirectory,
    vendors: dict[str, SimulatorServer],
    rid: uuid.UUID,
) -> None:
    update_regulator(engine, rid, {"territory": "SAS-75"})
    withdrawn = await withdraw_outside_territory(engine, host, directory, rid)

    assert_withdrawn(withdrawn, vendors, f"{SAS}|{rid}")
    assert writes(vendors["c"]) == []

    at_login = await regulator_logged_in(engine, host, directory, rid)

    assert sorted((r.adapter, r.outcome) for r in at_login) == [
        ("vendor-a", "unchanged"),
        ("vendor-b", "unchanged"),
        ("vendor-c", "created"),
    ]
    [account] = vendor_accounts(vendors["c"])
    assert account["active"] is True
    assert get_regulator(engine, rid).active is True
    assert states(engine, rid) == {"vendor-a": "synced", "vendor-b": "synced", "vendor-c": "synced"}


async def test_a_vendor_both_territories_enable_keeps_the_account(
    engine: Engine,
    host: PluginHost,
    directory: FileAdapterDirectory,
    vendors: dict[str, SimulatorServer],
    rid: uuid.UUID,
) -> None:
    update_regulator(engine, rid, {"territory": "SAS-2A"})
    withdrawn = await withdraw_outside_territory(engine, host, directory, rid)
    at_login = await regulator_logged_in(engine, host, directory, rid)

    assert [(r.adapter, r.action) for r in withdrawn] == [("vendor-a", "deactivate")]
    assert [(r.adapter, r.outcome) for r in at_login] == [
        ("vendor-b", "unchanged"),
        ("vendor-a", "unchanged"),
    ]
    [account] = vendor_accounts(vendors["b"])
    assert account["active"] is True and len(writes(vendors["b"])) == 1


async def test_a_login_withdraws_what_the_registry_no_longer_enables(
    engine: Engine,
    host: PluginHost,
    directory: FileAdapterDirectory,
    vendors: dict[str, SimulatorServer],
    rid: uuid.UUID,
) -> None:
    # vendor-b stops serving SAS-33; no one ran anything since.
    narrower = FileAdapterDirectory(
        directory.adapters, {**directory.territories, "vendor-b": ("SAS-2A",)}
    )

    reports = await regulator_logged_in(engine, host, narrower, rid)

    assert sorted((r.adapter, r.action, r.outcome) for r in reports) == [
        ("vendor-a", None, "unchanged"),
        ("vendor-b", "deactivate", "updated"),
    ]
    [account] = vendor_accounts(vendors["b"])
    assert account["active"] is False


async def test_a_withdrawal_that_failed_is_retried_as_a_withdrawal_and_a_return_reactivates(
    engine: Engine,
    host: PluginHost,
    directory: FileAdapterDirectory,
    vendors: dict[str, SimulatorServer],
    rid: uuid.UUID,
) -> None:
    vendors["a"].set_faults(Faults(mode="http-500"))
    update_regulator(engine, rid, {"territory": "SAS-2A"})
    [failed] = await withdraw_outside_territory(engine, host, directory, rid)
    assert (failed.adapter, failed.action, failed.outcome) == ("vendor-a", "deactivate", "retry")

    vendors["a"].set_faults(Faults())
    later = datetime.now(UTC) + timedelta(hours=2)
    [retried] = await retry_due(engine, host, directory, clock=lambda: later)

    assert (retried.action, retried.outcome) == ("deactivate", "updated")
    [account] = vendor_accounts(vendors["a"])
    assert account["active"] is False

    update_regulator(engine, rid, {"territory": "SAS-33"})
    back = await regulator_logged_in(engine, host, directory, rid)

    assert sorted((r.adapter, r.action, r.outcome) for r in back) == [
        ("vendor-a", "update", "updated"),
        ("vendor-b", None, "unchanged"),
    ]
    [account] = vendor_accounts(vendors["a"])
    assert account["active"] is True
