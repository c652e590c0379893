"""Discussions and pull requests: their listing, their events, and the routes that change them.

A discussion is a row of ``discussions`` (opened through the API or by a commit with
``create_pr``); what happens in it is a list of events in ``discussion_events``, oldest first:
comments (the description is the opening comment, inserted by a trigger in the same
transaction), status changes and title changes. The JSON follows what huggingface_hub's
``get_repo_discussions``, ``get_discussion_details`` and ``deserialize_event`` parse.

Who may do what, as on the Hub: anyone who can see the repo reads; any write-capable token may
open a discussion or comment; changing a discussion's status or title takes its author or a writer
of the repo; editing a comment takes its author, hiding one its author or a writer. Read tokens
only read.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import sqlite3

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hubkit.hub import auth, db
from hubkit.hub.api_read import base_url
from hubkit.hub.auth import Principal
from hubkit.hub.bodies import field, invalid
from hubkit.hub.errors import HubError
from hubkit.hub.repos import Repo, Repos
from hubkit.hub.state import HubState, read_json
from hubkit.hub.timeutil import now_iso

PAGE_SIZE = 50
MAX_TITLE = 500
MAX_COMMENT = 65536
NUM_RE = re.compile(r"^[1-9][0-9]{0,8}$")
PAGE_RE = re.compile(r"^[0-9]{1,6}$")
EVENT_ID_RE = re.compile(r"^[0-9a-f]{24}$")
TYPE_FILTERS = {"all": None, "discussion": 0, "pull_request": 1}
STATUS_FILTERS = {"all": None, "open": ("open",), "closed": ("closed", "merged")}
CODE = "InvalidDiscussion"


# ----- storage -----
def listing(conn: sqlite3.Connection, repo: Repo, *, is_pr: int | None, statuses: tuple[str, ...] | None,
            author: str | None, page: int) -> tuple[list[sqlite3.Row], int, int]:
    """One page of discussions (newest first) matching the filters, the number that match, and how
    many of those of the requested type are closed or merged (the Hub's ``numClosedDiscussions``)."""
    where, args = ["repo = ?"], [repo.key]
    if is_pr is not None:
        where.append("is_pr = ?")
        args.append(is_pr)
    if author:
        where.append("author = ? COLLATE NOCASE")
        args.append(author)
    closed = conn.execute(f"SELECT COUNT(*) FROM discussions WHERE {' AND '.join(where)} "
                          "AND status IN ('closed', 'merged')", args).fetchone()[0]
    if statuses is not None:
        where.append(f"status IN ({', '.join('?' * len(statuses))})")
        args.extend(statuses)
    condition = " AND ".join(where)
    count = conn.execute(f"SELECT COUNT(*) FROM discussions WHERE {condition}", args).fetchone()[0]
    rows = conn.execute(f"SELECT * FROM discussions WHERE {condition} ORDER BY num DESC LIMIT ? OFFSET ?",
                        [*args, PAGE_SIZE, page * PAGE_SIZE]).fetchall()
    return rows, count, closed


def events(conn: sqlite3.Connection, repo: Repo, num: int) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM discussion_events WHERE repo = ? AND num = ? ORDER BY seq",
                        (repo.key, num)).fetchall()


def comment_counts(conn: sqlite3.Connection, repo: Repo, nums: list[int]) -> dict[int, int]:
    if not nums:
        return {}
    rows = conn.execute(f"SELECT num, COUNT(*) AS n FROM discussion_events WHERE repo = ? AND type = 'comment' "
                        f"AND num IN ({', '.join('?' * len(nums))}) GROUP BY num", (repo.key, *nums))
    return {row["num"]: row["n"] for row in rows}


def _add_event(conn: sqlite3.Connection, repo: Repo, num: int, kind: str, author: str, content: str, *,
               previous: str | None = None, oid: str | None = None) -> str:
    """Insert one event in the caller's transaction; returns its id (24 hex digits, as the Hub's)."""
    event_id = secrets.token_hex(12)
    conn.execute("INSERT INTO discussion_events (repo, num, id, type, author, created_at, content, previous, oid) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (repo.key, num, event_id, kind, author, now_iso(), content,
                                                        previous, oid))
    return event_id


def add_comment(repos: Repos, repo: Repo, num: int, author: str, text: str) -> str:
    conn = repos.conn
    with db.transaction(conn):
        repos.discussion(repo, num)
        return _add_event(conn, repo, num, "comment", author, text)


