"""RS-SAS-RDV messages: built from the platform's data, one per version, checked against the
plugin's schema and the Hub's own (`EDXL-DE-full.schema.json`, where the schemas win over the
IG page), and recorded `failed` with the reason when they cannot be sent."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from sas_core.appointments.forwarding import DeliveryStore
from sas_core.cli.main import cli
from sas_core.registry.lrms import LrmDirectory
from sas_lrm.messages import hub_instant
from sas_lrm.schemas import InvalidMessage, MessageSchemas
from sas_lrm.settings import LrmSettings
from sas_lrm.snapshots import wrap
from tests.conftest import SHARED

from .conftest import HUB_SCHEMAS, Platform, needs_hub_schemas

EXAMPLES = SHARED / "spec" / "hub-sante" / "examples" / "RS-SAS-RDV"
IG_EXAMPLES = SHARED / "spec" / "hub-sante" / "ig-examples"


def example_message() -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["lrm", "render-example", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def appointment_of(message: dict[str, Any]) -> dict[str, Any]:
    embedded = message["content"][0]["jsonContent"]["embeddedJsonContent"]
    return embedded["message"]["appointment"]


def test_instants_are_written_as_the_hub_wants() -> None:
    assert hub_instant(datetime(2025, 10, 28, 16, 5, 54, 123456, tzinfo=UTC)) == (
        "2025-10-28T17:05:54+01:00"
    )


def test_the_example_is_a_complete_report_valid_against_the_plugins_schema() -> None:
    message = example_message()
    MessageSchemas().check(message)
    assert message["distributionKind"] == "Report"
    assert message["distributionID"].startswith(message["senderID"] + "_")
    assert appointment_of(message)["method"] == "CreateAppointment"


@needs_hub_schemas
def test_the_example_is_valid_against_the_hubs_edxl_de_full_schema() -> None:
    assert MessageSchemas(HUB_SCHEMAS).errors(example_message()) == []


@needs_hub_schemas
@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_the_hubs_own_examples_pass_both_schemas_in_our_envelope(name: str) -> None:
    """The plugin's schema is not stricter than the Hub's on the Hub's own payloads."""
    payload = json.loads((EXAMPLES / name).read_text())
    message = wrap(
        LrmSettings(), payload, "fr.health.test.ptfsas_x", "fr.health.samu330", datetime.now(UTC)
    )
    assert MessageSchemas().errors(message) == []
    assert MessageSchemas(HUB_SCHEMAS).errors(message) == []


@needs_hub_schemas
def test_the_ig_report_without_regulator_is_refused_by_both() -> None:
    message = json.loads((IG_EXAMPLES / "ig-edxl-report-ptfsas-to-samu330.json").read_text())
    with pytest.raises(InvalidMessage, match="regulator"):
        MessageSchemas().check(message)
    # The Hub's oneOf says only that no kind matched; the plugin's schema says why.
    with pytest.raises(InvalidMessage, match="'regulator' is a required property"):
        MessageSchemas(HUB_SCHEMAS).check(message)


def _mutations() -> list[tuple[str, Any]]:
    def set_in(path: list[str], value: Any) -> Any:
        def change(appointment: dict[str, Any]) -> None:
            target = appointment
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value

        return change

    return [
        ("lower-camel method (the IG's spelling)", set_in(["method"], "createAppointment")),
        ("upper-case status", set_in(["status"], "PENDING")),
        ("unknown orientation", set_in(["orientationCategory"], "HOPITAL")),
        ("an RPPS without the 8 prefix", set_in(["practitioner", "rppsId"], "10005681340")),
        ("an extra field", set_in(["caseId"], "DRM-1")),
        ("an instant with fractions", set_in(["start"], "2026-12-01T10:00:00.000+01:00")),
        ("an instant in Z", set_in(["start"], "2026-12-01T10:00:00Z")),
    ]


@pytest.mark.parametrize(("what", "mutate"), _mutations(), ids=[m[0] for m in _mutations()])
def test_what_the_hub_would_refuse_the_plugins_schema_refuses(what: str, mutate: Any) -> None:
    message = copy.deepcopy(example_message())
    mutate(appointment_of(message))
    assert MessageSchemas().errors(message), what
    if (HUB_SCHEMAS / "EDXL-DE-full.schema.json").is_file():
        assert MessageSchemas(HUB_SCHEMAS).errors(message), what


# -- the listener: one message per version --------------------------------------------------


def test_each_version_is_recorded_once_as_a_full_snapshot(
    platform: Platform, engine: Engine, samu: str
) -> None:
    appointment_id = platform.book("a-1")
    platform.change("a-1", "cancelled")
    platform.dispatch()  # nothing new: the outbox already told the listener
    messages = DeliveryStore(engine).of_appointment(uuid.UUID(appointment_id))
    assert [(m.version, m.state, m.recipient) for m in messages] == [
        (1, "pending", samu),
        (2, "pending", samu),
    ]
    first, second = (appointment_of_payload(m.payload) for m in messages)
    assert first["method"] == "CreateAppointment" and first["status"] == "booked"
    assert second["method"] == "UpdateAppointment" and second["status"] == "cancelled"
    assert second["regulator"] == {
        "regulatorName": "Martin",
        "regulatorFirstname": "Claire",
        "regulatorEmail": "claire.martin@sas.example",
    }
    assert second["orientationCategory"] == "PS"
    assert "practitioner" not in second  # the vendor gave no name: left out, as allowed
    assert messages[0].distribution_id.endswith(f"{appointment_id}.v1")


