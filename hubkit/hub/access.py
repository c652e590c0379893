"""Gated repos: who may download their files, and the access requests that decide it.

A gated repo (``gated`` = "auto" or "manual") keeps its info, tree and discussions readable by
everyone who can see it, but serves its files (``/resolve``) only to its owners (the user, or the
members of the org) and to users whose access request is accepted. Others get 403, or 401 when
anonymous, with ``X-Error-Code: GatedRepo``, which huggingface_hub raises as ``GatedRepoError``
(and ``repo_exists`` reads as "exists"). Privacy comes first: a private repo stays RepoNotFound to
outsiders whatever its gating, since :meth:`HubState.visible_repo` runs before anything here.

A user asks with ``POST /{prefix}{id}/ask-access`` (the Hub's form; the client has no method for
it): with "auto" gating the request is accepted at once, with "manual" it waits. The repo's
writers list requests (``GET .../user-access-request/{pending|accepted|rejected}``), move them
between those lists (``POST .../user-access-request/handle``) or grant access to a user who never
asked (``POST .../user-access-request/grant``), with the status codes huggingface_hub documents.
"""

from __future__ import annotations

import secrets
import sqlite3

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hubkit.hub import auth, db
from hubkit.hub.api_read import base_url
from hubkit.hub.auth import Principal
from hubkit.hub.bodies import field, invalid
from hubkit.hub.errors import HubError
from hubkit.hub.paging import paged
from hubkit.hub.repos import Repo
from hubkit.hub.state import HubState, read_json
from hubkit.hub.timeutil import now_iso

STATUSES = ("pending", "accepted", "rejected")
MAX_REASON = 1000
CODE = "InvalidAccessRequest"


# ----- downloads -----
def require_file_access(hub: HubState, request: Request, repo: Repo, principal: Principal | None) -> None:
    """Refuse a gated repo's files to whoever has no accepted access."""
    if not repo.gated or (principal is not None and _has_access(hub.conn, repo, principal)):
        return
    what = f"Access to {repo.type} {repo.repo_id} is restricted"
    if principal is None:
        raise HubError(401, "GatedRepo", f"{what}. You must have access to it and be authenticated to access it. "
                       "Please log in.")
    raise HubError(403, "GatedRepo", f"{what} and you are not in the authorized list. Visit "
                   f"{base_url(hub, request)}/{repo.url_path} to ask for access.")


def _has_access(conn: sqlite3.Connection, repo: Repo, principal: Principal) -> bool:
    return principal.owns(repo.namespace) or _status(conn, repo, principal.user) == "accepted"


def _status(conn: sqlite3.Connection, repo: Repo, user: str) -> str | None:
    row = conn.execute("SELECT status FROM access_requests WHERE repo = ? AND user = ?", (repo.key, user)).fetchone()
    return row["status"] if row else None


def _require_gated(repo: Repo) -> None:
    if not repo.gated:
        raise HubError(400, "RepoNotGated", f"{repo.repo_id} is not gated: set gated to 'auto' or 'manual' in its "
                       "settings first.")


# ----- asking -----
async def post_ask_access(hub: HubState, repo: Repo, principal: Principal | None) -> Response:
    """``POST /{prefix}{id}/ask-access``. Any token may ask, read-only included: access is what a
    reader wants. Asking again changes nothing (a rejected user stays rejected)."""
    principal = auth.require_user(principal)
    _require_gated(repo)
    if principal.owns(repo.namespace):
        raise HubError(400, "AlreadyHasAccess", f"You own {repo.repo_id}: you already have access.")
    status = "accepted" if repo.gated == "auto" else "pending"
    with db.transaction(hub.conn):
        hub.conn.execute("INSERT OR IGNORE INTO access_requests (repo, user, id, status, created_at) "
                         "VALUES (?, ?, ?, ?, ?)", (repo.key, principal.user, secrets.token_hex(12), status, now_iso()))
    return JSONResponse({"status": _status(hub.conn, repo, principal.user)})


