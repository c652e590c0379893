"""How ``hubkit hub serve`` listens: the listening socket and the uvicorn settings.

One thing here matters more than it looks. asyncio turns on ``TCP_NODELAY`` for an accepted
connection only when the *listening* socket was created with protocol ``IPPROTO_TCP``
(``asyncio.base_events._set_nodelay`` checks ``sock.proto``); a socket made with the default
protocol 0 never gets it. uvicorn writes a response as two sends (headers, then body), so without
``TCP_NODELAY`` Nagle's algorithm holds the body back until the client ACKs the headers, and a
client on a kept-alive connection (huggingface_hub, requests, httpx) delays that ACK by ~40 ms.
Every API call and every file download then cost ~44 ms instead of ~1 ms. Creating the socket with
``IPPROTO_TCP`` lets asyncio set the option through its own supported path, with nothing patched.
"""

from __future__ import annotations

import socket

import uvicorn

# Limits on what one connection may make the server hold or wait for.
KEEP_ALIVE_S = 30
MAX_INCOMPLETE_EVENT_BYTES = 64 * 1024


class ListenError(OSError):
    """The address cannot be listened on; the message names it."""


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket on ``host:port`` (port 0: any free port) whose connections get TCP_NODELAY."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


def endpoint_of(sock: socket.socket, host: str) -> str:
    """The ``http://host:port`` URL clients use to reach ``sock``."""
    port = sock.getsockname()[1]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def server_config(app, *, access_log: bool) -> uvicorn.Config:
    """uvicorn settings for the hub: plain asyncio + h11, bounded request heads."""
    # uvicorn's access lines are logged at INFO: below that level ``access_log`` alone shows nothing.
    return uvicorn.Config(app, log_level="info" if access_log else "warning", access_log=access_log,
                          timeout_keep_alive=KEEP_ALIVE_S,
                          h11_max_incomplete_event_size=MAX_INCOMPLETE_EVENT_BYTES)
