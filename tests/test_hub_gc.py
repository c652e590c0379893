"""``hubkit hub gc``: contents of deleted repos are reclaimed; anything a revision still needs is not."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time

from huggingface_hub import HfApi, hf_hub_download


def _gc(data_dir, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hubkit.cli", "hub", "gc", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True)


def _object(data_dir, content: bytes):
    digest = hashlib.sha256(content).hexdigest()
    return data_dir / "objects" / digest[:2] / digest


def test_gc_removes_only_what_no_revision_needs(own_hub, tmp_path):
    process, token = own_hub
    api = HfApi(endpoint=process.endpoint, token=token)
    old, new, doomed, lfs = b"old weights", b"new weights", b"of a deleted repo", os.urandom(300_000)
    api.create_repo("carol/kept")
    first = api.upload_file(path_or_fileobj=old, path_in_repo="w.txt", repo_id="carol/kept").oid
    api.upload_file(path_or_fileobj=new, path_in_repo="w.txt", repo_id="carol/kept")
    api.create_repo("carol/gone")
    api.upload_file(path_or_fileobj=doomed, path_in_repo="x.txt", repo_id="carol/gone")
    api.upload_file(path_or_fileobj=lfs, path_in_repo="big.bin", repo_id="carol/gone")
    api.delete_repo("carol/gone")
    data = process.data_dir
    assert _object(data, doomed).exists() and _object(data, lfs).exists()

    young = _gc(data)
    assert young.returncode == 0, young.stderr
    assert "removed 0 " in young.stdout and _object(data, doomed).exists(), "young orphans are kept"

    past = time.time() - 7200
    for path in (data / "objects").glob("*/*"):
        os.utime(path, (past, past))
    dry = _gc(data, "--dry-run")
    assert dry.returncode == 0 and "would remove 2 " in dry.stdout and _object(data, doomed).exists()

    swept = _gc(data)
    assert swept.returncode == 0 and f"removed 2 unreferenced objects ({len(doomed) + len(lfs)} bytes)" in swept.stdout
    assert not _object(data, doomed).exists() and not _object(data, lfs).exists()
    for revision, content in ((first, old), ("main", new)):
        path = hf_hub_download("carol/kept", "w.txt", revision=revision, endpoint=process.endpoint, token=token,
                               cache_dir=tmp_path / f"cache-{revision}")
        assert open(path, "rb").read() == content


def test_reusing_an_old_orphan_makes_it_young_again(own_hub):
    process, token = own_hub
    api = HfApi(endpoint=process.endpoint, token=token)
    content = b"shared by two repos"
    api.create_repo("carol/first")
    api.upload_file(path_or_fileobj=content, path_in_repo="a.txt", repo_id="carol/first")
    api.delete_repo("carol/first")
    past = time.time() - 7200
    os.utime(_object(process.data_dir, content), (past, past))
    api.create_repo("carol/second")
    api.upload_file(path_or_fileobj=content, path_in_repo="a.txt", repo_id="carol/second")
    assert _object(process.data_dir, content).stat().st_mtime > past + 3600
    assert "removed 0 " in _gc(process.data_dir).stdout
    assert _object(process.data_dir, content).exists()


def test_gc_of_a_missing_or_foreign_folder_is_one_clear_line_and_touches_nothing(tmp_path):
    result = _gc(tmp_path / "nowhere")
    assert result.returncode != 0 and "nowhere" in result.stderr
    foreign = tmp_path / "photos"
    foreign.mkdir()
    refused = _gc(foreign)
    assert refused.returncode == 1 and "is not a hub data dir" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and list(foreign.iterdir()) == []
