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
                          check=False, capture_output=True, text=True, timeout=timeout)


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
    expected = f"Error: cannot reach the hub at {CLOSED_ENDPOINT}: connection refused; is it running? (HF_ENDPOINT)"
    assert errors == [expected], result.stderr[-2000:]
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_hubkit_debug_keeps_the_traceback(tmp_path):
    env = closed_port_env(tmp_path, HUBKIT_DEBUG="1")
    result = run_hubkit("leaderboard", "build", "sst2", "--models", "alice/a", "--output", tmp_path / "lb", env=env)
    assert result.returncode != 0 and "Traceback" in result.stderr and "ConnectError" in result.stderr


# ---------------------------------------------------------------- point 3: the embedded hub as a visible service

def running(pid: int) -> bool:
    """True while ``pid`` runs; an exited process its parent has not reaped yet (a zombie) does not count."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False

def embedded_env(tmp_path: Path) -> dict[str, str]:
    """No HF_ENDPOINT, HF_TOKEN or HF_HOME: hubkit's embedded default, under a HUBKIT_HOME of the test's own."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("HF_ENDPOINT", "HF_TOKEN", "HF_HOME", "HUBKIT_DEBUG", "HUBKIT_EMBEDDED_ENDPOINT")}
    env["HUBKIT_HOME"] = str(tmp_path / "home")
    return env


def exports(stdout: str) -> dict[str, str]:
    return dict(line.removeprefix("export ").split("=", 1) for line in stdout.splitlines() if line.startswith("export "))


def test_hub_status_env_stop_and_one_server_per_data_dir(tmp_path):
    env = embedded_env(tmp_path)
    data_dir = tmp_path / "home" / "hub"
    none = run_hubkit("hub", "status", env=env)
    assert none.returncode == 1 and "no hub is running" in none.stderr
    started_pid = None
    try:
        shown = run_hubkit("hub", "env", env=env)
        assert shown.returncode == 0, shown.stderr
        variables = exports(shown.stdout)
        url = variables["HF_ENDPOINT"]
        assert f"started the embedded hub at {url} (data in {data_dir}); stop it with `hubkit hub stop`" in shown.stderr
        assert variables["HF_HUB_DISABLE_XET"] == "1" and variables["HF_TOKEN"]
        assert variables["HF_HOME"] == str(tmp_path / "home" / "huggingface")

        status = run_hubkit("hub", "status", env=env)
        assert status.returncode == 0, status.stderr
        fields = dict(line.split(":", 1) for line in status.stdout.splitlines())
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        started_pid = int(fields["pid"])
        assert fields["url"] == url and fields["data dir"] == str(data_dir) and fields["user"]

        # What `hub env` prints is enough for any client: here huggingface_hub's, in a fresh process.
        client_env = {**{k: v for k, v in env.items() if not k.startswith("HUBKIT")}, **variables}
        whoami = subprocess.run([sys.executable, "-c", "from huggingface_hub import HfApi; print(HfApi().whoami()['name'])"],
                                env=client_env, check=False, capture_output=True, text=True, timeout=120)
        assert whoami.stdout.strip() == fields["user"], whoami.stderr[-2000:]

        second = run_hubkit("hub", "serve", "--data-dir", data_dir, "--port", "0", env=env, timeout=60)
        assert second.returncode == 1
        refusal = (f"Error: {data_dir} is already served by pid {started_pid} at {url}; one hub serve per data dir "
                   "(stop that one first)")
        assert second.stderr.strip().splitlines() == [refusal]

        bob = run_hubkit("hub", "token", "create", "bob", "--read-only", env=env)  # no --data-dir: the embedded one
        assert bob.returncode == 0, bob.stderr
        client_env["HF_TOKEN"] = bob.stdout.strip().splitlines()[-1]
        whoami = subprocess.run([sys.executable, "-c", "from huggingface_hub import HfApi; print(HfApi().whoami()['name'])"],
                                env=client_env, check=False, capture_output=True, text=True, timeout=120)
        assert whoami.stdout.strip() == "bob", whoami.stderr[-2000:]

        stopped = run_hubkit("hub", "stop", env=env)
        assert stopped.returncode == 0 and stopped.stdout.strip() == f"stopped the hub at {url} (pid {started_pid})"
        assert not running(started_pid)
        started_pid = None
        assert run_hubkit("hub", "status", env=env).returncode == 1
    finally:
        if started_pid is not None:  # only the hub this test started, by its pid
            try:
                os.kill(started_pid, 15)
            except ProcessLookupError:
                pass


