"""Discussions (events, comments, status and title changes, filters), likes, and gated repos with
their access requests (issue 15, groups 1 and 9), each driven by the unmodified huggingface_hub
client over real HTTP. A second user, made with ``create_token``, plays the outsider.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers.hubserver import make_repo_with_file, request, unique_name
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
)

from hubkit.hub import db


@pytest.fixture(scope="module")
def bob(hub) -> tuple[str, str]:
    """An outsider with a write token of his own (a fresh name: likes and requests start empty)."""
    name = unique_name("bob")
    return name, hub.token_for(name)


@pytest.fixture(scope="module")
def bob_reader(hub, bob) -> str:
    return hub.token_for(bob[0], read_only=True)


@pytest.fixture
def repo_id(hub) -> str:
    return make_repo_with_file(hub, "talk", "weights.bin", b"weights")


def _status(error: pytest.ExceptionInfo) -> int:
    return error.value.response.status_code


# ----- discussions -----
def test_events_hold_the_opening_comment_then_comments_title_and_status_changes(repo_id, bob):
    api, outsider = HfApi(), HfApi(token=bob[1])
    opened = api.create_discussion(repo_id, title="Numbers look off", description="Row 3 is wrong.")
    assert [(e.type, e.author, e.content) for e in opened.events] == [("comment", "alice", "Row 3 is wrong.")]

    comment = outsider.comment_discussion(repo_id, opened.num, "Confirmed **here** too.")
    assert (comment.type, comment.author, comment.content, comment.edited) == ("comment", bob[0],
                                                                              "Confirmed **here** too.", False)
    renamed = api.rename_discussion(repo_id, opened.num, "Row 3 is off")
    assert (renamed.old_title, renamed.new_title) == ("Numbers look off", "Row 3 is off")
    closed = api.change_discussion_status(repo_id, opened.num, "closed", comment="Fixed in main.")
    assert closed.new_status == "closed"

    details = api.get_discussion_details(repo_id, opened.num)
    assert (details.title, details.status) == ("Row 3 is off", "closed")
    assert [e.type for e in details.events] == ["comment", "comment", "title-change", "comment", "status-change"]
    assert [e.id for e in details.events if e.id in (comment.id, renamed.id, closed.id)] == [
        comment.id, renamed.id, closed.id]
    assert details.events[3].content == "Fixed in main."
    assert api.get_discussion_details(repo_id, opened.num) == details  # events are stable between reads

    reopened = outsider.get_discussion_details(repo_id, opened.num)
    assert reopened.events[-1].new_status == "closed"
    assert api.change_discussion_status(repo_id, opened.num, "open").new_status == "open"
    assert api.get_discussion_details(repo_id, opened.num).status == "open"


def test_anyone_with_a_write_token_comments_but_only_the_author_or_a_writer_moderates(hub, repo_id, bob, bob_reader):
    api, outsider = HfApi(), HfApi(token=bob[1])
    alices = api.create_discussion(repo_id, title="Alice's question")
    with pytest.raises(HfHubHTTPError) as refused:
        outsider.change_discussion_status(repo_id, alices.num, "closed")
    assert _status(refused) == 403
    with pytest.raises(HfHubHTTPError) as refused:
        outsider.rename_discussion(repo_id, alices.num, "Hijacked")
    assert _status(refused) == 403
    with pytest.raises(HfHubHTTPError) as refused:
        HfApi(token=bob_reader).comment_discussion(repo_id, alices.num, "read tokens only read")
    assert _status(refused) == 403
    anonymous = request(hub.endpoint, "POST", f"/api/models/{repo_id}/discussions/{alices.num}/comment",
                        body={"comment": "hi"})
    assert anonymous.status == 401

    bobs = outsider.create_discussion(repo_id, title="Bob's own")
    assert outsider.rename_discussion(repo_id, bobs.num, "Bob's, renamed").new_title == "Bob's, renamed"
    assert outsider.change_discussion_status(repo_id, bobs.num, "closed").new_status == "closed"
    api.change_discussion_status(repo_id, bobs.num, "open")  # a writer of the repo may too
    details = api.get_discussion_details(repo_id, alices.num)
    assert (details.title, details.status, len(details.events)) == ("Alice's question", "open", 1)


def test_listing_filters_by_type_status_and_author_and_pages(repo_id, bob):
    api = HfApi()
    pr = api.create_pull_request(repo_id, title="A change")
    talk = api.create_discussion(repo_id, title="A question")
    bobs = HfApi(token=bob[1]).create_discussion(repo_id, title="Bob asks")
    api.change_discussion_status(repo_id, talk.num, "closed")

    def nums(**filters) -> list[int]:
        return [d.num for d in api.get_repo_discussions(repo_id, **filters)]

    assert nums() == [bobs.num, talk.num, pr.num]
    assert nums(discussion_type="pull_request") == [pr.num]
    assert nums(discussion_type="discussion") == [bobs.num, talk.num]
    assert nums(discussion_status="closed") == [talk.num]
    assert nums(discussion_status="open", discussion_type="discussion") == [bobs.num]
    assert nums(author=bob[0]) == [bobs.num]
    assert nums(author="nobody-at-all") == []

    for number in range(50):
        api.create_discussion(repo_id, title=f"Filler {number}")
    everything = nums()
    assert len(everything) == 53 and everything == sorted(everything, reverse=True)  # two pages, each once


def test_comments_can_be_edited_by_their_author_and_hidden(repo_id, bob):
    api, outsider = HfApi(), HfApi(token=bob[1])
    opened = api.create_discussion(repo_id, title="Edit me", description="First draft")
    first = opened.events[0]
    edited = api.edit_discussion_comment(repo_id, opened.num, first.id, "Second draft")
    assert (edited.id, edited.content, edited.edited) == (first.id, "Second draft", True)
    assert edited.edit_history[0]["raw"] == "First draft"
    with pytest.raises(HfHubHTTPError) as refused:
        outsider.edit_discussion_comment(repo_id, opened.num, first.id, "Bob's words")
    assert _status(refused) == 403

    remark = outsider.comment_discussion(repo_id, opened.num, "Off-topic remark")
    with pytest.warns(UserWarning):
        hidden = api.hide_discussion_comment(repo_id, opened.num, remark.id)
    assert (hidden.hidden, hidden.content) == (True, "")
    events = api.get_discussion_details(repo_id, opened.num).events
    assert [(e.content, e.hidden) for e in events] == [("Second draft", False), ("", True)]


def test_a_merged_pull_request_names_its_merge_commit_and_stays_merged(repo_id):
    api = HfApi()
    commit = api.create_commit(repo_id, [CommitOperationAdd("new.txt", b"new")], commit_message="Add new.txt",
                               create_pr=True)
    num = int(commit.pr_num)
    api.merge_pull_request(repo_id, num, comment="Thanks!")
    details = api.get_discussion_details(repo_id, num)
    assert details.status == "merged"
    assert details.merge_commit_oid == api.model_info(repo_id).sha
    assert [e.type for e in details.events][-2:] == ["comment", "status-change"]
    with pytest.raises(HfHubHTTPError) as refused:
        api.change_discussion_status(repo_id, num, "open")
    assert _status(refused) == 409


@pytest.mark.parametrize("suffix, body, named", [
    ("1/comment", {"comment": 5}, "comment"),
    ("1/comment", {"comment": "   "}, "comment"),
    ("1/status", {"status": "merged"}, "status"),
    ("1/status", {"status": "closed", "comment": ["x"]}, "comment"),
    ("1/title", {"title": ""}, "title"),
    ("1/title", {"title": "x" * 501}, "title"),
    ("1/comment/0123456789abcdef01234567/edit", {"content": {"a": 1}}, "content"),
])
def test_bad_discussion_bodies_get_400_naming_the_field(hub, repo_id, suffix, body, named):
    HfApi().create_discussion(repo_id, title="Target")
    response = request(hub.endpoint, "POST", f"/api/models/{repo_id}/discussions/{suffix}", body=body,
                       token=hub.token)
    assert response.status == 400, response.body
    assert repr(named) in response.json()["error"]


@pytest.mark.parametrize("path, status", [
    ("discussions/99999999999999999999999", 404), ("discussions/%C2%B2", 404), ("discussions/7", 404),
    ("discussions?p=-1", 400), ("discussions?type=bogus", 400), ("discussions?status=merged", 400),
    ("user-access-request/everyone", 404), ("likers?cursor=x", 400),
])
def test_odd_discussion_urls_get_4xx_not_5xx(hub, repo_id, path, status):
    assert request(hub.endpoint, "GET", f"/api/models/{repo_id}/{path}", token=hub.token).status == status


def test_discussions_of_an_old_data_dir_get_their_opening_comment(tmp_path):
    conn = db.connect(tmp_path)
    conn.execute("DROP TRIGGER discussion_opening_comment")  # as a data dir from before events was
    conn.execute("INSERT INTO repos (type, namespace, name, private, created_at) VALUES ('model', 'a', 'm', 0, 'x')")
    conn.execute("INSERT INTO discussions (repo, num, title, description, author, is_pr, status, created_at) "
                 "VALUES (1, 1, 'Old', 'Opened long ago', 'a', 0, 'open', '2020-01-01T00:00:00.000Z')")
    conn.close()
    conn = db.connect(tmp_path)
    rows = conn.execute("SELECT type, author, content, created_at FROM discussion_events").fetchall()
    assert [tuple(r) for r in rows] == [("comment", "a", "Opened long ago", "2020-01-01T00:00:00.000Z")]
    assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'discussion_opening_comment'").fetchone()
    conn.close()


# ----- likes -----
def test_likes_are_listed_counted_and_undone(hub, repo_id, bob, bob_reader):
    outsider = HfApi(token=bob[1])
    assert request(hub.endpoint, "POST", f"/api/models/{repo_id}/like", token=bob[1]).status == 200
    assert request(hub.endpoint, "POST", f"/api/models/{repo_id}/like", token=bob[1]).status == 200  # idempotent
    assert request(hub.endpoint, "POST", f"/api/models/{repo_id}/like", token=bob_reader).status == 403
    assert HfApi().model_info(repo_id).likes == 1
    assert [u.username for u in HfApi().list_repo_likers(repo_id)] == [bob[0]]
    likes = HfApi().list_liked_repos(bob[0])
    assert (likes.user, likes.models, likes.total) == (bob[0], [repo_id], 1)
    assert outsider.list_liked_repos().models == [repo_id]  # the user comes from whoami

    outsider.unlike(repo_id)
    assert HfApi().model_info(repo_id).likes == 0
    assert HfApi().list_liked_repos(bob[0]).total == 0
    with pytest.raises(RepositoryNotFoundError):
        outsider.unlike("missing_repo_id")
    with pytest.raises(HfHubHTTPError) as missing:
        HfApi().list_liked_repos("no-such-user-here")
    assert _status(missing) == 404


def test_long_lists_come_in_pages_that_the_client_follows(hub, repo_id):
    """501 likers (written straight into the data dir: 501 tokens would take minutes) are two pages."""
    with sqlite3.connect(hub.data_dir / db.DATABASE_FILE, timeout=30) as conn:
        key = conn.execute("SELECT id FROM repos WHERE namespace || '/' || name = ?", (repo_id,)).fetchone()[0]
        conn.executemany("INSERT INTO likes (user, repo, created_at) VALUES (?, ?, '2024-01-01T00:00:00.000Z')",
                         [(f"fan{number:03d}", key) for number in range(501)])
    first = request(hub.endpoint, "GET", f"/api/models/{repo_id}/likers")
    assert len(first.json()) == 500 and 'rel="next"' in first.headers["link"]
    likers = [user.username for user in HfApi().list_repo_likers(repo_id)]
    assert sorted(likers) == [f"fan{number:03d}" for number in range(501)]
    assert HfApi().model_info(repo_id).likes == 501


def test_a_liked_private_repo_is_listed_only_to_who_may_see_it(hub, bob):
    api = HfApi()
    private = api.create_repo(f"{hub.user}/{unique_name('secret')}", private=True).repo_id
    liker = unique_name("fan")
    token = hub.token_for(liker)
    assert request(hub.endpoint, "POST", f"/api/models/{private}/like", token=hub.token).status == 200
    assert api.list_liked_repos(hub.user).models.count(private) == 1
    assert private not in HfApi(token=bob[1]).list_liked_repos(hub.user).models
    assert private not in HfApi(token=False).list_liked_repos(hub.user).models
    assert HfApi(token=token).list_liked_repos(liker).total == 0


# ----- gated repos and access requests -----
def _gate(repo_id: str, mode: str) -> None:
    HfApi().update_repo_settings(repo_id, gated=mode)


def _ask(hub, repo_id: str, token: str):
    return request(hub.endpoint, "POST", f"/{repo_id}/ask-access", token=token)


def test_a_gated_repo_refuses_downloads_until_access_is_accepted(hub, repo_id, bob, tmp_path):
    _gate(repo_id, "manual")
    with pytest.raises(GatedRepoError, match="Access to model .* is restricted and you are not in the authorized list"):
        hf_hub_download(repo_id, "weights.bin", token=bob[1], cache_dir=tmp_path / "a")
    with pytest.raises(GatedRepoError) as anonymous:
        hf_hub_download(repo_id, "weights.bin", token=False, cache_dir=tmp_path / "b")
    assert _status(anonymous) == 401
    outsider = HfApi(token=bob[1])
    assert outsider.repo_exists(repo_id) and outsider.model_info(repo_id).gated == "manual"
    assert hf_hub_download(repo_id, "weights.bin", cache_dir=tmp_path / "owner")  # the owner always may

    assert _ask(hub, repo_id, bob[1]).json() == {"status": "pending"}
    pending = list(HfApi().list_pending_access_requests(repo_id))
    assert [(r.username, r.status, r.email) for r in pending] == [(bob[0], "pending", None)]
    with pytest.raises(GatedRepoError):
        hf_hub_download(repo_id, "weights.bin", token=bob[1], cache_dir=tmp_path / "c")

    HfApi().accept_access_request(repo_id, bob[0])
    path = hf_hub_download(repo_id, "weights.bin", token=bob[1], cache_dir=tmp_path / "d")
    assert Path(path).read_bytes() == b"weights"

    HfApi().reject_access_request(repo_id, bob[0], rejection_reason="Not for this use")
    assert [r.username for r in HfApi().list_rejected_access_requests(repo_id)] == [bob[0]]
    with pytest.raises(GatedRepoError):
        hf_hub_download(repo_id, "weights.bin", token=bob[1], cache_dir=tmp_path / "e")
    assert _ask(hub, repo_id, bob[1]).json() == {"status": "rejected"}  # asking again changes nothing


def test_auto_gating_accepts_a_request_at_once(hub, repo_id, bob, bob_reader, tmp_path):
    _gate(repo_id, "auto")
    assert _ask(hub, repo_id, bob_reader).json() == {"status": "accepted"}  # a read token may ask
    assert [r.username for r in HfApi().list_accepted_access_requests(repo_id)] == [bob[0]]
    assert list(HfApi().list_pending_access_requests(repo_id)) == []
    assert hf_hub_download(repo_id, "weights.bin", token=bob_reader, cache_dir=tmp_path)


def test_access_requests_move_between_lists_as_the_client_suite_drives_them(hub, repo_id, bob):
    api = HfApi()
    _gate(repo_id, "auto")
    api.grant_access(repo_id, bob[0])
    [granted] = api.list_accepted_access_requests(repo_id)
    assert (granted.username, granted.status, granted.email) == (bob[0], "accepted", None)
    with pytest.raises(HfHubHTTPError) as twice:
        api.grant_access(repo_id, bob[0])
    assert _status(twice) == 400
    with pytest.raises(HfHubHTTPError) as again:
        api.accept_access_request(repo_id, bob[0])
    assert _status(again) == 404

    api.cancel_access_request(repo_id, bob[0])
    assert [r.username for r in api.list_pending_access_requests(repo_id)] == [bob[0]]
    api.reject_access_request(repo_id, bob[0], rejection_reason="No")
    [rejected] = api.list_rejected_access_requests(repo_id)
    api.accept_access_request(repo_id, request_id=rejected.request_id)
    assert [r.username for r in api.list_accepted_access_requests(repo_id)] == [bob[0]]
    with pytest.raises(HfHubHTTPError) as unknown:
        api.grant_access(repo_id, "no-such-user-here")
    assert _status(unknown) == 404


def test_only_writers_of_a_gated_repo_handle_its_requests(hub, repo_id, bob):
    with pytest.raises(HfHubHTTPError) as ungated:
        list(HfApi().list_pending_access_requests(repo_id))
    assert _status(ungated) == 400
    _gate(repo_id, "manual")
    with pytest.raises(HfHubHTTPError) as outsider:
        HfApi(token=bob[1]).grant_access(repo_id, bob[0])
    assert _status(outsider) == 403
    with pytest.raises(HfHubHTTPError) as reader:
        list(HfApi(token=hub.token_for(hub.user, read_only=True)).list_pending_access_requests(repo_id))
    assert _status(reader) == 403
    for body, named in (({"user": []}, "user"), ({"status": "maybe", "user": bob[0]}, "status"),
                        ({"status": "accepted", "user": bob[0], "rejectionReason": "x"}, "rejectionReason"),
                        ({"status": "accepted"}, "user")):
        path = "handle" if "status" in body else "grant"
        response = request(hub.endpoint, "POST", f"/api/models/{repo_id}/user-access-request/{path}", body=body,
                           token=hub.token)
        assert response.status == 400 and repr(named) in response.json()["error"], response.body


def test_a_private_gated_repo_stays_not_found_to_outsiders(hub, bob, tmp_path):
    repo_id = make_repo_with_file(hub, "hidden", "weights.bin", b"w")
    HfApi().update_repo_settings(repo_id, gated="auto", private=True)
    outsider = HfApi(token=bob[1])
    assert not outsider.repo_exists(repo_id)
    with pytest.raises(RepositoryNotFoundError) as hidden:
        hf_hub_download(repo_id, "weights.bin", token=bob[1], cache_dir=tmp_path)
    assert not isinstance(hidden.value, GatedRepoError)
    assert _ask(hub, repo_id, bob[1]).status == 404
