"""Responses on kept-alive connections leave at once (issue 11).

Without ``TCP_NODELAY``, Nagle's algorithm holds a response's body back until the client ACKs its
headers, and a kept-alive client delays that ACK by ~40 ms, so every request took ~44 ms. These
tests check the socket option on a live connection, and the latency the unmodified client sees.
The latency bound is deliberately wide (20 ms against a ~1 ms typical answer): it guards against
the stall coming back, not against a slow machine.
"""

from __future__ import annotations

import os
import socket
import statistics
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from huggingface_hub import HfApi, hf_hub_download

from hubkit.hub.app import create_app
from hubkit.hub.serving import listening_socket, server_config
from helpers.hubserver import unique_name

STALL_GUARD_S = 0.020


def _server_side_socket(server_addr: tuple, client_addr: tuple) -> socket.socket:
    """This process's accepted socket for the connection ``client_addr`` -> ``server_addr``."""
    for name in os.listdir("/proc/self/fd"):
        try:
            candidate = socket.socket(fileno=os.dup(int(name)))
        except OSError:
            continue
        try:
            if candidate.getsockname() == server_addr and candidate.getpeername() == client_addr:
                return candidate
        except OSError:
            pass
        candidate.close()
    raise AssertionError(f"no accepted socket for {client_addr} -> {server_addr}")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to find the accepted socket")
def test_connections_accepted_by_hub_serve_have_tcp_nodelay(tmp_path):
    sock = listening_socket("127.0.0.1", 0)
    server = uvicorn.Server(server_config(create_app(tmp_path / "hub"), access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        with socket.create_connection(sock.getsockname(), timeout=10) as client:
            client.sendall(b"GET /api/hubkit/health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert client.recv(65536).startswith(b"HTTP/1.1 200")
            accepted = _server_side_socket(sock.getsockname(), client.getsockname())
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _p50(action, times: int = 50) -> float:
    action()  # the first call opens the connection; the rest reuse it
    seconds = []
    for _ in range(times):
        start = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def test_kept_alive_client_sees_no_stall(hub, tmp_path):
    api = HfApi()
    repo_id = f"{hub.user}/{unique_name('latency')}"
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b'{"hidden_size": 8}', path_in_repo="config.json", repo_id=repo_id)

    info_p50 = _p50(lambda: api.model_info(repo_id))
    download_p50 = _p50(lambda: hf_hub_download(repo_id, "config.json", cache_dir=tmp_path / "cache",
                                                force_download=True))

    assert info_p50 < STALL_GUARD_S, f"model_info p50 {info_p50 * 1000:.1f} ms on a kept-alive connection"
    assert download_p50 < STALL_GUARD_S, f"hf_hub_download p50 {download_p50 * 1000:.1f} ms"