def test_hub_stop_leaves_a_process_alone_that_only_the_pid_file_names(tmp_path):
    """A stale pid file (the hub died, the pid was reused) must not get some other process killed."""
    env = embedded_env(tmp_path)
    data_dir = tmp_path / "home" / "hub"
    data_dir.mkdir(parents=True)
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (data_dir / "server.pid").write_text(f"{bystander.pid}\n")
        (data_dir / "serve.lock").write_text(f'{{"pid": {bystander.pid}, "url": "http://127.0.0.1:9"}}\n')
        result = run_hubkit("hub", "stop", env=env)
        assert result.returncode == 0 and "nothing to stop" in result.stderr
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


@pytest.mark.parametrize("args", [("datasets", "list"), ("--help",), ("datasets", "push", "--help")])
def test_commands_that_never_talk_to_the_hub_create_no_database(tmp_path, args):
    env = embedded_env(tmp_path)
    result = run_hubkit(*args, env=env)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "home" / "hub" / "hub.sqlite3").exists()
    assert not (tmp_path / "home" / "hub" / "embedded.json").exists()


def test_hubkit_home_isolates_the_hf_cache_unless_hf_home_is_set(tmp_path):
    code = ("from hubkit.hub_client import configure_environment; configure_environment(); "
            "import huggingface_hub.constants as c; print(c.HF_HOME)")
    env = embedded_env(tmp_path)
    isolated = subprocess.run([sys.executable, "-c", code], env=env, check=False, capture_output=True, text=True, timeout=120)
    assert isolated.stdout.strip() == str(tmp_path / "home" / "huggingface"), isolated.stderr[-2000:]
    env["HF_HOME"] = str(tmp_path / "mine")
    own = subprocess.run([sys.executable, "-c", code], env=env, check=False, capture_output=True, text=True, timeout=120)
    assert own.stdout.strip() == str(tmp_path / "mine"), own.stderr[-2000:]


# ---------------------------------------------------------------- point 10: pushes say where the result is

def test_dataset_push_prints_its_url_and_an_unchanged_push_says_so_honestly(hub, tmp_path, caplog):
    from helpers.cli import hubkit
    from helpers.hubserver import unique_name

    data = tiny_sst2(tmp_path / "SST-2")
    repo_id = f"{hub.user}/{unique_name('first-hour-push')}"
    first = hubkit("datasets", "push", "sst2", "--data-dir", data, "--repo", repo_id)
    assert first.exit_code == 0, first.output
    lines = first.output.strip().splitlines()
    assert lines[-2].startswith(f"pushed 4 files to {repo_id}@main in commit ")
    assert lines[-1] == f"{hub.endpoint}/datasets/{repo_id}"
    sha = lines[-2].rsplit(" ", 1)[1]

    again = hubkit("datasets", "push", "sst2", "--data-dir", data, "--repo", repo_id)
    assert again.exit_code == 0, again.output
    assert again.output.strip().splitlines()[-2:] == [f"nothing changed; {repo_id} is already at {sha}",
                                                      f"{hub.endpoint}/datasets/{repo_id}"]
    assert "pushed" not in again.output
    assert not [r for r in caplog.records if "empty commit" in r.getMessage()], "huggingface_hub's warning got through"


def test_train_push_prints_the_repo_url_and_eval_push_does_not_warn_about_a_data_file(hub, tiny_bert, tmp_path,
                                                                                     one_thread):
    import warnings

    from helpers.cli import hubkit
    from helpers.data import write_small_sst2
    from helpers.hubserver import unique_name

    data = write_small_sst2(tmp_path / "sst2")
    repo_id = f"{hub.user}/{unique_name('first-hour-model')}"
    trained = hubkit("train", "sst2", "--data-dir", data, "--model", tiny_bert, "--output-dir", tmp_path / "out",
                     "--epochs", "1", "--batch-size", "16", "--bootstrap-resamples", "20", "--no-progress",
                     "--push-to", repo_id)
    assert trained.exit_code == 0, trained.output
    lines = trained.output.strip().splitlines()
    assert f"pushed to {hub.endpoint}/{repo_id}" in lines
    assert lines[-1].startswith(f"{hub.endpoint}/{repo_id}/commit/")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluated = hubkit("eval", repo_id, "sst2", "--data-dir", data, "--output", tmp_path / "eval",
                           "--bootstrap-resamples", "20", "--push")
    assert evaluated.exit_code == 0, evaluated.output
    assert not [w for w in caught if "data file" in str(w.message)], [str(w.message) for w in caught]
