"""Behaviours the unmodified huggingface_hub client expects from the Hub (issue 15), each driven
through the client over real HTTP: request ids in errors, ids without a namespace, short commit
ids, backslashes in paths, pull requests against a commit id."""

from __future__ import annotations

import base64
import json

import pytest
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download
from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

from hubserver import make_repo_with_file, request


@pytest.fixture
def repo_id(hub) -> str:
    return make_repo_with_file(hub, "compat", "config.json", b'{"a": 1}')


def test_every_answer_has_a_request_id_that_client_errors_quote(hub):
    first = request(hub.endpoint, "GET", "/api/hubkit/health")
    second = request(hub.endpoint, "GET", "/api/hubkit/health")
    assert len(first.headers["x-request-id"]) == 32 and first.headers["x-request-id"] != second.headers["x-request-id"]
    with pytest.raises(RepositoryNotFoundError) as excinfo:
        HfApi().model_info(f"{hub.user}/no-such-repo")
    assert "Request ID:" in str(excinfo.value)


def test_an_id_without_a_namespace_is_a_missing_repo_not_an_error(hub):
    api = HfApi()
    assert api.repo_exists("gpt2") is False
    assert api.file_exists("gpt2", "config.json") is False
    for path in ("/api/models/gpt2", "/api/models/gpt2/revision/main", "/gpt2/resolve/main/config.json"):
        response = request(hub.endpoint, "GET", path, token=hub.token)
        assert response.status == 404 and response.headers["x-error-code"] == "RepoNotFound", path
        anonymous = request(hub.endpoint, "GET", path)
        assert anonymous.status == 401 and anonymous.headers["x-error-code"] == "RepoNotFound", path


def test_a_unique_short_commit_id_resolves_and_an_ambiguous_or_tiny_one_does_not(hub, repo_id, tmp_path):
    api = HfApi()
    sha = api.model_info(repo_id).sha
    assert api.model_info(repo_id, revision=sha[:7]).sha == sha
    path = hf_hub_download(repo_id, "config.json", revision=sha[:12], cache_dir=tmp_path)
    assert json.loads(open(path).read()) == {"a": 1}
    with pytest.raises(RevisionNotFoundError):
        api.model_info(repo_id, revision=sha[:6])


def test_backslashes_are_plain_characters_but_a_dotdot_segment_gets_422(hub, repo_id):
    api = HfApi()
    api.upload_file(path_or_fileobj=b"x", path_in_repo="odd\\name.txt", repo_id=repo_id)
    assert "odd\\name.txt" in api.list_repo_files(repo_id)
    body = "\n".join(json.dumps(line) for line in (
        {"key": "header", "value": {"summary": "escape"}},
        {"key": "file", "value": {"path": "..\\escape.txt", "content": base64.b64encode(b"x").decode(),
                                  "encoding": "base64"}}))
    response = request(hub.endpoint, "POST", f"/api/models/{repo_id}/commit/main", token=hub.token, body=body,
                       headers={"Content-Type": "application/x-ndjson"})
    assert response.status == 422 and response.headers["x-error-code"] == "InvalidPath"
    assert "..\\escape.txt" not in api.list_repo_files(repo_id)


def test_a_pull_request_against_a_commit_id_is_revision_not_found(hub, repo_id):
    api = HfApi()
    sha = api.model_info(repo_id).sha
    with pytest.raises(RevisionNotFoundError):
        api.create_commit(repo_id, [CommitOperationAdd("x.txt", b"x")], commit_message="pr", revision=sha,
                          create_pr=True)
    assert list(api.get_repo_discussions(repo_id)) == []
