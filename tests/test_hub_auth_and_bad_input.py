"""Who may read and write, and what the server does with bad input: a 4xx with X-Error-Code and a
message, never a 500, never a half-applied commit."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import pytest
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from helpers.hubserver import make_repo_with_file, request, unique_name


@pytest.fixture
def repo(hub) -> str:
    return make_repo_with_file(hub, "guarded", "keep.txt", b"original")


def head_of(repo_id: str) -> str:
    return HfApi().model_info(repo_id).sha


def ndjson(*lines: dict) -> str:
    return "\n".join(json.dumps(line) for line in lines) + "\n"


def commit_raw(hub, repo_id: str, body: str | bytes, revision: str = "main", token: str | None = None):
    return request(hub.endpoint, "POST", f"/api/models/{repo_id}/commit/{revision}", body=body,
                   headers={"Content-Type": "application/x-ndjson"}, token=token or hub.token)


def test_private_repo_is_invisible_to_others_and_anonymous(hub, tmp_path):
    repo_id = f"{hub.user}/{unique_name('secret')}"
    owner = HfApi()
    owner.create_repo(repo_id, private=True)
    owner.upload_file(path_or_fileobj=b"hidden", path_in_repo="s.txt", repo_id=repo_id)
    assert owner.model_info(repo_id).private is True

    other = HfApi(token=hub.token_for("mallory"))
    with pytest.raises(RepositoryNotFoundError):
        other.model_info(repo_id)
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(repo_id, "s.txt", token=hub.token_for("mallory"), cache_dir=tmp_path)
    anonymous = request(hub.endpoint, "GET", f"/{repo_id}/resolve/main/s.txt")
    assert anonymous.status == 401 and anonymous.headers["x-error-code"] == "RepoNotFound"  # hub-api.md 1.6
    assert repo_id not in [m.id for m in HfApi(token=False).list_models(author=hub.user)]
    assert repo_id in [m.id for m in owner.list_models(author=hub.user)]


def test_wrong_missing_and_read_only_tokens_cannot_write(hub, repo):
    with pytest.raises(HfHubHTTPError) as wrong:
        HfApi(token="hk_not-a-real-token").upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo)
    assert wrong.value.response.status_code == 401
    missing = request(hub.endpoint, "POST", f"/api/models/{repo}/commit/main",
                      body=ndjson({"key": "header", "value": {"summary": "x"}}))
    assert missing.status == 401 and missing.headers["x-error-code"]
    reader = HfApi(token=hub.token_for(hub.user, read_only=True))
    with pytest.raises(HfHubHTTPError) as read_only:
        reader.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo)
    assert read_only.value.response.status_code == 403
    stranger = HfApi(token=hub.token_for("eve"))
    with pytest.raises(HfHubHTTPError) as foreign:
        stranger.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo)
    assert foreign.value.response.status_code == 403
    assert HfApi().list_repo_files(repo) == [".gitattributes", "keep.txt"]


def test_stranger_may_open_a_pull_request_but_not_push_to_main(hub, repo):
    stranger = HfApi(token=hub.token_for("frank"))
    commit = stranger.upload_file(path_or_fileobj=b"suggestion", path_in_repo="s.txt", repo_id=repo, create_pr=True)
    assert commit.pr_revision.startswith("refs/pr/")
    assert not HfApi().file_exists(repo, "s.txt")


def test_stale_parent_commit_gets_412_and_changes_nothing(hub, repo):
    stale = head_of(repo)
    HfApi().upload_file(path_or_fileobj=b"newer", path_in_repo="newer.txt", repo_id=repo)
    with pytest.raises(HfHubHTTPError) as excinfo:
        HfApi().create_commit(repo, [CommitOperationAdd("late.txt", b"late")], commit_message="late",
                              parent_commit=stale)
    assert excinfo.value.response.status_code == 412
    assert not HfApi().file_exists(repo, "late.txt")


@pytest.mark.parametrize("bad_path, status", [("../escape.txt", 422), ("a/../../b.txt", 422), ("..\\win.txt", 422),
                                              ("/etc/passwd", 400), ("nul\x00.txt", 400), (".git/config", 400)])
def test_unsafe_paths_are_refused_and_nothing_is_stored(hub, repo, bad_path, status):
    before = head_of(repo)
    body = ndjson({"key": "header", "value": {"summary": "evil"}},
                  {"key": "file", "value": {"path": "fine.txt", "content": base64.b64encode(b"ok").decode(),
                                            "encoding": "base64"}},
                  {"key": "file", "value": {"path": bad_path, "content": base64.b64encode(b"x").decode(),
                                            "encoding": "base64"}})
    response = commit_raw(hub, repo, body)
    assert response.status == status and response.headers["x-error-code"] == "InvalidPath"
    assert head_of(repo) == before
    assert not HfApi().file_exists(repo, "fine.txt")


@pytest.mark.parametrize("body, status, code", [
    ("{not json\n", 400, "InvalidNdjson"),
    (ndjson({"key": "file", "value": {"path": "a.txt", "content": ""}}), 400, "InvalidNdjson"),
    (ndjson({"key": "header", "value": {"summary": "x"}}, {"key": "renameFile", "value": {"path": "a"}}), 400,
     "UnknownOperation"),
    (ndjson({"key": "header", "value": {"summary": "x"}}, {"key": "lfsFile", "value": {"path": "w.bin", "algo": "sha256",
                                                                                       "oid": "abc", "size": 3}}),
     400, "InvalidOid"),
    (ndjson({"key": "header", "value": {"summary": "x"}},
            {"key": "lfsFile", "value": {"path": "w.bin", "algo": "sha256", "oid": "0" * 64, "size": 3}}),
     400, "LfsObjectNotFound"),
    (ndjson({"key": "header", "value": {"summary": "x", "parentCommit": "HEAD~1"}}), 400, "InvalidRevision"),
    ('{"key": "header", "value": {"summary": "' + "x" * (2 * 1024 * 1024) + '"}}\n', 413, "LineTooLarge"),
    (ndjson({"key": "header", "value": {"summary": "x"}}, {"key": "deletedFile", "value": {"path": "ghost.txt"}}), 404,
     "EntryNotFound"),
])
def test_malformed_commits_get_4xx_with_error_code(hub, repo, body, status, code):
    before = head_of(repo)
    response = commit_raw(hub, repo, body)
    assert (response.status, response.headers.get("x-error-code")) == (status, code), response.body[:300]
    assert response.json()["error"]
    assert head_of(repo) == before


def test_bad_revision_and_branch_names(hub, repo):
    body = ndjson({"key": "header", "value": {"summary": "x"}})
    assert commit_raw(hub, repo, body, revision="nope").headers["x-error-code"] == "RevisionNotFound"
    for name in ["bad..name", "-leading", "trailing/", "has~tilde", "x.lock"]:
        response = request(hub.endpoint, "POST", f"/api/models/{repo}/branch/{name}", body={}, token=hub.token)
        assert response.status == 400 and response.headers["x-error-code"] == "InvalidRevision", name
    assert [b.name for b in HfApi().list_repo_refs(repo).branches] == ["main"]


def test_lfs_upload_with_wrong_bytes_is_refused_and_not_stored(hub, repo):
    real = os.urandom(4096)
    oid = hashlib.sha256(real).hexdigest()
    batch = request(hub.endpoint, "POST", f"/{repo}.git/info/lfs/objects/batch", token=hub.token,
                    headers={"Content-Type": "application/vnd.git-lfs+json"},
                    body={"operation": "upload", "transfers": ["basic"], "objects": [{"oid": oid, "size": len(real)}],
                          "hash_algo": "sha256", "ref": {"name": "main"}})
    href = batch.json()["objects"][0]["actions"]["upload"]["href"]
    path = href.split("127.0.0.1", 1)[1].split("/", 1)[1]
    forged = request(hub.endpoint, "PUT", "/" + path, body=os.urandom(4096))
    assert forged.status == 400 and forged.headers["x-error-code"] == "LfsObjectMismatch"
    body = ndjson({"key": "header", "value": {"summary": "x"}},
                  {"key": "lfsFile", "value": {"path": "w.bin", "algo": "sha256", "oid": oid, "size": len(real)}})
    assert commit_raw(hub, repo, body).headers["x-error-code"] == "LfsObjectNotFound"
    tampered = request(hub.endpoint, "PUT", "/" + path.replace("sig=", "sig=0"), body=real)
    assert tampered.status == 403
    assert request(hub.endpoint, "PUT", "/" + path, body=real).status == 200
    assert commit_raw(hub, repo, body).status == 200
    assert hf_hub_download(repo, "w.bin") and HfApi().model_info(repo, files_metadata=True)


def test_lfs_batch_refuses_bad_oids(hub, repo):
    response = request(hub.endpoint, "POST", f"/{repo}.git/info/lfs/objects/batch", token=hub.token,
                       body={"operation": "upload", "objects": [{"oid": "XYZ", "size": 1}], "ref": {"name": "main"}})
    assert response.status == 400 and response.headers["x-error-code"] == "InvalidOid"
    response = request(hub.endpoint, "POST", f"/{repo}.git/info/lfs/objects/batch", token=hub.token,
                       body={"operation": "delete", "objects": []})
    assert response.status == 400 and response.headers["x-error-code"] == "UnknownOperation"


def test_concurrent_commits_are_serialized(hub, repo):
    from concurrent.futures import ThreadPoolExecutor

    def push(i: int) -> str:
        return HfApi().upload_file(path_or_fileobj=f"{i}".encode(), path_in_repo=f"c/{i}.txt", repo_id=repo).oid

    with ThreadPoolExecutor(8) as pool:
        oids = list(pool.map(push, range(16)))
    assert len(set(oids)) == 16
    files = HfApi().list_repo_files(repo)
    assert all(f"c/{i}.txt" in files for i in range(16))
    assert len(HfApi().list_repo_commits(repo)) == 2 + 16


def test_xet_token_routes_fail_fast_with_a_clear_message(hub, repo):
    response = request(hub.endpoint, "GET", f"/api/models/{repo}/xet-write-token/main", token=hub.token)
    assert response.status == 501 and "HF_HUB_DISABLE_XET" in response.json()["error"]