def change_status(repos: Repos, repo: Repo, num: int, author: str, status: str,
                  comment: str | None) -> str:
    """Open or close a discussion (a merged pull request stays merged); returns the event's id."""
    conn = repos.conn
    with db.transaction(conn):
        if repos.discussion(repo, num)["status"] == "merged":
            raise HubError(409, "PullRequestMerged", f"Pull request #{num} of {repo.repo_id} is merged; its status "
                           "can no longer change.")
        if comment:
            _add_event(conn, repo, num, "comment", author, comment)
        conn.execute("UPDATE discussions SET status = ? WHERE repo = ? AND num = ?", (status, repo.key, num))
        return _add_event(conn, repo, num, "status-change", author, status)


def record_merge(repos: Repos, repo: Repo, num: int, author: str, merge_commit: str,
                 comment: str | None) -> None:
    """Mark pull request ``num`` merged by ``merge_commit`` (read back as ``changes.mergeCommitId``)."""
    conn = repos.conn
    with db.transaction(conn):
        if comment:
            _add_event(conn, repo, num, "comment", author, comment)
        conn.execute("UPDATE discussions SET status = 'merged' WHERE repo = ? AND num = ?", (repo.key, num))
        _add_event(conn, repo, num, "status-change", author, "merged", oid=merge_commit)


def rename(repos: Repos, repo: Repo, num: int, author: str, title: str) -> str:
    conn = repos.conn
    with db.transaction(conn):
        old = repos.discussion(repo, num)["title"]
        conn.execute("UPDATE discussions SET title = ? WHERE repo = ? AND num = ?", (title, repo.key, num))
        return _add_event(conn, repo, num, "title-change", author, title, previous=old)


def _comment(conn: sqlite3.Connection, repo: Repo, num: int, event_id: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM discussion_events WHERE repo = ? AND num = ? AND id = ? AND type = 'comment'",
                       (repo.key, num, event_id)).fetchone()
    if row is None:
        raise HubError(404, "CommentNotFound", f"No comment {event_id} in discussion #{num} of {repo.repo_id}.")
    return row


def edit_comment(repos: Repos, repo: Repo, num: int, event_id: str, editor: Principal,
                 text: str) -> None:
    """Replace a comment's text, keeping the earlier text in its history (newest first)."""
    conn = repos.conn
    with db.transaction(conn):
        row = _comment(conn, repo, num, event_id)
        if row["author"] != editor.user:
            raise HubError(403, "Forbidden", f"Comment {event_id} of {repo.repo_id} #{num} belongs to "
                           f"{row['author']!r}; only its author may edit it.")
        if row["hidden"]:
            raise HubError(409, "CommentHidden", f"Comment {event_id} of {repo.repo_id} #{num} is hidden.")
        earlier = {"raw": row["content"], "updatedAt": row["edited_at"] or row["created_at"],
                   "author": _user(row["editor"] or row["author"])}
        history = [earlier, *json.loads(row["history"])]
        conn.execute("UPDATE discussion_events SET content = ?, edited_at = ?, editor = ?, history = ? WHERE seq = ?",
                     (text, now_iso(), editor.user, json.dumps(history), row["seq"]))


def hide_comment(repos: Repos, repo: Repo, num: int, event_id: str, hider: Principal) -> None:
    """Hide a comment for good: its text and history are erased, as the Hub does."""
    conn = repos.conn
    with db.transaction(conn):
        row = _comment(conn, repo, num, event_id)
        if row["author"] != hider.user and not hider.may_write_to(repo.namespace):
            raise HubError(403, "Forbidden", f"Only the author of comment {event_id} or a writer of "
                           f"{repo.repo_id} may hide it.")
        conn.execute("UPDATE discussion_events SET hidden = 1, content = '', history = '[]', edited_at = ?, "
                     "editor = ? WHERE seq = ?", (now_iso(), hider.user, row["seq"]))


# ----- JSON -----
def _user(name: str) -> dict:
    return {"name": name, "fullname": name, "type": "user", "avatarUrl": ""}