# ----- the repo's writers -----
async def route(hub: HubState, request: Request, repo: Repo, rest: list[str], principal: Principal | None) -> Response:
    """``/api/{type}s/{id}/user-access-request/...``; ``rest`` starts after ``user-access-request``."""
    method = request.method
    if len(rest) == 1 and (method, rest[0]) in {("GET", s) for s in STATUSES} | {("POST", "handle"), ("POST", "grant")}:
        auth.require_write(principal, repo.namespace)
        _require_gated(repo)
        if method == "GET":
            return _list(hub, request, repo, rest[0])
        body = await read_json(request)
        return _handle(hub, repo, body) if rest[0] == "handle" else _grant(hub, repo, body)
    raise HubError(404, "NotFound", f"No API route for {method} {request.url.path}.")


def _list(hub: HubState, request: Request, repo: Repo, status: str) -> Response:
    def fetch(offset: int, limit: int) -> list:
        return hub.conn.execute("SELECT * FROM access_requests WHERE repo = ? AND status = ? "
                                "ORDER BY created_at, user LIMIT ? OFFSET ?", (repo.key, status, limit, offset)).fetchall()

    def render(row) -> dict:
        answer = {"user": {"user": row["user"], "fullname": row["user"], "type": "user", "avatarUrl": ""},
                  "requestId": row["id"], "status": row["status"], "timestamp": row["created_at"]}
        if row["rejection_reason"]:
            answer["rejectionReason"] = row["rejection_reason"]
        return answer

    return paged(hub, request, fetch, render)


def _user_exists(conn: sqlite3.Connection, user: str) -> str:
    """The stored spelling of ``user``; 404 when no such user is on this hub."""
    row = conn.execute("SELECT name FROM users WHERE name = ? COLLATE NOCASE", (user,)).fetchone()
    if row is None:
        raise HubError(404, "UserNotFound", f"User {user!r} not found on this hub.")
    return row["name"]


def _handle(hub: HubState, repo: Repo, body: dict) -> Response:
    """Move a request to ``status`` (pending, accepted or rejected), found by user or request id."""
    status = field(body, "status", "string", required=True, code=CODE)
    if status not in STATUSES:
        raise invalid("status", f"must be one of {', '.join(STATUSES)}, got {status!r}", CODE)
    reason = field(body, "rejectionReason", "string", code=CODE)
    if reason is not None and (status != "rejected" or len(reason) > MAX_REASON):
        raise invalid("rejectionReason", f"is only for status 'rejected', at most {MAX_REASON} characters", CODE)
    user, request_id = field(body, "user", "string", code=CODE), field(body, "requestId", "string", code=CODE)
    if (user is None) == (request_id is None):
        raise invalid("user", "or 'requestId' is required (one of them, not both)", CODE)
    with db.transaction(hub.conn):
        if user is not None:
            user = _user_exists(hub.conn, user)
            row = hub.conn.execute("SELECT * FROM access_requests WHERE repo = ? AND user = ?", (repo.key, user))
        else:
            row = hub.conn.execute("SELECT * FROM access_requests WHERE repo = ? AND id = ?", (repo.key, request_id))
        row = row.fetchone()
        if row is None:
            raise HubError(404, "AccessRequestNotFound", f"No access request of {user or request_id!r} to "
                           f"{repo.repo_id}.")
        if row["status"] == status:
            raise HubError(404, "AccessRequestNotFound", f"The access request of {row['user']!r} to {repo.repo_id} "
                           f"is already {status}.")
        hub.conn.execute("UPDATE access_requests SET status = ?, rejection_reason = ? WHERE repo = ? AND user = ?",
                         (status, reason, repo.key, row["user"]))
    return JSONResponse({})


def _grant(hub: HubState, repo: Repo, body: dict) -> Response:
    """Accept ``user`` whether or not they asked; 400 when they already have access."""
    user = field(body, "user", "string", required=True, code=CODE)
    with db.transaction(hub.conn):
        user = _user_exists(hub.conn, user)
        if user.lower() == repo.namespace.lower() or _status(hub.conn, repo, user) == "accepted" or \
                hub.conn.execute("SELECT 1 FROM org_members WHERE org = ? COLLATE NOCASE AND user = ?",
                                 (repo.namespace, user)).fetchone():
            raise HubError(400, "AlreadyHasAccess", f"User {user!r} already has access to {repo.repo_id}.")
        hub.conn.execute("INSERT INTO access_requests (repo, user, id, status, created_at) VALUES (?, ?, ?, 'accepted', ?) "
                         "ON CONFLICT (repo, user) DO UPDATE SET status = 'accepted', rejection_reason = NULL",
                         (repo.key, user, secrets.token_hex(12), now_iso()))
    return JSONResponse({})
