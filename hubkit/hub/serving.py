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

import fcntl
import json
import os
import socket
from pathlib import Path

import uvicorn

DATA_DIR_ENV = "HUBKIT_SERVE_DATA_DIR"
SERVE_LOCK_FILE = "serve.lock"
PUBLIC_URL_ENV = "HUBKIT_SERVE_PUBLIC_URL"
# The pid of the process that serves with workers: a worker whose parent is no longer it is an orphan.
SERVER_PID_ENV = "HUBKIT_SERVE_SERVER_PID"

# Limits on what one connection may make the server hold or wait for.
KEEP_ALIVE_S = 30
DEFAULT_REQUEST_TIMEOUT_S = 30.0
MAX_INCOMPLETE_EVENT_BYTES = 64 * 1024


class ListenError(OSError):
    """The address cannot be listened on; the message names it."""


class ServeLockError(RuntimeError):
    """Another ``hub serve`` already serves the data dir; the message names its pid and URL."""


class ServeLock:
    """The serving process's claim on a data dir: an exclusive ``flock`` on ``DIR/serve.lock``.

    Why a lock and not only the port: two servers over one data dir each sweep half-written
    uploads at start and keep their own caches, so a second one can delete an upload the first is
    still writing. ``flock`` is released by the kernel when the holder dies, even on ``kill -9``, so
    a crash never leaves a stale claim. The file records the holder's pid and URL, so that the
    refusal can name them and ``hubkit hub status``/``stop`` can find the server; the lock (not the
    file's existence) says whether that record is current. Only the serving process takes it:
    its ``--workers`` children and ``hub verify``/admin tools work over the same dir without it.
    """

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / SERVE_LOCK_FILE
        # No O_TRUNC: until the lock is ours, the file holds the current holder's record.
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            holder = serve_lock_holder(data_dir) or {}
            raise ServeLockError(
                f"{data_dir} is already served by pid {holder.get('pid', '?')} at {holder.get('url', '?')}; "
                "one hub serve per data dir (stop that one first)") from None
        self.record(None)

    def record(self, url: str | None) -> None:
        """Write this process's pid and (once listening) its URL into the lock file."""
        data = json.dumps({"pid": os.getpid(), "url": url, "data_dir": str(self.path.parent.resolve())}).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data + b"\n", 0)

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = -1


def serve_lock_holder(data_dir: Path) -> dict | None:
    """``{"pid", "url", "data_dir"}`` of the process serving ``data_dir`` now, or None when none does.

    Probes the lock without waiting; a record left by a server that has exited is ignored.
    """
    path = Path(data_dir) / SERVE_LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                return json.loads(os.pread(fd, 4096, 0).decode() or "{}")
            except ValueError:
                return {}  # the holder is between truncating and writing its record
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


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


def default_public_url(sock: socket.socket, host: str) -> str | None:
    """The URL links point at when ``--public-url`` is not given: the listening address, unless it
    is a wildcard (0.0.0.0, ::), which names no host a client can use."""
    return None if host in ("0.0.0.0", "::", "") else endpoint_of(sock, host)


def endpoint_of(sock: socket.socket, host: str) -> str:
    """The ``http://host:port`` URL clients use to reach ``sock``."""
    port = sock.getsockname()[1]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def server_config(app, *, access_log: bool, workers: int = 1,
                  request_timeout: float = DEFAULT_REQUEST_TIMEOUT_S) -> uvicorn.Config:
    """uvicorn settings for the hub: plain asyncio + h11, bounded and timed request heads and bodies."""
    # uvicorn's access lines are logged at INFO: below that level ``access_log`` alone shows nothing.
    config = uvicorn.Config(app, log_level="info" if access_log else "warning", access_log=access_log,
                            timeout_keep_alive=KEEP_ALIVE_S, workers=workers, factory=isinstance(app, str),
                            h11_max_incomplete_event_size=MAX_INCOMPLETE_EVENT_BYTES,
                            http="hubkit.hub.connections:TimedH11Protocol")
    # Read by TimedH11Protocol; an attribute of the config so that it reaches every worker process.
    config.hubkit_request_timeout = request_timeout
    return config


def app_from_environment():
    """The app of one worker process (uvicorn imports this by name in each worker it spawns)."""
    from hubkit.hub.app import create_app

    _die_with_parent()
    return create_app(Path(os.environ[DATA_DIR_ENV]), serving=False, public_url=os.environ.get(PUBLIC_URL_ENV))


def _die_with_parent() -> None:
    """A worker ends when the serving process does, even on ``kill -9`` (which it cannot pass on):
    orphaned workers would keep the port and keep writing to a data dir thought stopped."""
    import ctypes
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # A server that died before this call sends no signal, and by now this process has a new parent
    # (init or a subreaper): compare with the server's pid, which the server passed down, not with
    # the parent seen here, which may already be the new one (a worker still starting up when the
    # server was killed would otherwise live on, holding the port).
    server = os.environ.get(SERVER_PID_ENV)
    if server is not None and os.getppid() != int(server):
        os._exit(1)


def serve(data_dir: Path, sock: socket.socket, *, workers: int, access_log: bool, public_url: str | None,
          request_timeout: float = DEFAULT_REQUEST_TIMEOUT_S) -> None:
    """Serve until interrupted: one process, or ``workers`` processes accepting on one socket.

    Several workers keep one slow request (a commit waiting on fsync, a large listing) from
    stalling the others: each worker has its own event loop, and SQLite in WAL mode lets them read
    in parallel while commits still serialize in its write lock. Each worker keeps its own caches;
    they are keyed by content digests and commit shas, which never change meaning, so they cannot
    go stale. Uploads left half-written by a crash are swept once, here, before any worker starts,
    never by a worker (another worker may be writing one).
    """
    from hubkit.hub.app import create_app

    if workers <= 1:
        app = create_app(data_dir, public_url=public_url)
        uvicorn.Server(server_config(app, access_log=access_log, request_timeout=request_timeout)).run(sockets=[sock])
        return
    from uvicorn.supervisors import Multiprocess

    from hubkit.hub.admin import clean_partial_uploads

    clean_partial_uploads(data_dir)
    os.environ[DATA_DIR_ENV] = str(Path(data_dir).resolve())
    os.environ[SERVER_PID_ENV] = str(os.getpid())
    if public_url:
        os.environ[PUBLIC_URL_ENV] = public_url
    config = server_config("hubkit.hub.serving:app_from_environment", access_log=access_log, workers=workers,
                           request_timeout=request_timeout)
    Multiprocess(config, sockets=[sock]).run()
