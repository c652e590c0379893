"""The first hour with hubkit's hub side (issue 17, points 2, 3 and 10): an unreachable hub is one
line, the embedded hub is a visible service, and pushes say where the result is.

Commands whose endpoint differs from the session hub run as subprocesses: huggingface_hub reads
``HF_ENDPOINT`` once, at import, so a test cannot point this process elsewhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.builder_fixtures import tiny_sst2

CLOSED_ENDPOINT = "http://127.0.0.1:9"  # the discard port: nothing listens there on a test machine


def run_hubkit(*args: object, env: dict[str, str], cwd: Path | None = None,
               timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hubkit.cli", *map(str, args)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def closed_port_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "HUBKIT_DEBUG"}
    env.update({"HF_ENDPOINT": CLOSED_ENDPOINT, "HF_TOKEN": "hf_unused", "HUBKIT_HOME": str(tmp_path / "home")},
               **extra)
    return env


# ---------------------------------------------------------------- point 2: an unreachable hub is one line

@pytest.mark.parametrize("command", [
    ("datasets", "push", "sst2", "--data-dir", "{data}", "--repo", "alice/unreachable"),
    ("eval", "alice/some-model", "sst2", "--data-dir", "{data}", "--output", "{out}/eval", "--push"),
    ("leaderboard", "build", "sst2", "--models", "alice/a", "--output", "{out}/lb", "--push-to", "alice/lb"),
], ids=["datasets-push", "eval-push", "leaderboard-push"])
def test_an_unreachable_endpoint_is_one_line_naming_it(tmp_path, command):
    data = tiny_sst2(tmp_path / "SST-2")
    args = [a.format(data=data, out=tmp_path) for a in command]
    result = run_hubkit(*args, env=closed_port_env(tmp_path))
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [f"Error: cannot reach the hub at {CLOSED_ENDPOINT}: connection refused; "
                      "is it running? (HF_ENDPOINT)"], result.stderr[-2000:]
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_hubkit_debug_keeps_the_traceback(tmp_path):
    env = closed_port_env(tmp_path, HUBKIT_DEBUG="1")
    result = run_hubkit("leaderboard", "build", "sst2", "--models", "alice/a", "--output", tmp_path / "lb", env=env)
    assert result.returncode != 0 and "Traceback" in result.stderr and "ConnectError" in result.stderr
