"""The simulator as an INT_R02 vendor over real sockets: FrPractitionerRegul, digest §7, §15.3."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from sas_core.accounts.models import Regulator
from sas_core.fhir.accounts import practitioner_regul
from sas_simulator.faults import Faults
from sas_simulator.server import SimulatorServer
from tests.conftest import IG_PACKAGES, needs_ig

IDNPS = "urn:oid:1.2.250.1.71.4.2.1"
SAS = "urn:oid:1.2.250.1.213.3.6"
FHIR_JSON = {"Content-Type": "application/fhir+json"}


def regulator(national_id: str | None = None, **changes: Any) -> Regulator:
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "family": "Loridon",
        "given": "Sébastien",
        "email": f"s.{uuid.uuid4().hex[:8]}@test.fr",
        "national_id": national_id,
        **changes,
    }
    return Regulator(**fields)


def post(server: SimulatorServer, body: object) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/Practitioner", content=json.dumps(body), headers=FHIR_JSON
    )


def put(server: SimulatorServer, token: str, body: object) -> httpx.Response:
    return httpx.put(
        f"{server.base_url}/Practitioner",
        params={"identifier": token},
        content=json.dumps(body),
        headers=FHIR_JSON,
    )


def accounts(server: SimulatorServer) -> dict[str, Any]:
    data: dict[str, Any] = httpx.get(f"{server.root_url}/_sim/accounts").json()
    return data


def regul_examples() -> list[Path]:
    return [
        path
        for root in IG_PACKAGES.values()
        for path in sorted((root / "example").glob("Practitioner-ExamplePractitionerRegul*.json"))
    ]


@needs_ig
@pytest.mark.parametrize("path", regul_examples(), ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_every_ig_regulator_example_is_accepted(server: SimulatorServer, path: Path) -> None:
    example = json.loads(path.read_text(encoding="utf-8"))
    [identifier] = example["identifier"]

    created = put(server, f"{identifier['system']}|{identifier['value']}", example)

    assert created.status_code == 201, created.text
    assert created.headers["Location"].startswith(f"{server.base_url}/Practitioner/")
    again = put(server, f"{identifier['system']}|{identifier['value']}", example)
    assert again.status_code == 200, again.text


@pytest.mark.parametrize("national_id", [None, "810002673899", "3456780581/11242343"])
def test_our_own_practitioner_round_trips(server: SimulatorServer, national_id: str | None) -> None:
    sent = practitioner_regul(regulator(national_id))

    answer = post(server, sent)

    assert answer.status_code == 201, answer.text
    [stored] = accounts(server)["accounts"]
    assert {k: v for k, v in stored["resource"].items() if k != "id"} == sent
    assert answer.headers["Location"] == f"{server.base_url}/Practitioner/{stored['id']}"


def _broken(edit: str) -> dict[str, Any]:
    body = practitioner_regul(regulator("810002673899"))
    broken = copy.deepcopy(body)
    match edit:
        case "no identifier":
            del broken["identifier"]
        case "identifier without type":
            del broken["identifier"][0]["type"]
        case "identifier without value":
            broken["identifier"][0]["value"] = ""
        case "IDNPS system with INTRN type":
            broken["identifier"][0]["type"]["coding"][0]["code"] = "INTRN"
        case "SAS system with IDNPS type":
            broken["identifier"][0]["system"] = SAS
        case "two national ids":
            broken["identifier"].append(copy.deepcopy(broken["identifier"][0]))
        case "no active":
            del broken["active"]
        case "no name":
            del broken["name"]
        case "empty family":
            broken["name"][0]["family"] = " "
        case "two given names":
            broken["name"][0]["given"] = ["Jules", "Jean"]
        case "no telecom":
            del broken["telecom"]
        case "telecom not email":
            broken["telecom"][0]["system"] = "phone"
        case "empty e-mail":
            broken["telecom"][0]["value"] = ""
        case "foreign meta.source":
            broken["meta"]["source"] = "urn:oid:1.2.3"
    return broken


INVALID = {
    "no identifier": "Practitioner.identifier",
    "identifier without type": "Practitioner.identifier[0].type",
    "identifier without value": "Practitioner.identifier[0].value",
    "IDNPS system with INTRN type": "Practitioner.identifier[0].type",
    "SAS system with IDNPS type": "Practitioner.identifier[0].type",
    "two national ids": "Practitioner.identifier",
    "no active": "Practitioner.active",
    "no name": "Practitioner.name",
    "empty family": "Practitioner.name[0].family",
    "two given names": "Practitioner.name[0].given",
    "no telecom": "Practitioner.telecom",
    "telecom not email": "Practitioner.telecom[0].system",
    "empty e-mail": "Practitioner.telecom[0].value",
    "foreign meta.source": "Practitioner.meta.source",
}


@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize("edit", sorted(INVALID))
def test_invalid_practitioners_are_refused_naming_element_and_rule(
    server: SimulatorServer, edit: str, method: str
) -> None:
    body = _broken(edit)
    answer = post(server, body) if method == "POST" else put(server, f"{SAS}|x", body)

    assert answer.status_code == 422, answer.text
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert INVALID[edit] in [e for i in outcome["issue"] for e in i["expression"]]
    assert all(i["diagnostics"].startswith(i["expression"][0]) for i in outcome["issue"])
    assert accounts(server)["accounts"] == []


@needs_ig
def test_a_resource_of_another_type_is_a_400(server: SimulatorServer) -> None:
    slot = next((IG_PACKAGES["1.2.0-main"] / "example").glob("Slot-*.json"))
    answer = post(server, json.loads(slot.read_text(encoding="utf-8")))
    assert answer.status_code == 400
    assert "must be a Practitioner, not 'Slot'" in answer.json()["issue"][0]["diagnostics"]


def test_bad_bodies_and_content_types(server: SimulatorServer) -> None:
    url = f"{server.base_url}/Practitioner"
    not_json = httpx.post(url, content=b"{nope", headers=FHIR_JSON)
    assert not_json.status_code == 400
    assert "not JSON" in not_json.json()["issue"][0]["diagnostics"]
    xml = httpx.post(url, content=b"<Practitioner/>", headers={"Content-Type": "application/xml"})
    assert xml.status_code == 415
    huge = httpx.post(url, content=b" " * 70_000, headers=FHIR_JSON)
    assert huge.status_code == 413
    no_token = httpx.put(
        url, content=json.dumps(practitioner_regul(regulator())), headers=FHIR_JSON
    )
    assert no_token.status_code == 400
    bad_token = put(server, "no-bar", practitioner_regul(regulator()))
    assert bad_token.status_code == 400
    assert "system|value" in bad_token.json()["issue"][0]["diagnostics"]


def test_post_of_an_existing_account_is_a_conflict(server: SimulatorServer) -> None:
    first = regulator("810002673899")
    assert post(server, practitioner_regul(first)).status_code == 201

    same_id = post(server, practitioner_regul(regulator("810002673899")))
    same_email = post(server, practitioner_regul(regulator(email=first.email)))

    for answer in (same_id, same_email):
        assert answer.status_code == 409
        assert "PUT ?identifier=" in answer.json()["issue"][0]["diagnostics"]
    assert len(accounts(server)["accounts"]) == 1


def test_put_creates_updates_and_rekeys(server: SimulatorServer) -> None:
    someone = regulator()
    uuid_token = f"{SAS}|{someone.id}"

    created = put(server, uuid_token, practitioner_regul(someone))
    renamed = someone.model_copy(update={"family": "Marius"})
    updated = put(server, uuid_token, practitioner_regul(renamed))
    rekeyed_body = practitioner_regul(renamed.model_copy(update={"national_id": "810002673899"}))
    rekeyed = put(server, uuid_token, rekeyed_body)
    by_national = put(server, f"{IDNPS}|810002673899", rekeyed_body)

    assert created.status_code == 201
    assert [updated.status_code, rekeyed.status_code, by_national.status_code] == [200, 200, 200]
    assert updated.headers["Location"] == created.headers["Location"]
    [account] = accounts(server)["accounts"]
    assert account["identifiers"] == [f"{IDNPS}|810002673899"]
    assert account["resource"]["name"][0]["family"] == "Marius"
    # The answer to the re-keying PUT was lost: sending it again must not duplicate the account.
    assert put(server, uuid_token, rekeyed_body).status_code == 200
    assert len(accounts(server)["accounts"]) == 1


def test_a_deactivated_account_does_not_block_its_national_id(server: SimulatorServer) -> None:
    """Digest §7.4, the test kit's scenario: A (IDNPS X) withdrawn, B (UUID) then gets X."""
    a = regulator("810002673899")
    assert post(server, practitioner_regul(a)).status_code == 201
    withdrawn = put(
        server, f"{IDNPS}|810002673899", practitioner_regul(a.model_copy(update={"active": False}))
    )
    b = regulator()
    assert post(server, practitioner_regul(b)).status_code == 201

    moved = put(
        server,
        f"{SAS}|{b.id}",
        practitioner_regul(b.model_copy(update={"national_id": "810002673899"})),
    )

    assert withdrawn.status_code == 200
    assert moved.status_code == 200, moved.text
    by_email = {acc["email"]: acc for acc in accounts(server)["accounts"]}
    assert by_email[b.email]["identifiers"] == [f"{IDNPS}|810002673899"]
    assert by_email[a.email]["active"] is False
    assert by_email[a.email]["identifiers"] == []


