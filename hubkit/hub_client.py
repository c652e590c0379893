"""Where hubkit publishes to: the endpoint and token every push goes through.

Resolution order:

1. ``HF_ENDPOINT`` (and ``HF_TOKEN``) from the environment: the real Hub, or any Hub-compatible
   server the user points at.
2. Otherwise hubkit's embedded hub: a ``hubkit hub serve`` process over a data directory in the
   user's cache (``HUBKIT_HOME``, default ``~/.cache/hubkit``), started in the background on first
   use and reused by every later command. Its local user and write token are created on first use,
   through the server's public admin API (:func:`hubkit.hub.admin.issue_token`); everything else
   goes to the server over HTTP.

``huggingface_hub``, ``datasets`` and ``evaluate`` read ``HF_ENDPOINT`` and ``HF_HUB_DISABLE_XET``
when they are imported (hub-api.md 1.1 and 10.19), so :func:`configure_environment` must run before
they are imported; the CLI calls it first thing. Xet uploads need a Xet storage backend that only
huggingface.co has, so Xet is disabled for every other endpoint.
"""

from __future__ import annotations

import dataclasses
import getpass
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HF_HUB_HOSTS = ("huggingface.co", "hf.co")
EMBEDDED_HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
EMBEDDED_MARKER = "HUBKIT_EMBEDDED_ENDPOINT"
EMBEDDED_PID_FILE = "server.pid"


class HubConnectionError(RuntimeError):
    """The hub cannot be reached or started; the message says what to do."""


@dataclasses.dataclass(frozen=True)
class HubConnection:
    """An endpoint and the token to use with it."""

    endpoint: str
    token: str | None
    embedded: bool

    def api(self):
        """A ``huggingface_hub.HfApi`` bound to this endpoint and token."""
        from huggingface_hub import HfApi

        return HfApi(endpoint=self.endpoint, token=self.token)


def hubkit_home() -> Path:
    """The per-user folder holding the embedded hub's data and state."""
    return Path(os.environ.get("HUBKIT_HOME") or Path.home() / ".cache" / "hubkit")


def embedded_data_dir() -> Path:
    return hubkit_home() / "hub"


def is_huggingface_co(endpoint: str) -> bool:
    host = re.sub(r"^[a-z]+://", "", endpoint).split("/")[0].split(":")[0].lower()
    return any(host == h or host.endswith("." + h) for h in HF_HUB_HOSTS)


def _state_file() -> Path:
    return embedded_data_dir() / "embedded.json"


def _free_port(host: str = EMBEDDED_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _read_state() -> dict | None:
    """The embedded hub's recorded port, user and token, or None before its first use."""
    try:
        return json.loads(_state_file().read_text())
    except FileNotFoundError:
        return None


def _embedded_state(port: int | None = None) -> dict:
    """Port and token of the embedded hub, chosen once and kept in its data dir.

    Creating them creates the hub's database (the token lives there), so only commands that talk
    to the hub get here, through :func:`connect`; ``port`` is the one this process already exported.
    """
    state = _read_state()
    if state is not None:
        return state
    from hubkit.hub.admin import issue_token

    data_dir = embedded_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    user = re.sub(r"[^A-Za-z0-9._-]", "-", getpass.getuser() or "user").strip("-.") or "user"
    # The local user belongs to no organisation: models hubkit bundles are mirrored under their
    # upstream ids in namespaces the hub itself owns (see hubkit.train.models).
    token = issue_token(data_dir, user, write=True, display_name="hubkit embedded")
    state = {"port": port or _free_port(), "user": user, "token": token}
    tmp = _state_file().with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state))
    os.chmod(tmp, 0o600)
    try:
        # link, not replace: when two first commands race, the first record wins and both use it.
        os.link(tmp, _state_file())
    except FileExistsError:
        state = json.loads(_state_file().read_text())
    finally:
        tmp.unlink()
    return state