def event_json(row: sqlite3.Row) -> dict:
    event = {"id": row["id"], "type": row["type"], "createdAt": row["created_at"], "author": _user(row["author"])}
    if row["type"] == "comment":
        history = json.loads(row["history"])
        event["data"] = {
            "edited": row["edited_at"] is not None and not row["hidden"], "hidden": bool(row["hidden"]),
            "numEdits": len(history), "editors": sorted({row["author"], *(h["author"]["name"] for h in history)}),
            "reactions": [], "isReport": False, "history": history,
            "latest": {"raw": row["content"], "html": f"<p>{html.escape(row['content'])}</p>",
                       "updatedAt": row["edited_at"] or row["created_at"],
                       "author": _user(row["editor"] or row["author"])},
        }
    elif row["type"] == "status-change":
        event["data"] = {"status": row["content"]}
    else:
        event["data"] = {"from": row["previous"], "to": row["content"]}
    return event


def discussion_json(repo: Repo, row: sqlite3.Row, *, num_comments: int, event_rows: list | None = None) -> dict:
    merge_commit = next((e["oid"] for e in reversed(event_rows or []) if e["oid"]), None)
    return {
        "num": row["num"], "title": row["title"], "status": row["status"], "createdAt": row["created_at"],
        "author": _user(row["author"]), "repo": {"name": repo.repo_id, "type": repo.type},
        "isPullRequest": bool(row["is_pr"]), "pinned": False, "numComments": num_comments,
        "changes": {"base": row["base_ref"], "mergeCommitId": merge_commit} if row["is_pr"] else None,
        "filesWithConflicts": [], "events": [event_json(e) for e in event_rows or []],
    }


# ----- who may -----
def _participant(principal: Principal | None, what: str) -> Principal:
    """Any user with a write-capable token takes part in a public repo's discussions."""
    principal = auth.require_user(principal)
    if not principal.can_write:
        raise HubError(403, "Forbidden", f"Your token {principal.token_name!r} is read-only: {what} needs a "
                       "write token.")
    return principal


def _moderator(principal: Principal | None, repo: Repo, row: sqlite3.Row, what: str) -> Principal:
    """The discussion's author or a writer of the repo."""
    principal = _participant(principal, what)
    if principal.user != row["author"] and not principal.may_write_to(repo.namespace):
        raise HubError(403, "Forbidden", f"Only the author of #{row['num']} or a writer of {repo.repo_id} may "
                       f"{what}.")
    return principal


def _text(body: dict, key: str, limit: int, *, strip: bool = False) -> str:
    """A required, non-empty string field of at most ``limit`` characters."""
    value = field(body, key, "string", required=True, code=CODE)
    value = value.strip() if strip else value
    if not value.strip():
        raise invalid(key, "must not be empty", CODE)
    if len(value) > limit:
        raise invalid(key, f"must be at most {limit} characters", CODE)
    return value


def _optional_comment(body: dict) -> str | None:
    comment = field(body, "comment", "string", code=CODE)
    return _text(body, "comment", MAX_COMMENT) if comment and comment.strip() else None


def _query_choice(request: Request, key: str, choices: dict):
    value = request.query_params.get(key, "all")
    if value not in choices:
        raise HubError(400, "InvalidQuery", f"Query parameter {key!r} must be one of {sorted(choices)}, got {value!r}.")
    return choices[value]


# ----- routes -----
async def route(hub: HubState, request: Request, repo: Repo, rest: list[str], principal: Principal | None) -> Response:
    """``/api/{type}s/{id}/discussions[/{num}[/...]]``; ``rest`` starts at ``discussions``."""
    method = request.method
    if len(rest) == 1 and method == "POST":
        return await post_discussion(hub, request, repo, principal)
    if len(rest) == 1 and method == "GET":
        return get_discussions(hub, request, repo)
    if len(rest) >= 2 and NUM_RE.match(rest[1]):
        num, tail = int(rest[1]), rest[2:]
        if not tail and method == "GET":
            return get_discussion(hub, repo, num)
        if method == "POST" and tail in (["comment"], ["status"], ["title"], ["merge"]):
            handler = {"comment": post_comment, "status": post_status, "title": post_title, "merge": post_merge}
            return await handler[tail[0]](hub, request, repo, num, principal)
        if method == "POST" and len(tail) == 3 and tail[0] == "comment" and EVENT_ID_RE.match(tail[1]):
            if tail[2] == "edit":
                return await post_comment_edit(hub, request, repo, num, tail[1], principal)
            if tail[2] == "hide":
                return post_comment_hide(hub, repo, num, tail[1], principal)
    raise HubError(404, "NotFound", f"No API route for {method} {request.url.path}.")