def appointment_of_payload(payload: dict[str, Any] | None) -> dict[str, Any]:
    assert payload is not None
    return payload["appointment"]


def test_a_practitioner_named_by_the_vendor_is_sent(platform: Platform, engine: Engine) -> None:
    body = json.loads(platform.resource("a-2"))
    body["participant"][0]["actor"]["display"] = "DUPONT Jean"
    appointment_id = platform.book("a-2", participant=body["participant"])
    (message,) = DeliveryStore(engine).of_appointment(uuid.UUID(appointment_id))
    assert appointment_of_payload(message.payload)["practitioner"] == {
        "rppsId": "810100050075",
        "lastName": "DUPONT",
        "firstName": "Jean",
    }


def test_sos_appointments_are_oriented_sos_with_status_pending(
    platform: Platform, engine: Engine
) -> None:
    from tests.web.conftest import sos_pending

    body = sos_pending("sos-9")
    body["extension"][0]["valueReference"]["identifier"]["value"] = platform.operator
    result = platform.intake.create(json.dumps(body).encode(), "acme")
    platform.dispatch()
    (message,) = DeliveryStore(engine).of_appointment(result.appointment.id)
    sent = appointment_of_payload(message.payload)
    assert (sent["orientationCategory"], sent["status"]) == ("SOS", "pending")


def test_a_territory_without_samu_is_recorded_failed_naming_it(
    platform: Platform, engine: Engine
) -> None:
    LrmDirectory(engine).remove("samu33")
    appointment_id = platform.book("a-3")
    (message,) = DeliveryStore(engine).of_appointment(uuid.UUID(appointment_id))
    assert message.state == "failed"
    assert "SAS-33 has no SAMU configured" in (message.last_error or "")


def test_an_unknown_regulator_is_recorded_failed(platform: Platform, engine: Engine) -> None:
    platform.operator = str(uuid.uuid4())
    appointment_id = platform.book("a-4")
    (message,) = DeliveryStore(engine).of_appointment(uuid.UUID(appointment_id))
    assert message.state == "failed"
    assert "unknown to the platform" in (message.last_error or "")


# -- the commands ------------------------------------------------------------------------------


def test_render_prints_the_message_of_the_current_version(platform: Platform) -> None:
    appointment_id = platform.book("a-5")
    platform.change("a-5", "fulfilled")
    result = CliRunner().invoke(cli, ["lrm", "render", appointment_id, "--format", "json"])
    assert result.exit_code == 0, result.output
    message = json.loads(result.output)
    MessageSchemas().check(message)
    assert appointment_of(message)["status"] == "fulfilled"
    assert message["distributionID"].endswith(".v2")


@pytest.mark.parametrize("argument", ["not-a-uuid", str(uuid.uuid4())])
def test_render_refuses_an_unknown_appointment_with_exit_2(argument: str) -> None:
    result = CliRunner().invoke(cli, ["lrm", "render", argument])
    assert result.exit_code == 2
    assert "Error:" in result.output and "Traceback" not in result.output


def test_status_json_counts_every_state_and_shows_the_last_error(
    platform: Platform, engine: Engine
) -> None:
    platform.book("a-6")
    LrmDirectory(engine).remove("samu33")
    platform.book("a-7")
    result = CliRunner().invoke(cli, ["lrm", "status", "--format", "json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert {k: status[k] for k in ("pending", "delivered", "failed", "parked")} == {
        "pending": 1,
        "delivered": 0,
        "failed": 1,
        "parked": 0,
    }
    failed = [m for m in status["messages"] if m["state"] == "failed"]
    assert "no SAMU configured" in failed[0]["last_error"]
    assert "claire.martin" not in result.output  # the payload stays out of the status


def test_the_registry_commands_keep_lrms_and_refuse_bad_values() -> None:
    runner = CliRunner()
    added = runner.invoke(
        cli,
        [
            "lrm",
            "registry",
            "add",
            "samu69",
            "--origin",
            "lrm-69",
            "--hub-client-id",
            "fr.health.samu690",
            "--territory",
            "SAS-69",
        ],
    )
    assert added.exit_code == 0, added.output
    listed = json.loads(runner.invoke(cli, ["lrm", "registry", "list", "--format", "json"]).output)
    assert listed == [
        {
            "name": "samu69",
            "origin": "lrm-69",
            "hub_client_id": "fr.health.samu690",
            "territory": "SAS-69",
            "active": True,
        }
    ]
    bad = runner.invoke(
        cli,
        [
            "lrm",
            "registry",
            "add",
            "x",
            "--origin",
            "o",
            "--hub-client-id",
            "samu690",
            "--territory",
            "SAS-69",
        ],
    )
    assert bad.exit_code == 2 and "fr.health." in bad.output
    taken = runner.invoke(
        cli,
        [
            "lrm",
            "registry",
            "add",
            "y",
            "--origin",
            "lrm-69",
            "--hub-client-id",
            "fr.health.samu691",
            "--territory",
            "SAS-69",
        ],
    )
    assert taken.exit_code == 2 and "already" in taken.output


def test_the_registry_answers_origins_for_the_contextual_search(engine: Engine) -> None:
    directory = LrmDirectory(engine)
    found = directory.by_origin("lrm-33.example")
    assert found is not None and found.territory == "SAS-33"
    assert directory.by_origin("unknown") is None
