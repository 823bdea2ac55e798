"""Each fault mode over real HTTP, and changing faults while the server runs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest

from sas_simulator.app import create_app
from sas_simulator.dataset import Dataset
from sas_simulator.faults import Faults
from sas_simulator.server import SimulatorServer

from .conftest import search_params


@pytest.fixture(scope="module")
def server(dataset: Dataset) -> Iterator[SimulatorServer]:
    with SimulatorServer(create_app(dataset)) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_faults_left(server: SimulatorServer) -> Iterator[None]:
    yield
    server.set_faults(Faults())


def slot_url(server: SimulatorServer, dataset: Dataset) -> httpx.URL:
    return httpx.URL(
        f"{server.base_url}/Slot", params=search_params(dataset.practitioners[0].idnps)
    )


def test_http_500(server: SimulatorServer, dataset: Dataset) -> None:
    server.set_faults(Faults(mode="http-500"))
    answer = httpx.get(slot_url(server, dataset))
    assert answer.status_code == 500
    assert answer.json()["issue"][0]["code"] == "exception"
    assert httpx.get(f"{server.base_url}/metadata").status_code == 200


def test_malformed_json(server: SimulatorServer, dataset: Dataset) -> None:
    server.set_faults(Faults(mode="malformed-json"))
    answer = httpx.get(slot_url(server, dataset))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/fhir+json"
    with pytest.raises(json.JSONDecodeError):
        answer.json()


def test_hang_until_the_client_gives_up(server: SimulatorServer, dataset: Dataset) -> None:
    server.set_faults(Faults(mode="hang"))
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(slot_url(server, dataset), timeout=httpx.Timeout(5.0, read=0.5))


def test_latency(server: SimulatorServer, dataset: Dataset) -> None:
    server.set_faults(Faults(latency_ms=2_000))
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(slot_url(server, dataset), timeout=httpx.Timeout(5.0, read=0.3))


def test_trickle_defeats_a_read_timeout(server: SimulatorServer, dataset: Dataset) -> None:
    """Bytes keep coming, one at a time, so only a total deadline stops this answer."""
    server.set_faults(Faults(mode="trickle"))
    with (
        httpx.Client(timeout=httpx.Timeout(5.0, read=2.0)) as client,
        client.stream("GET", slot_url(server, dataset)) as answer,
    ):
        assert answer.status_code == 200
        chunks = []
        for chunk in answer.iter_raw():
            chunks.append(chunk)
            if len(chunks) == 3:
                break
    assert [len(c) for c in chunks] == [1, 1, 1]


def test_oversized_body(server: SimulatorServer, dataset: Dataset) -> None:
    server.set_faults(Faults(mode="oversized", oversized_mb=2))
    answer = httpx.get(slot_url(server, dataset), timeout=10)
    assert answer.status_code == 200
    assert len(answer.content) > 2 * 1024 * 1024
    bundle = answer.json()
    assert (bundle["resourceType"], bundle["type"], bundle["total"]) == ("Bundle", "searchset", 0)


def test_rate_limited_a_given_number_of_times(server: SimulatorServer, dataset: Dataset) -> None:
    server.set_faults(Faults(mode="http-429", retry_after_s=0.2, fail_times=2))
    url = slot_url(server, dataset)
    first, second, third = (httpx.get(url) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.headers["retry-after"] == "1"
    assert first.json()["issue"][0]["code"] == "throttled"


def test_rate_limited_forever(server: SimulatorServer, dataset: Dataset) -> None:
    server.set_faults(Faults(mode="http-429", retry_after_s=3))
    answers = [httpx.get(slot_url(server, dataset)) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 429]
    assert {a.headers["retry-after"] for a in answers} == {"3"}


def test_faults_given_at_creation(dataset: Dataset) -> None:
    with SimulatorServer(create_app(dataset, Faults(mode="http-500"))) as server:
        assert httpx.get(slot_url(server, dataset)).status_code == 500


def test_faults_changed_over_http(server: SimulatorServer, dataset: Dataset) -> None:
    controls = f"{server.root_url}/_sim/faults"
    assert httpx.get(controls).json() == Faults().model_dump()

    changed = httpx.put(controls, json={"mode": "http-429", "fail_times": 1, "retry_after_s": 0})
    assert changed.status_code == 200
    assert httpx.get(controls).json()["mode"] == "http-429"
    url = slot_url(server, dataset)
    assert httpx.get(url).status_code == 429
    assert httpx.get(url).status_code == 200

    # A new PUT restarts the count of rate-limited answers.
    httpx.put(controls, json={"mode": "http-429", "fail_times": 1, "retry_after_s": 0})
    assert httpx.get(url).status_code == 429

    refused = httpx.put(controls, json={"mode": "explode"})
    assert refused.status_code == 400
    assert refused.json()["resourceType"] == "OperationOutcome"
    assert httpx.get(controls).json()["mode"] == "http-429"

    httpx.put(controls, json={})
    assert httpx.get(url).status_code == 200


@pytest.mark.parametrize("mode", ["hang", "trickle"])
def test_stop_does_not_wait_for_endless_requests(dataset: Dataset, mode: str) -> None:
    server = SimulatorServer(create_app(dataset, Faults.model_validate({"mode": mode})))
    server.start()
    url = slot_url(server, dataset)
    failures: list[BaseException] = []

    def endless_client() -> None:
        try:
            with httpx.stream("GET", url, timeout=None) as answer:
                for _ in answer.iter_raw():
                    pass
        except httpx.HTTPError as exc:
            failures.append(exc)

    client = threading.Thread(target=endless_client, daemon=True)
    client.start()
    client.join(1.0)
    assert client.is_alive(), "the request should still be in flight"

    stopper = threading.Thread(target=server.stop)
    stopper.start()
    stopper.join(20)
    assert not stopper.is_alive(), "stop() is stuck behind an endless request"
    client.join(5)
    assert not server.running
    assert not client.is_alive()