async def post_discussion(hub: HubState, request: Request, repo: Repo, principal: Principal | None) -> Response:
    principal = _participant(principal, "opening a discussion or pull request")
    body = await read_json(request)
    title = _text(body, "title", MAX_TITLE, strip=True)
    description = field(body, "description", "string", code=CODE) or ""
    if len(description) > MAX_COMMENT:
        raise invalid("description", f"must be at most {MAX_COMMENT} characters", CODE)
    is_pr = field(body, "pullRequest", "boolean", code=CODE) is True
    num = hub.repos.create_discussion(repo, title, description, principal.user, is_pr)
    return JSONResponse({"num": num, "url": f"{base_url(hub, request)}/{repo.url_path}/discussions/{num}"})


def get_discussions(hub: HubState, request: Request, repo: Repo) -> Response:
    """``?type=all|discussion|pull_request&status=all|open|closed&author=NAME&p=PAGE``."""
    page = request.query_params.get("p", "0")
    if not PAGE_RE.match(page):
        raise HubError(400, "InvalidQuery", f"Query parameter 'p' must be a page number, got {page!r}.")
    rows, count, closed = listing(hub.conn, repo, is_pr=_query_choice(request, "type", TYPE_FILTERS),
                                  statuses=_query_choice(request, "status", STATUS_FILTERS),
                                  author=request.query_params.get("author"), page=int(page))
    comments = comment_counts(hub.conn, repo, [r["num"] for r in rows])
    return JSONResponse({"discussions": [discussion_json(repo, r, num_comments=comments.get(r["num"], 0)) for r in rows],
                         "count": count, "start": int(page) * PAGE_SIZE, "numClosedDiscussions": closed})


def get_discussion(hub: HubState, repo: Repo, num: int) -> Response:
    row = hub.repos.discussion(repo, num)
    event_rows = events(hub.conn, repo, num)
    comments = sum(e["type"] == "comment" for e in event_rows)
    return JSONResponse(discussion_json(repo, row, num_comments=comments, event_rows=event_rows))


def _event_response(hub: HubState, key: str, event_id: str) -> Response:
    row = hub.conn.execute("SELECT * FROM discussion_events WHERE id = ?", (event_id,)).fetchone()
    return JSONResponse({key: event_json(row)})


async def post_comment(hub: HubState, request: Request, repo: Repo, num: int, principal: Principal | None) -> Response:
    principal = _participant(principal, "commenting")
    text = _text(await read_json(request), "comment", MAX_COMMENT)
    return _event_response(hub, "newMessage", add_comment(hub.repos, repo, num, principal.user, text))


async def post_status(hub: HubState, request: Request, repo: Repo, num: int, principal: Principal | None) -> Response:
    principal = _moderator(principal, repo, hub.repos.discussion(repo, num), "change its status")
    body = await read_json(request)
    status = field(body, "status", "string", required=True, code=CODE)
    if status not in ("open", "closed"):
        raise invalid("status", f"must be 'open' or 'closed', got {status!r}", CODE)
    event_id = change_status(hub.repos, repo, num, principal.user, status, _optional_comment(body))
    return _event_response(hub, "newStatus", event_id)


async def post_title(hub: HubState, request: Request, repo: Repo, num: int, principal: Principal | None) -> Response:
    principal = _moderator(principal, repo, hub.repos.discussion(repo, num), "change its title")
    title = _text(await read_json(request), "title", MAX_TITLE, strip=True)
    return _event_response(hub, "newTitle", rename(hub.repos, repo, num, principal.user, title))


async def post_comment_edit(hub: HubState, request: Request, repo: Repo, num: int, event_id: str,
                            principal: Principal | None) -> Response:
    principal = _participant(principal, "editing a comment")
    text = _text(await read_json(request), "content", MAX_COMMENT)
    edit_comment(hub.repos, repo, num, event_id, principal, text)
    return _event_response(hub, "updatedComment", event_id)


def post_comment_hide(hub: HubState, repo: Repo, num: int, event_id: str, principal: Principal | None) -> Response:
    hide_comment(hub.repos, repo, num, event_id, _participant(principal, "hiding a comment"))
    return _event_response(hub, "updatedComment", event_id)


async def post_merge(hub: HubState, request: Request, repo: Repo, num: int, principal: Principal | None) -> Response:
    principal = auth.require_write(principal, repo.namespace)
    comment = _optional_comment(await read_json(request))
    sha = hub.repos.merge_pull_request(repo, num, principal.user)
    record_merge(hub.repos, repo, num, principal.user, sha, comment)
    return JSONResponse({})
