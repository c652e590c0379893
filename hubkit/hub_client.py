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


def _embedded_state() -> dict:
    """Port and token of the embedded hub, chosen once and kept in its data dir."""
    path = _state_file()
    if path.exists():
        return json.loads(path.read_text())
    from hubkit.hub.admin import issue_token

    data_dir = embedded_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    user = re.sub(r"[^A-Za-z0-9._-]", "-", getpass.getuser() or "user").strip("-.") or "user"
    # The local user belongs to no organisation: models hubkit bundles are mirrored under their
    # upstream ids in namespaces the hub itself owns (see hubkit.train.models).
    token = issue_token(data_dir, user, write=True, display_name="hubkit embedded")
    state = {"port": _free_port(), "user": user, "token": token}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state))
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return state


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
        state = _embedded_state()
        connection = HubConnection(f"http://{EMBEDDED_HOST}:{state['port']}", os.environ.get("HF_TOKEN")
                                   or state["token"], embedded=True)
        os.environ["HF_ENDPOINT"] = connection.endpoint
        os.environ[EMBEDDED_MARKER] = connection.endpoint
        if connection.token:
            os.environ["HF_TOKEN"] = connection.token
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
            return
        time.sleep(0.2)
    raise HubConnectionError(
        f"the embedded hub did not start on {connection.endpoint} within {START_TIMEOUT_S:.0f}s; "
        f"see {data_dir / 'server.log'}, or set HF_ENDPOINT to a running hub.")


def connect() -> HubConnection:
    """The connection every hubkit push uses; starts the embedded hub when it is the target."""
    connection = configure_environment()
    if connection.embedded and not server_is_up(connection.endpoint):
        start_embedded_hub(connection)
    return connection
