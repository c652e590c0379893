"""Run a real ``hubkit hub serve`` process for tests, and talk raw HTTP to it where the client
libraries would refuse to send what a test needs (bad input, forged uploads)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_token(data_dir: Path, user: str, *, read_only: bool = False, orgs: tuple[str, ...] = (),
                 read_orgs: tuple[str, ...] = ()) -> str:
    """A token made through the real CLI, whose last stdout line is the token. ``read_orgs``: orgs
    the user joins with the read role."""
    command = [sys.executable, "-m", "hubkit.cli", "hub", "token", "create", user, "--data-dir", str(data_dir)]
    if read_only:
        command.append("--read-only")
    for org in orgs:
        command += ["--org", org]
    for org in read_orgs:
        command += ["--read-org", org]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


class HubProcess:
    """One server process over ``data_dir`` on ``port``; can be stopped, killed and restarted."""

    def __init__(self, data_dir: Path, port: int | None = None, source: Path | None = None,
                 serve_args: tuple[str, ...] = ()):
        """``source``: serve the hubkit of another checkout (benches compare a change with its base)."""
        self.data_dir = Path(data_dir)
        # HUBKIT_TEST_SERVER_SOURCE: run the tests against the server of another checkout, to show
        # that a new test fails on the code before its change.
        source = source or os.environ.get("HUBKIT_TEST_SERVER_SOURCE")
        self.source = Path(source) if source else None
        self.serve_args = tuple(serve_args)
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}-server.log"

    def start(self, timeout: float = 60) -> "HubProcess":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        env = dict(os.environ)
        if self.source:
            env["PYTHONPATH"] = os.pathsep.join([str(self.source), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hubkit.cli", "hub", "serve", "--data-dir", str(self.data_dir),
             "--port", str(self.port), "--quiet", *self.serve_args], stdout=log, stderr=subprocess.STDOUT, env=env,
            cwd=self.source)  # ``python -m`` puts the working directory first on sys.path
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"hub server exited early; log: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/api/hubkit/health", timeout=1) as response:
                    if json.load(response)["server"] == "hubkit":
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"hub server did not start; log: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def kill9(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


def request(endpoint: str, method: str, path: str, *, body: bytes | str | dict | None = None,
            headers: dict[str, str] | None = None, token: str | None = None) -> Response:
    """One raw HTTP request; ``path`` is sent exactly as given (already percent-encoded)."""
    parsed = urllib.parse.urlparse(endpoint)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if isinstance(body, dict):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, data)


def unique_name(prefix: str) -> str:
    """A repo name no other test uses."""
    import uuid

    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_repo_with_file(hub, prefix: str, path: str, content: bytes) -> str:
    """A new model repo of ``hub``'s user holding one file; returns its id."""
    from huggingface_hub import HfApi

    repo_id = f"{hub.user}/{unique_name(prefix)}"
    HfApi().create_repo(repo_id)
    HfApi().upload_file(path_or_fileobj=content, path_in_repo=path, repo_id=repo_id)
    return repo_id