def test_an_active_account_keeps_its_national_id(server: SimulatorServer) -> None:
    assert post(server, practitioner_regul(regulator("810002673899"))).status_code == 201
    b = regulator()
    assert post(server, practitioner_regul(b)).status_code == 201

    taken = put(
        server,
        f"{SAS}|{b.id}",
        practitioner_regul(b.model_copy(update={"national_id": "810002673899"})),
    )

    assert taken.status_code == 422
    assert "another active account" in taken.json()["issue"][0]["diagnostics"]


def test_a_put_matching_several_accounts_is_a_412(server: SimulatorServer) -> None:
    a, b = regulator("810002673899"), regulator()
    assert post(server, practitioner_regul(a)).status_code == 201
    assert post(server, practitioner_regul(b)).status_code == 201
    both = practitioner_regul(a)
    both["identifier"].append(practitioner_regul(b)["identifier"][0])

    answer = put(server, f"{SAS}|{uuid.uuid4()}", both)

    assert answer.status_code == 412
    assert "matches 2 accounts" in answer.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize(("mode", "status"), [("http-500", 500), ("http-429", 429)])
def test_faults_apply_to_writes_after_validation(
    server: SimulatorServer, mode: str, status: int
) -> None:
    server.set_faults(Faults(mode=mode))

    failed = post(server, practitioner_regul(regulator()))
    invalid = post(server, _broken("no name"))

    assert failed.status_code == status
    assert invalid.status_code == 422
    assert accounts(server)["accounts"] == []
    assert [w["status"] for w in accounts(server)["writes"]] == [status, 422]


def test_a_hanging_vendor_never_answers_a_write(server: SimulatorServer) -> None:
    server.set_faults(Faults(mode="hang"))
    with pytest.raises(httpx.ReadTimeout):
        post_slowly = httpx.Client(timeout=httpx.Timeout(5, read=0.5))
        post_slowly.post(
            f"{server.base_url}/Practitioner",
            content=json.dumps(practitioner_regul(regulator())),
            headers=FHIR_JSON,
        )
    server.set_faults(Faults())
    assert accounts(server)["accounts"] == []


def test_capability_statement_declares_the_account_writes(server: SimulatorServer) -> None:
    statement = httpx.get(f"{server.base_url}/metadata").json()
    [practitioner] = [r for r in statement["rest"][0]["resource"] if r["type"] == "Practitioner"]
    assert practitioner["updateCreate"] is True
    assert practitioner["conditionalUpdate"] is True
    assert {"create", "update"} <= {i["code"] for i in practitioner["interaction"]}
    assert any(p.endswith("/FrPractitionerRegul") for p in practitioner["supportedProfile"])
