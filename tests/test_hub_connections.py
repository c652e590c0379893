"""Connections a client leaves half-sent are closed (issue 12, item 3): a request head trickled a
byte at a time, a connection that never speaks, a body that stops part-way. Played over raw
sockets, against a hub started with a one-second request timeout."""

from __future__ import annotations

import socket
import time

import pytest

from helpers.hubserver import HubProcess, request

TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def quick_hub(tmp_path_factory):
    process = HubProcess(tmp_path_factory.mktemp("connections") / "hub",
                         serve_args=("--request-timeout", str(TIMEOUT_S))).start()
    yield process
    process.stop()


def connect(hub: HubProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", hub.port), timeout=10)
    return sock


def read_until_closed(sock: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and how long that took."""
    start, data = time.monotonic(), b""
    while chunk := sock.recv(4096):
        data += chunk
    return data, time.monotonic() - start


def test_a_trickled_request_head_gets_408_at_its_deadline(quick_hub):
    sock = connect(quick_hub)
    start = time.monotonic()
    sock.sendall(b"GET /api/models HTTP/1.1\r\nHost: x\r\n")
    answer = b""
    # A byte every 0.2 s would go on forever; the deadline runs from the head's first byte.
    for _ in range(40):
        try:
            sock.sendall(b"X")
        except OSError:
            break
        sock.settimeout(0.2)
        try:
            answer = sock.recv(4096)
        except socket.timeout:
            continue
        break
    elapsed = time.monotonic() - start
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    assert TIMEOUT_S * 0.9 < elapsed < TIMEOUT_S + 3, elapsed
    sock.close()


def test_a_connection_that_never_speaks_is_closed(quick_hub):
    sock = connect(quick_hub)
    data, elapsed = read_until_closed(sock)
    assert data == b""
    assert elapsed < TIMEOUT_S + 3
    sock.close()


def test_a_body_that_stops_part_way_is_dropped_and_the_hub_keeps_serving(quick_hub):
    sock = connect(quick_hub)
    sock.sendall(b"POST /api/validate-yaml HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000\r\n\r\n{\"content\": \"")
    data, elapsed = read_until_closed(sock)
    assert not data.startswith(b"HTTP/1.1 2"), data[:80]
    assert elapsed < 2 * TIMEOUT_S + 3
    sock.close()
    assert request(quick_hub.endpoint, "GET", "/api/hubkit/health").status == 200


def test_a_body_sent_in_slow_pieces_within_the_allowance_is_answered(quick_hub):
    body = b'{"repoType": "model", "content": "---\\nlicense: mit\\n---\\n"}'
    sock = connect(quick_hub)
    sock.sendall(b"POST /api/validate-yaml HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    for piece in (body[:10], body[10:30], body[30:]):
        time.sleep(TIMEOUT_S * 0.6)  # each pause is within the body allowance (twice the timeout)
        sock.sendall(piece)
    data, _ = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 200"), data[:200]
    sock.close()


@pytest.mark.parametrize("target", [b"/api/models/a\x0bb", b"/api/models?search=\x0b", b"/\x7f"])
def test_control_characters_in_the_request_target_get_400(quick_hub, target):
    sock = connect(quick_hub)
    sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    data, _ = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 400"), data[:80]
    sock.close()
