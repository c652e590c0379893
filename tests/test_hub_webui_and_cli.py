"""The pages a person looks at, the ``hubkit hub`` commands, and hubkit's own client side
(endpoint resolution and the embedded hub started on first use)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import uuid

from huggingface_hub import HfApi

from helpers.hubserver import request


def test_index_and_repo_page_render_the_readme_with_images(hub):
    repo_id = f"{hub.user}/{'page-' + uuid.uuid4().hex[:6]}"
    api = HfApi()
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, path_in_repo="plots/loss.png", repo_id=repo_id)
    readme = "---\nlicense: mit\n---\n# Results <script>alert(1)</script>\n\n![loss](plots/loss.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    api.upload_file(path_or_fileobj=readme.encode(), path_in_repo="README.md", repo_id=repo_id)
    api.create_repo(f"{hub.user}/hidden-{uuid.uuid4().hex[:6]}", private=True)

    index = request(hub.endpoint, "GET", "/")
    assert index.status == 200 and repo_id in index.body.decode() and "hidden-" not in index.body.decode()
    page = request(hub.endpoint, "GET", f"/{repo_id}").body.decode()
    sha = api.model_info(repo_id).sha
    assert f'<img src="/{repo_id}/resolve/{sha}/plots/loss.png" alt="loss"' in page
    assert "<table>" in page and "<td>1</td>" in page
    assert "<script>" not in page and "alert(1)" not in page  # sanitised away, as huggingface.co does
    image = request(hub.endpoint, "GET", f"/{repo_id}/resolve/{sha}/plots/loss.png")
    assert image.status == 200 and image.headers["content-type"] == "image/png"


def test_token_create_prints_the_token_last_and_refuses_bad_names(hub):
    cli = [sys.executable, "-m", "hubkit.cli", "hub", "token", "create"]
    out = subprocess.run(cli + ["dora", "--data-dir", str(hub.data_dir), "--read-only"], capture_output=True, text=True)
    assert out.returncode == 0
    token = out.stdout.strip().splitlines()[-1]
    whoami = HfApi(token=token).whoami()
    assert whoami["name"] == "dora" and whoami["auth"]["accessToken"]["role"] == "read"
    bad = subprocess.run(cli + ["no/slash", "--data-dir", str(hub.data_dir)], capture_output=True, text=True)
    assert bad.returncode != 0 and "invalid user name 'no/slash'" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_serve_prints_client_environment_and_refuses_a_busy_port(hub, tmp_path):
    busy = subprocess.run([sys.executable, "-m", "hubkit.cli", "hub", "serve", "--data-dir", str(tmp_path / "d"),
                           "--port", str(hub.process.port)], capture_output=True, text=True, timeout=60)
    assert busy.returncode != 0 and f"cannot listen on 127.0.0.1:{hub.process.port}" in busy.stderr
    server = subprocess.Popen([sys.executable, "-m", "hubkit.cli", "hub", "serve", "--data-dir", str(tmp_path / "d"),
                               "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        lines = [server.stdout.readline().strip() for _ in range(3)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert lines[0].startswith("export HF_ENDPOINT=http://127.0.0.1:") and not lines[0].endswith(":0")
    assert lines[1] == "export HF_HUB_DISABLE_XET=1" and lines[2].startswith("export HF_TOKEN=")


def test_embedded_hub_starts_on_first_use_and_is_reused(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("HF_ENDPOINT", "HF_TOKEN")}
    env["HUBKIT_HOME"] = str(tmp_path / "home")
    code = textwrap.dedent("""
        import json, os
        from hubkit.hub_client import connect
        connection = connect()
        from huggingface_hub import HfApi
        api = HfApi()
        me = api.whoami()["name"]
        api.create_repo(f"{me}/first-use", exist_ok=True)
        print(json.dumps({"endpoint": connection.endpoint, "embedded": connection.embedded,
                          "xet": os.environ["HF_HUB_DISABLE_XET"], "files": api.list_repo_files(f"{me}/first-use")}))
    """)
    pid_file = tmp_path / "home" / "hub" / "server.pid"
    try:
        first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stderr[-2000:]
        started = int(pid_file.read_text())
        second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        one, two = (json.loads(r.stdout.strip().splitlines()[-1]) for r in (first, second))
        assert one["embedded"] and one["xet"] == "1" and one["endpoint"] == two["endpoint"]
        assert one["files"] == [".gitattributes"]
        assert int(pid_file.read_text()) == started, "the second command reused the running hub"
        os.kill(started, 0)  # still serving: raises if that process is gone
    finally:
        # Only the hub this test started, by its pid, never processes matched by name.
        if pid_file.is_file():
            try:
                os.kill(int(pid_file.read_text()), signal.SIGTERM)
            except ProcessLookupError:
                pass
