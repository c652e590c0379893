"""The hub server driven by the unmodified huggingface_hub client: repos, uploads, downloads,
revisions, refs and history."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from huggingface_hub import HfApi, HfFileSystem, hf_hub_download, snapshot_download
from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

from helpers.hubserver import request, unique_name


@pytest.fixture
def api(hub) -> HfApi:
    return HfApi()


def test_create_repo_of_each_type_with_exist_ok_and_conflict(api, hub):
    for repo_type in ("model", "dataset", "space"):
        repo_id = f"{hub.user}/{unique_name(repo_type)}"
        kwargs = {"space_sdk": "gradio"} if repo_type == "space" else {}
        url = api.create_repo(repo_id, repo_type=repo_type, **kwargs)
        assert url.repo_id == repo_id and url.repo_type == repo_type
        assert api.create_repo(repo_id, repo_type=repo_type, exist_ok=True, **kwargs).repo_id == repo_id
        with pytest.raises(HfHubHTTPError) as excinfo:
            api.create_repo(repo_id, repo_type=repo_type, **kwargs)
        assert excinfo.value.response.status_code == 409
        info = api.repo_info(repo_id, repo_type=repo_type)
        assert info.id == repo_id and len(info.sha) == 40 and info.tags == []
        # A new Space gets the Hub's default README with its configuration, as on the Hub.
        assert [s.rfilename for s in info.siblings] == [".gitattributes"] + (["README.md"] if repo_type == "space" else [])
    api.delete_repo(repo_id, repo_type="space")
    assert not api.repo_exists(repo_id, repo_type="space")
    api.delete_repo(repo_id, repo_type="space", missing_ok=True)


def test_org_namespace_needs_membership(api, hub):
    assert api.create_repo(f"acme/{unique_name('org-model')}").repo_id.startswith("acme/")
    bob = HfApi(token=hub.token_for("bob-org"))
    with pytest.raises(HfHubHTTPError) as excinfo:
        bob.create_repo(f"acme/{unique_name('intrusion')}")
    assert excinfo.value.response.status_code == 403


def _write_folder(folder: Path, big_bytes: int) -> dict[str, bytes]:
    files = {
        "config.json": b'{"hidden_size": 8}',
        "notes/a b/\u00e9 x.txt": "accents and spaces".encode(),
        "model.safetensors": os.urandom(big_bytes),
        "README.md": b"---\nlicense: mit\nlibrary_name: transformers\npipeline_tag: text-classification\n---\n# Card\n",
    }
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return files


def test_upload_folder_lfs_and_regular_then_download_every_way(api, hub, tmp_path):
    repo_id = f"{hub.user}/{unique_name('files')}"
    api.create_repo(repo_id)
    files = _write_folder(tmp_path / "v1", 11 * 1024 * 1024)
    first = api.upload_folder(folder_path=tmp_path / "v1", repo_id=repo_id, commit_message="v1")
    info = api.model_info(repo_id, files_metadata=True)
    by_name = {s.rfilename: s for s in info.siblings}
    assert by_name["model.safetensors"].lfs is not None
    assert by_name["model.safetensors"].lfs.sha256 == hashlib.sha256(files["model.safetensors"]).hexdigest()
    assert by_name["config.json"].lfs is None and by_name["config.json"].size == len(files["config.json"])
    assert info.pipeline_tag == "text-classification" and info.library_name == "transformers"
    assert info.card_data["license"] == "mit"

    api.create_tag(repo_id, tag="v1.0")
    api.create_branch(repo_id, branch="dev/feature+\xe9")
    api.upload_file(path_or_fileobj=b'{"hidden_size": 16}', path_in_repo="config.json", repo_id=repo_id,
                    revision="dev/feature+\xe9")
    api.upload_file(path_or_fileobj=b'{"hidden_size": 32}', path_in_repo="config.json", repo_id=repo_id)

    assert Path(hf_hub_download(repo_id, "config.json")).read_bytes() == b'{"hidden_size": 32}'
    assert Path(hf_hub_download(repo_id, "config.json", revision="v1.0")).read_bytes() == files["config.json"]
    assert Path(hf_hub_download(repo_id, "config.json", revision=first.oid)).read_bytes() == files["config.json"]
    assert Path(hf_hub_download(repo_id, "config.json", revision="dev/feature+\xe9")).read_bytes() == b'{"hidden_size": 16}'
    accented = "notes/a b/\xe9 x.txt"
    assert Path(hf_hub_download(repo_id, accented, revision="v1.0")).read_bytes() == files[accented]

    snapshot = Path(snapshot_download(repo_id, revision="v1.0"))
    assert snapshot.name == first.oid
    for name, content in files.items():
        assert (snapshot / name).read_bytes() == content
    local = Path(snapshot_download(repo_id, revision=first.oid, local_dir=tmp_path / "local"))
    assert (local / "model.safetensors").read_bytes() == files["model.safetensors"]

    refs = api.list_repo_refs(repo_id)
    assert {b.name for b in refs.branches} == {"main", "dev/feature+\xe9"}
    assert [t.name for t in refs.tags] == ["v1.0"] and refs.tags[0].target_commit == first.oid
    titles = [c.title for c in api.list_repo_commits(repo_id)]
    assert titles[1:] == ["v1", "initial commit"] and len(titles) == 3

    with pytest.raises(EntryNotFoundError):
        hf_hub_download(repo_id, "missing.txt")
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(repo_id, "config.json", revision="no-such-branch")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(f"{hub.user}/{unique_name('absent')}", "config.json")
    assert api.file_exists(repo_id, "config.json") and not api.file_exists(repo_id, "nope.json")


def test_tree_paths_info_and_ranges(api, hub, tmp_path):
    repo_id = f"{hub.user}/{unique_name('tree')}"
    api.create_repo(repo_id, repo_type="dataset")
    content = bytes(range(256)) * 40
    api.upload_file(path_or_fileobj=content, path_in_repo="data/part/x.bin", repo_id=repo_id, repo_type="dataset")
    api.upload_file(path_or_fileobj=b"top", path_in_repo="top.txt", repo_id=repo_id, repo_type="dataset")

    entries = list(api.list_repo_tree(repo_id, repo_type="dataset", recursive=True))
    paths = {(type(e).__name__, e.path) for e in entries}
    assert ("RepoFolder", "data") in paths and ("RepoFolder", "data/part") in paths
    assert ("RepoFile", "data/part/x.bin") in paths
    shallow = {e.path for e in api.list_repo_tree(repo_id, repo_type="dataset", path_in_repo="data")}
    assert shallow == {"data/part"}
    with pytest.raises(EntryNotFoundError):
        list(api.list_repo_tree(repo_id, repo_type="dataset", path_in_repo="top.txt"))

    infos = api.get_paths_info(repo_id, ["top.txt", "data", "missing"], repo_type="dataset")
    assert sorted(i.path for i in infos) == ["data", "top.txt"]

    fs = HfFileSystem()
    with fs.open(f"datasets/{repo_id}/data/part/x.bin", "rb", block_size=100) as handle:
        handle.seek(1000)
        assert handle.read(300) == content[1000:1300]

    path = f"/datasets/{repo_id}/resolve/main/data/part/x.bin"
    part = request(hub.endpoint, "GET", path, headers={"Range": "bytes=10-19"})
    assert part.status == 206 and part.body == content[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(content)}"
    assert request(hub.endpoint, "GET", path, headers={"Range": "bytes=-5"}).body == content[-5:]
    assert request(hub.endpoint, "GET", path, headers={"Range": "bytes=100-"}).body == content[100:]
    outside = request(hub.endpoint, "GET", path, headers={"Range": f"bytes={len(content)}-"})
    assert outside.status == 416 and outside.headers["content-range"] == f"bytes */{len(content)}"
    head = request(hub.endpoint, "HEAD", path)
    assert head.status == 200 and int(head.headers["content-length"]) == len(content) and head.body == b""
    assert head.headers["x-linked-etag"].strip('"') == hashlib.sha256(content).hexdigest()


def test_pull_requests_both_ways_and_merge(api, hub, tmp_path):
    repo_id = f"{hub.user}/{unique_name('prs')}"
    api.create_repo(repo_id)
    commit = api.upload_file(path_or_fileobj=b"proposal", path_in_repo="p.txt", repo_id=repo_id, create_pr=True)
    assert commit.pr_revision == "refs/pr/1"
    assert not api.file_exists(repo_id, "p.txt")
    assert Path(hf_hub_download(repo_id, "p.txt", revision="refs/pr/1")).read_bytes() == b"proposal"
    discussion = api.create_pull_request(repo_id, title="second")
    assert discussion.num == 2
    api.upload_file(path_or_fileobj=b"two", path_in_repo="two.txt", repo_id=repo_id, revision="refs/pr/2")
    refs = api.list_repo_refs(repo_id, include_pull_requests=True)
    assert [p.ref for p in refs.pull_requests] == ["refs/pr/1", "refs/pr/2"]
    api.merge_pull_request(repo_id, 1)
    assert api.file_exists(repo_id, "p.txt") and not api.file_exists(repo_id, "two.txt")
    assert api.get_discussion_details(repo_id, 1).status == "merged"
