"""What was pushed survives a restart byte for byte, and a server killed with SIGKILL in the middle
of a large upload comes back at its previous commit, with no partial file served."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest
from huggingface_hub import HfApi, hf_hub_download

from helpers.hubserver import HubProcess, create_token, request


def test_restart_serves_everything_byte_identically(own_hub, tmp_path):
    process, token = own_hub
    api = HfApi(endpoint=process.endpoint, token=token)
    api.create_repo("carol/kept")
    weights = os.urandom(3 * 1024 * 1024)
    first = api.upload_file(path_or_fileobj=weights, path_in_repo="w.safetensors", repo_id="carol/kept").oid
    second = api.upload_file(path_or_fileobj=b"v2", path_in_repo="notes.txt", repo_id="carol/kept").oid
    api.create_tag("carol/kept", tag="v1", revision=first)
    before = {"refs": api.list_repo_refs("carol/kept"), "commits": [c.commit_id for c in api.list_repo_commits("carol/kept")]}

    process.stop()
    process.start()

    assert api.list_repo_refs("carol/kept") == before["refs"]
    assert [c.commit_id for c in api.list_repo_commits("carol/kept")] == before["commits"]
    assert api.model_info("carol/kept").sha == second
    for revision in ("main", "v1", first):
        path = hf_hub_download("carol/kept", "w.safetensors", revision=revision, endpoint=process.endpoint,
                               token=token, cache_dir=tmp_path / f"cache-{revision}")
        assert Path(path).read_bytes() == weights


def test_a_data_dir_with_flat_trees_is_converted_and_serves_every_revision(own_hub, tmp_path):
    """Data dirs written before per-directory trees stored each commit's tree as one flat JSON;
    the server converts them when it starts, and every revision reads as before."""
    process, token = own_hub
    api = HfApi(endpoint=process.endpoint, token=token)
    api.create_repo("carol/old")
    first = api.upload_file(path_or_fileobj=b"one", path_in_repo="a/b/one.txt", repo_id="carol/old").oid
    api.upload_file(path_or_fileobj=b"two", path_in_repo="a/two.txt", repo_id="carol/old")
    api.delete_file("a/b/one.txt", repo_id="carol/old")
    listing = {rev: sorted(f.path for f in api.list_repo_tree("carol/old", recursive=True, revision=rev))
               for rev in ("main", first)}
    process.stop()
    _rewrite_as_flat_trees(process.data_dir / "hub.sqlite3")

    process.start()

    for revision, paths in listing.items():
        assert sorted(f.path for f in api.list_repo_tree("carol/old", recursive=True, revision=revision)) == paths
    path = hf_hub_download("carol/old", "a/b/one.txt", revision=first, endpoint=process.endpoint, token=token,
                           cache_dir=tmp_path / "cache")
    assert Path(path).read_bytes() == b"one"
    with sqlite3.connect(process.data_dir / "hub.sqlite3") as conn:
        assert conn.execute("SELECT COUNT(*) FROM commits WHERE root IS NULL OR tree != ''").fetchone()[0] == 0


def _rewrite_as_flat_trees(database: Path) -> None:
    """Put the data dir back in the old layout: a flat ``{path: [sha256, size, oid, lfs]}`` per commit."""
    conn = sqlite3.connect(database)
    nodes = {nid: json.loads(text) for nid, text in conn.execute("SELECT id, entries FROM tree_nodes")}

    def flatten(nid: str, prefix: str = "") -> dict:
        files = {}
        for name, item in nodes[nid].items():
            if item[0] == "d":
                files.update(flatten(item[1], f"{prefix}{name}/"))
            else:
                files[prefix + name] = item[1:]
        return files

    for repo, sha, root in conn.execute("SELECT repo, sha, root FROM commits").fetchall():
        conn.execute("UPDATE commits SET tree = ?, root = NULL WHERE repo = ? AND sha = ?",
                     (json.dumps(flatten(root)), repo, sha))
    conn.execute("DELETE FROM tree_nodes")
    conn.commit()
    conn.close()


UPLOAD = """
import sys
from huggingface_hub import HfApi
api = HfApi(endpoint=sys.argv[1], token=sys.argv[2])
api.upload_file(path_or_fileobj=sys.argv[3], path_in_repo="big.safetensors", repo_id="carol/crash")
print("uploaded")
"""


def _start_upload(process: HubProcess, token: str, path: Path) -> subprocess.Popen:
    env = dict(os.environ, HF_HUB_DISABLE_XET="1")
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(UPLOAD), process.endpoint, token, str(path)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_kill_during_large_upload_leaves_previous_commit_and_no_partial_file(own_hub, tmp_path):
    process, token = own_hub
    api = HfApi(endpoint=process.endpoint, token=token)
    api.create_repo("carol/crash")
    previous = api.upload_file(path_or_fileobj=b"before", path_in_repo="before.txt", repo_id="carol/crash").oid
    big = tmp_path / "big.safetensors"
    block = os.urandom(1024 * 1024)
    with open(big, "wb") as handle:
        for i in range(400):
            handle.write(block[:-8] + i.to_bytes(8, "big"))
    digest = hashlib.sha256(big.read_bytes()).hexdigest()

    uploader = _start_upload(process, token, big)
    partial_dir = process.data_dir / "tmp"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        partials = list(partial_dir.iterdir())
        if partials and partials[0].stat().st_size > 20 * 1024 * 1024:
            break
        time.sleep(0.02)
    else:
        pytest.fail("the upload never reached the server")
    process.kill9()
    uploader.kill()
    uploader.wait()
    assert list(partial_dir.iterdir()), "a partial upload should be on disk at the moment of the kill"

    process.start()
    assert not list(partial_dir.iterdir()), "partial uploads are removed at start"
    assert api.model_info("carol/crash").sha == previous
    assert api.list_repo_files("carol/crash") == [".gitattributes", "before.txt"]
    assert request(process.endpoint, "HEAD", "/carol/crash/resolve/main/big.safetensors", token=token).status == 404
    assert not (process.data_dir / "objects" / digest[:2] / digest).exists()

    retry = _start_upload(process, token, big)
    out, err = retry.communicate(timeout=300)
    assert retry.returncode == 0, err[-2000:]
    info = api.model_info("carol/crash", files_metadata=True)
    sibling = next(s for s in info.siblings if s.rfilename == "big.safetensors")
    assert sibling.lfs.sha256 == digest and sibling.size == big.stat().st_size
    assert [c.commit_id for c in api.list_repo_commits("carol/crash")][1] == previous


def test_several_workers_serve_one_port_and_die_with_the_server(tmp_path):
    process = HubProcess(tmp_path / "hub", serve_args=("--workers", "2")).start()
    token = create_token(process.data_dir, "dora")
    api = HfApi(endpoint=process.endpoint, token=token)
    api.create_repo("dora/multi")
    shas = {api.upload_file(path_or_fileobj=str(i).encode(), path_in_repo=f"{i}.txt", repo_id="dora/multi").oid
            for i in range(6)}
    assert len(shas) == 6 and len(api.list_repo_files("dora/multi")) == 7
    import psutil

    workers = psutil.Process(process.process.pid).children(recursive=True)
    assert len(workers) >= 2
    process.kill9()
    # A worker still importing when the server died exits once it gets to check (a loaded machine: wide margin).
    psutil.wait_procs(workers, timeout=60)
    assert not [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{process.endpoint}/api/hubkit/health", timeout=2)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the death signal is Linux's prctl")
def test_a_worker_whose_server_died_before_it_started_exits_at_once():
    """A worker still starting up when its server is killed gets no death signal (it asks for one
    too late), and by then its parent is init or a subreaper: it must see that its parent is no
    longer the server it was started by, and exit, instead of serving on as an orphan."""
    from hubkit.hub.serving import SERVER_PID_ENV

    code = "from hubkit.hub.serving import _die_with_parent; _die_with_parent(); print('serving')"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that is no longer anyone's parent: the server, dead before the worker started
    orphan = subprocess.run([sys.executable, "-c", code], env={**os.environ, SERVER_PID_ENV: str(gone.pid)},
                            capture_output=True, text=True, timeout=120)
    assert (orphan.returncode, orphan.stdout) == (1, "")
    alive = subprocess.run([sys.executable, "-c", code], env={**os.environ, SERVER_PID_ENV: str(os.getpid())},
                           capture_output=True, text=True, timeout=120)
    assert (alive.returncode, alive.stdout.strip()) == (0, "serving")