def _embedded_hf_home() -> str:
    """Where the HF libraries cache downloads from the embedded hub, unless ``HF_HOME`` says otherwise.

    The HF cache keys repos by id alone, not by endpoint: the embedded hub's ``alice/model`` and
    huggingface.co's must not share a cache entry. Under ``HUBKIT_HOME``, so that one variable
    isolates everything hubkit keeps (tests and CI rely on that).
    """
    return str(hubkit_home() / "huggingface")


def configure_environment() -> HubConnection:
    """Decide the endpoint and token, and export them for the HF libraries imported later.

    Does not start anything: the embedded hub starts in :func:`connect`, when a command needs it.
    """
    endpoint = os.environ.get("HF_ENDPOINT", "").rstrip("/")
    if endpoint and endpoint == os.environ.get(EMBEDDED_MARKER):
        # Exported by an earlier call (in this process or a parent): still the embedded hub.
        connection = HubConnection(endpoint, os.environ.get("HF_TOKEN") or None, embedded=True)
    elif endpoint:
        connection = HubConnection(endpoint, os.environ.get("HF_TOKEN") or None, embedded=False)
    else:
        # Only read here: a command that never talks to the hub (``datasets list``) must not create
        # its database. Before first use the port is chosen now and recorded by :func:`connect`.
        state = _read_state() or {"port": _free_port(), "token": None}
        connection = HubConnection(f"http://{EMBEDDED_HOST}:{state['port']}", os.environ.get("HF_TOKEN")
                                   or state["token"], embedded=True)
        os.environ["HF_ENDPOINT"] = connection.endpoint
        os.environ[EMBEDDED_MARKER] = connection.endpoint
        if connection.token:
            os.environ["HF_TOKEN"] = connection.token
    if connection.embedded and "HF_HOME" not in os.environ:
        os.environ["HF_HOME"] = _embedded_hf_home()
    if not is_huggingface_co(connection.endpoint):
        os.environ["HF_HUB_DISABLE_XET"] = "1"
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
        os.environ.setdefault("HF_UPDATE_DOWNLOAD_COUNTS", "false")
        os.environ.setdefault("DISABLE_SAFETENSORS_CONVERSION", "1")
    _warn_if_imported_too_early(connection.endpoint)
    return connection


def _warn_if_imported_too_early(endpoint: str) -> None:
    module = sys.modules.get("huggingface_hub.constants")
    if module is not None and getattr(module, "ENDPOINT", endpoint).rstrip("/") != endpoint:
        raise HubConnectionError(
            f"huggingface_hub was imported before hubkit chose the endpoint {endpoint}; "
            "call hubkit.hub_client.configure_environment() before importing huggingface_hub, "
            "datasets, evaluate or transformers.")


def server_is_up(endpoint: str, timeout: float = 2.0) -> bool:
    """True when a hubkit hub answers its health route at ``endpoint``."""
    try:
        with urllib.request.urlopen(f"{endpoint}/api/hubkit/health", timeout=timeout) as response:
            return json.load(response).get("server") == "hubkit"
    except (urllib.error.URLError, OSError, ValueError):
        return False


def start_embedded_hub(connection: HubConnection) -> None:
    """Start ``hubkit hub serve`` in the background for the embedded data dir and wait for it."""
    port = int(connection.endpoint.rsplit(":", 1)[1])
    data_dir = embedded_data_dir()
    log = open(data_dir / "server.log", "ab")
    command = [sys.executable, "-m", "hubkit.cli", "hub", "serve", "--data-dir", str(data_dir),
               "--host", EMBEDDED_HOST, "--port", str(port), "--quiet"]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True)
    # Its pid, so that whoever manages the embedded hub stops exactly this process.
    (data_dir / EMBEDDED_PID_FILE).write_text(f"{process.pid}\n")
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server_is_up(connection.endpoint, timeout=1.0):
            from hubkit.hub.serving import serve_lock_holder

            # Whoever won a race between two first commands is the server; record its pid.
            holder = serve_lock_holder(data_dir) or {}
            if holder.get("pid") and holder["pid"] != process.pid:
                (data_dir / EMBEDDED_PID_FILE).write_text(f"{holder['pid']}\n")
            else:
                print(f"started the embedded hub at {connection.endpoint} (data in {data_dir}); "
                      "stop it with `hubkit hub stop`", file=sys.stderr, flush=True)
            return
        time.sleep(0.2)
    raise HubConnectionError(
        f"the embedded hub did not start on {connection.endpoint} within {START_TIMEOUT_S:.0f}s; "
        f"see {data_dir / 'server.log'}, or set HF_ENDPOINT to a running hub.")


