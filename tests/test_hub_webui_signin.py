"""Signing in to the web UI (issue 17, point 11): a private repo's page is 404 until its owner
signs in with a token; the session cookie is HttpOnly, SameSite=Strict and signed, dies with its
token, never sends a browser to another site, and never authorizes the API."""

from __future__ import annotations

import subprocess
import sys
import urllib.parse

import pytest
from huggingface_hub import HfApi

from helpers.hubserver import request, unique_name


def sign_in(hub, token: str, next_path: str = "/") -> "request":
    return request(hub.endpoint, "POST", "/login?next=" + urllib.parse.quote(next_path, safe="/"),
                   body=urllib.parse.urlencode({"token": token}),
                   headers={"Content-Type": "application/x-www-form-urlencoded"})


def cookie_of(response) -> str:
    return response.headers["set-cookie"].split(";", 1)[0]


@pytest.fixture
def private_repo(hub) -> str:
    repo_id = f"{hub.user}/{unique_name('secret')}"
    api = HfApi()
    api.create_repo(repo_id, private=True)
    api.upload_file(path_or_fileobj=b"# Secret\n\nOnly for the owner.\n", path_in_repo="README.md", repo_id=repo_id)
    return repo_id


def test_a_private_page_is_404_until_the_owner_signs_in(hub, private_repo):
    anonymous = request(hub.endpoint, "GET", f"/{private_repo}")
    assert anonymous.status == 404 and b"Only for the owner" not in anonymous.body and b"/login?next=" in anonymous.body

    signed = sign_in(hub, hub.token, f"/{private_repo}")
    assert signed.status == 303 and signed.headers["location"] == f"/{private_repo}"
    attributes = {part.strip().lower() for part in signed.headers["set-cookie"].split(";")}
    assert "httponly" in attributes and "samesite=strict" in attributes
    assert hub.token not in signed.headers["set-cookie"]

    page = request(hub.endpoint, "GET", f"/{private_repo}", headers={"Cookie": cookie_of(signed)})
    assert page.status == 200 and b"Only for the owner" in page.body
    readme = request(hub.endpoint, "GET", f"/{private_repo}/resolve/main/README.md",
                     headers={"Cookie": cookie_of(signed)})
    assert readme.status == 200 and readme.body.startswith(b"# Secret")
    index = request(hub.endpoint, "GET", "/", headers={"Cookie": cookie_of(signed)})
    assert private_repo.encode() in index.body and b"Signed in as" in index.body
    assert private_repo.encode() not in request(hub.endpoint, "GET", "/").body


def test_another_users_session_and_a_forged_cookie_see_nothing(hub, private_repo):
    other = sign_in(hub, hub.token_for(unique_name("mallory")))
    assert request(hub.endpoint, "GET", f"/{private_repo}", headers={"Cookie": cookie_of(other)}).status == 404
    token_id, expires, signature = cookie_of(sign_in(hub, hub.token)).split("=", 1)[1].split(".")
    for forged in (f"{token_id}.{int(expires) + 10**6}.{signature}", f"{token_id}.{expires}.{'0' * 64}"):
        response = request(hub.endpoint, "GET", f"/{private_repo}", headers={"Cookie": f"hubkit_session={forged}"})
        assert response.status == 404, forged


def test_a_bad_token_is_refused_and_next_never_leaves_the_hub(hub):
    refused = sign_in(hub, "hk_not-a-token")
    assert refused.status == 401 and "set-cookie" not in refused.headers
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        assert sign_in(hub, hub.token, target).headers["location"] == "/", target


def test_the_session_dies_with_its_token_and_never_authorizes_the_api(hub, private_repo):
    token = hub.token_for(hub.user)
    cookie = cookie_of(sign_in(hub, token))
    assert request(hub.endpoint, "GET", f"/{private_repo}", headers={"Cookie": cookie}).status == 200
    api_call = request(hub.endpoint, "GET", f"/api/models/{private_repo}", headers={"Cookie": cookie})
    assert api_call.status == 401 and api_call.headers["x-error-code"] == "RepoNotFound"

    listed = subprocess.run([sys.executable, "-m", "hubkit.cli", "hub", "token", "list", "--data-dir",
                             str(hub.data_dir), "--user", hub.user], capture_output=True, text=True, check=True).stdout
    from hubkit.hub.auth import token_id

    assert token_id(token) in listed
    subprocess.run([sys.executable, "-m", "hubkit.cli", "hub", "token", "revoke", token_id(token), "--data-dir",
                    str(hub.data_dir)], capture_output=True, text=True, check=True)
    assert request(hub.endpoint, "GET", f"/{private_repo}", headers={"Cookie": cookie}).status == 404


def test_signing_out_clears_the_cookie(hub):
    response = request(hub.endpoint, "POST", "/logout", headers={"Cookie": cookie_of(sign_in(hub, hub.token))})
    assert response.status == 303 and "hubkit_session=" in response.headers["set-cookie"]
    assert "max-age=0" in response.headers["set-cookie"].lower()


def test_the_owners_session_reads_the_viewer_rows_of_a_private_dataset_and_nobody_elses_does(hub):
    """The viewer page fetches /viewer/rows from the signed-in browser: the owner's cookie reads
    the private rows; no cookie, another user's, or a forged one reads nothing."""
    repo_id = f"{hub.user}/{unique_name('secret-rows')}"
    api = HfApi()
    api.create_repo(repo_id, repo_type="dataset", private=True)
    api.upload_file(path_or_fileobj=b"text\nonly for the owner\n", path_in_repo="data/train.csv", repo_id=repo_id,
                    repo_type="dataset")
    path = "/viewer/rows?" + urllib.parse.urlencode({"dataset": repo_id, "config": "default", "split": "train"})
    owner = request(hub.endpoint, "GET", path, headers={"Cookie": cookie_of(sign_in(hub, hub.token))})
    assert owner.status == 200, owner.body[:300]
    assert [row["row"] for row in owner.json()["rows"]] == [{"text": "only for the owner"}]
    other = cookie_of(sign_in(hub, hub.token_for(unique_name("mallory"))))
    token_id, expires, signature = cookie_of(sign_in(hub, hub.token)).split("=", 1)[1].split(".")
    for cookie in (None, other, f"hubkit_session={token_id}.{expires}.{'0' * 64}"):
        response = request(hub.endpoint, "GET", path, headers={"Cookie": cookie} if cookie else {})
        assert response.status in (401, 404) and b"only for the owner" not in response.body, cookie
