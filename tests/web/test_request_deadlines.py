"""Slow clients cannot hold the server: a body trickled in is cut at its deadline (408), a body
left unread closes its connection, and connections past the limit get a 503. Raw sockets, as a
slow-loris client would use."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine

from sas_core.serving.server import AsgiServer
from sas_web import DevelopmentVendor, create_app
from sas_web.oidc import OidcProvider
from tests.web.conftest import appointment, serve
from tests.web.test_oidc_provider import CLIENTS, dev_settings

#: Small, so the tests wait for it in well under two seconds.
DEADLINE_S = 0.8


@pytest.fixture
def server(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[AsgiServer]:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    app = create_app(
        identity=DevelopmentVendor(),
        engine=engine,
        oidc=OidcProvider(engine, CLIENTS, dev_settings()),
        body_timeout_s=DEADLINE_S,
    )
    with AsgiServer(app) as running:
        yield running


def connect(server: AsgiServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    return sock


def head(path: str, content_type: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body of one answer; the connection is then expected closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    raw_head, _, body = data.partition(b"\r\n\r\n")
    lines = raw_head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    while len(body) < int(headers.get("content-length", "0")):
        body += sock.recv(65536)
    return int(lines[0].split()[1]), headers, body


def closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def trickle(sock: socket.socket, body: bytes, every_s: float) -> None:
    """Send `body` one byte at a time until the server answers (or 3 s have passed)."""
    sock.settimeout(every_s)
    give_up = time.monotonic() + 3
    for byte in body:
        if time.monotonic() > give_up:
            break
        try:
            sock.sendall(bytes([byte]))
            if sock.recv(1, socket.MSG_PEEK):
                break
        except TimeoutError:
            continue
        except OSError:
            break
    sock.settimeout(5)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/fhir/Appointment", "application/fhir+json"),
        ("/realms/sas/login-actions/authenticate", "application/x-www-form-urlencoded"),
    ],
    ids=["fhir", "realm-form"],
)
def test_a_trickled_body_is_cut_at_its_deadline(
    server: AsgiServer, path: str, content_type: str
) -> None:
    body = json.dumps(appointment("slow-1")).encode()
    with connect(server) as sock:
        started = time.monotonic()
        sock.sendall(head(path, content_type, len(body)))
        trickle(sock, body, every_s=0.25)
        status, headers, answer = read_answer(sock)
        elapsed = time.monotonic() - started
        assert status == 408
        assert DEADLINE_S <= elapsed < DEADLINE_S + 1.5
        assert headers["connection"] == "close"
        assert headers["x-content-type-options"] == "nosniff"
        outcome = json.loads(answer)
        assert outcome["resourceType"] == "OperationOutcome"
        assert outcome["issue"][0]["code"] == "timeout"
        assert closed(sock)


def test_a_slow_body_within_the_deadline_is_accepted(server: AsgiServer) -> None:
    body = json.dumps(appointment("slow-2")).encode()
    third = len(body) // 3
    with connect(server) as sock:
        sock.sendall(head("/fhir/Appointment", "application/fhir+json", len(body)))
        for part in (body[:third], body[third : 2 * third], body[2 * third :]):
            time.sleep(DEADLINE_S / 5)
            sock.sendall(part)
        status, headers, _ = read_answer(sock)
    assert status == 201
    assert "connection" not in headers  # kept alive


@pytest.mark.parametrize(
    ("path", "content_type", "expected"),
    [
        ("/fhir/Patient", "application/fhir+json", 404),
        ("/fhir/Appointment", "text/plain", 415),
    ],
    ids=["unknown-path", "content-type"],
)
def test_an_answer_before_the_body_closes_the_connection(
    server: AsgiServer, path: str, content_type: str, expected: int
) -> None:
    """Else the rest of that body would be read with no deadline at all."""
    with connect(server) as sock:
        sock.sendall(head(path, content_type, 10_000) + b"{")
        status, headers, _ = read_answer(sock)
        assert status == expected
        assert headers["connection"] == "close"
        assert closed(sock)


def test_past_the_concurrency_limit_the_server_answers_503(engine: Engine) -> None:
    with serve(engine) as unlimited:
        assert unlimited.limit_concurrency == 200
    with AsgiServer(
        create_app(identity=DevelopmentVendor(), engine=engine),
        limit_concurrency=2,
    ) as server:
        url = f"{server.base_url}/metadata"
        held = [connect(server), connect(server)]
        time.sleep(0.2)  # accepted by the server
        assert httpx.get(url).status_code == 503
        for sock in held:
            sock.close()
        time.sleep(0.2)
        assert httpx.get(url).status_code == 200