def connect() -> HubConnection:
    """The connection every hubkit push uses; starts the embedded hub when it is the target."""
    connection = configure_environment()
    if connection.embedded:
        connection = _with_recorded_state(connection)
        if not server_is_up(connection.endpoint):
            start_embedded_hub(connection)
    return connection


def _with_recorded_state(connection: HubConnection) -> HubConnection:
    """``connection`` once the embedded hub's user, token and port are recorded (first use creates them)."""
    state = _embedded_state(int(connection.endpoint.rsplit(":", 1)[1]))
    endpoint = f"http://{EMBEDDED_HOST}:{state['port']}"
    if endpoint != connection.endpoint:  # another first command recorded its port before this one
        os.environ["HF_ENDPOINT"] = os.environ[EMBEDDED_MARKER] = endpoint
        _warn_if_imported_too_early(endpoint)
    token = connection.token or state["token"]
    os.environ["HF_TOKEN"] = token
    return HubConnection(endpoint, token, embedded=True)


@dataclasses.dataclass(frozen=True)
class EmbeddedHubStatus:
    """What ``hubkit hub status`` shows about the embedded hub."""

    url: str
    pid: int
    data_dir: Path
    user: str | None


def embedded_hub_status(data_dir: Path | None = None) -> EmbeddedHubStatus | None:
    """The hub serving ``data_dir`` (default: the embedded one), or None when none is.

    A hub counts as running only when all agree: a process holds ``serve.lock`` and recorded its
    pid and URL there, and a hubkit hub answers the health route at that URL. A pid file alone
    could name a process that has since died and whose pid was reused.
    """
    from hubkit.hub.serving import serve_lock_holder

    data_dir = Path(data_dir) if data_dir is not None else embedded_data_dir()
    holder = serve_lock_holder(data_dir)
    if not holder or not holder.get("pid") or not holder.get("url"):
        return None
    if not server_is_up(holder["url"]) or not _is_hub_serve(int(holder["pid"])):
        return None
    state = _read_state() if data_dir.resolve() == embedded_data_dir().resolve() else None
    return EmbeddedHubStatus(holder["url"], int(holder["pid"]), data_dir, (state or {}).get("user"))


def _is_hub_serve(pid: int) -> bool:
    """False when the OS says ``pid`` is not a ``hub serve`` process (where it can tell: Linux)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # no procfs: the lock and health checks must do
    except OSError:
        return True
    return b"hub" in argv and b"serve" in argv


def stop_hub(status: EmbeddedHubStatus, timeout: float = 30.0) -> bool:
    """Stop the server ``status`` describes (SIGTERM to its recorded pid); True once it has exited.

    The pid is re-checked against the lock right before the signal, so a server that exited in
    between (and a process that got its pid) is never signalled.
    """
    import signal

    from hubkit.hub.serving import serve_lock_holder

    holder = serve_lock_holder(status.data_dir) or {}
    if holder.get("pid") != status.pid:
        return True
    os.kill(status.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if serve_lock_holder(status.data_dir) is None:
            pid_file = status.data_dir / EMBEDDED_PID_FILE
            if pid_file.is_file() and pid_file.read_text().strip() == str(status.pid):
                pid_file.unlink()
            return True
        time.sleep(0.1)
    return False


def embedded_connection() -> HubConnection:
    """The embedded hub, started if needed, whatever ``HF_ENDPOINT`` says (for ``hubkit hub env``)."""
    if not os.environ.get("HF_ENDPOINT") or os.environ["HF_ENDPOINT"] != os.environ.get(EMBEDDED_MARKER):
        # Another hub's endpoint and token (huggingface.co's, say) would not authenticate here.
        os.environ.pop("HF_ENDPOINT", None)
        os.environ.pop("HF_TOKEN", None)
    return connect()
