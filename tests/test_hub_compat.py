"""Behaviours the unmodified huggingface_hub client expects from the Hub (issue 15), each driven
through the client over real HTTP: request ids in errors, ids without a namespace, short commit
ids, backslashes in paths, pull requests against a commit id."""

from __future__ import annotations

import base64
import json

import pytest
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download
from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

from helpers.hubserver import make_repo_with_file, request


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


def test_validate_yaml_reads_a_card_after_blank_lines_and_warns_on_an_empty_one(hub):
    broken = "\n\n---\nmodel-index: not-a-list\n---\n# Card\n"
    response = request(hub.endpoint, "POST", "/api/validate-yaml", body={"content": broken, "repoType": "model"})
    assert response.status == 400 and b"model-index" in response.body
    empty = request(hub.endpoint, "POST", "/api/validate-yaml", body={"content": "# Just text\n", "repoType": "model"})
    assert empty.status == 200 and json.loads(empty.body)["warnings"]
    fine = request(hub.endpoint, "POST", "/api/validate-yaml", body={"content": "---\nlicense: mit\n---\n"})
    assert fine.status == 200 and json.loads(fine.body) == {"errors": [], "warnings": []}


def test_gitignore_rules_make_preupload_skip_files(hub, repo_id):
    api = HfApi()
    api.create_commit(repo_id, [CommitOperationAdd(".gitignore", b"*.log\nbuild/\n"),
                                CommitOperationAdd("run.log", b"noise"), CommitOperationAdd("build/x.bin", b"b"),
                                CommitOperationAdd("kept.txt", b"kept")], commit_message="with ignore rules")
    files = set(api.list_repo_files(repo_id))
    assert {".gitignore", "kept.txt"} <= files and not {"run.log", "build/x.bin"} & files
    # The stored .gitignore applies to later commits too.
    api.create_commit(repo_id, [CommitOperationAdd("later.log", b"x"), CommitOperationAdd("later.txt", b"x")],
                      commit_message="later")
    files = set(api.list_repo_files(repo_id))
    assert "later.txt" in files and "later.log" not in files


def test_auth_check_answers_for_read_and_write_access(hub, repo_id):
    from huggingface_hub.errors import HfHubHTTPError

    from helpers.hubserver import create_token

    api = HfApi()
    api.auth_check(repo_id)
    api.auth_check(repo_id, write=True)
    reader = create_token(hub.data_dir, hub.user, read_only=True)
    api.auth_check(repo_id, token=reader)
    with pytest.raises(HfHubHTTPError) as excinfo:
        api.auth_check(repo_id, write=True, token=reader)
    assert excinfo.value.response.status_code == 403
    with pytest.raises(RepositoryNotFoundError):
        api.auth_check(f"{hub.user}/missing-{repo_id.split('/')[1]}")


def test_super_squash_leaves_one_commit_with_the_same_files(hub, repo_id):
    api = HfApi()
    for i in range(3):
        api.upload_file(path_or_fileobj=str(i).encode(), path_in_repo=f"f{i}.txt", repo_id=repo_id)
    files = api.list_repo_files(repo_id)
    assert len(api.list_repo_commits(repo_id)) == 5
    api.super_squash_history(repo_id, commit_message="squashed")
    commits = api.list_repo_commits(repo_id)
    assert [c.title for c in commits] == ["squashed"]
    assert api.list_repo_files(repo_id) == files


def test_lfs_files_are_listed_and_permanently_deleted_from_the_branches(hub, repo_id):
    api = HfApi()
    weights = b"\x00weights" * 1000
    api.upload_file(path_or_fileobj=weights, path_in_repo="model.safetensors", repo_id=repo_id)
    listed = list(api.list_lfs_files(repo_id))
    assert [(f.filename, f.size) for f in listed] == [("model.safetensors", len(weights))]
    api.permanently_delete_lfs_files(repo_id, listed)
    assert "model.safetensors" not in api.list_repo_files(repo_id)
    assert list(api.list_lfs_files(repo_id)) == []


def test_a_renamed_repo_answers_to_its_old_id_until_a_new_repo_takes_it(hub, repo_id):
    api = HfApi()
    renamed = repo_id + "-renamed"
    api.move_repo(repo_id, renamed)
    assert api.model_info(repo_id).id == renamed
    assert api.file_exists(repo_id, "config.json")
    api.create_repo(repo_id)
    assert api.model_info(repo_id).id == repo_id
    assert api.list_repo_files(repo_id) == [".gitattributes"]
    assert "config.json" in api.list_repo_files(renamed)


def test_a_new_space_has_the_hubs_default_readme(hub):
    from helpers.hubserver import unique_name

    api = HfApi()
    space = f"{hub.user}/{unique_name('space')}"
    api.create_repo(space, repo_type="space", space_sdk="gradio")
    assert "README.md" in api.list_repo_files(space, repo_type="space")
    assert api.space_info(space).card_data.get("sdk") == "gradio"


def test_account_names_and_private_by_default_orgs(hub, tmp_path):
    import subprocess
    import sys

    from helpers.hubserver import create_token, unique_name

    org = unique_name("acme")
    token = create_token(hub.data_dir, hub.user, orgs=[org])
    subprocess.run([sys.executable, "-m", "hubkit.cli", "hub", "account", org, "--data-dir", str(hub.data_dir),
                    "--fullname", "Acme Labs", "--private-by-default"], check=True, capture_output=True)
    api = HfApi(token=token)
    assert {o["name"]: o["fullname"] for o in api.whoami()["orgs"]}[org] == "Acme Labs"
    assert api.model_info(api.create_repo(f"{org}/default").repo_id).private is True
    assert api.model_info(api.create_repo(f"{org}/public", private=False).repo_id).private is False
    assert api.model_info(api.create_repo(f"{hub.user}/{unique_name('mine')}").repo_id).private is False


def test_branch_and_tag_errors_read_as_the_hubs(hub, repo_id):
    from huggingface_hub.errors import HfHubHTTPError

    api = HfApi()
    api.create_branch(repo_id, branch="cool-branch")
    with pytest.raises(HfHubHTTPError, match="Reference refs/heads/cool-branch already exists"):
        api.create_branch(repo_id, branch="cool-branch")
    with pytest.raises(HfHubHTTPError, match="Cannot delete refs/heads/main"):
        api.delete_branch(repo_id, branch="main")
    with pytest.raises(RevisionNotFoundError):
        api.create_tag(repo_id, tag="invalid tag", revision="no-such-revision")


def test_deleting_a_folder_named_without_its_slash_deletes_the_folder(hub, repo_id):
    from huggingface_hub import CommitOperationDelete

    api = HfApi()
    api.create_commit(repo_id, [CommitOperationAdd("1/a.txt", b"a"), CommitOperationAdd("1/b/c.txt", b"c")],
                      commit_message="folder")
    api.create_commit(repo_id, [CommitOperationDelete("1")], commit_message="delete it")
    assert not [f for f in api.list_repo_files(repo_id) if f.startswith("1/")]
