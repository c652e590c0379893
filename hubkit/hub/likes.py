"""Likes: a user's mark on a repo, counted in its info (``likes``, by :func:`hubkit.hub.api_read.repo_info`)
and listed per user and per repo.

Routes, as huggingface_hub 2.4 calls them: ``DELETE /api/{type}s/{id}/like`` (``unlike``),
``GET /api/users/{user}/likes`` (``list_liked_repos``) and ``GET /api/{type}s/{id}/likers``
(``list_repo_likers``). The client has no ``like`` any more (the Hub refuses likes from scripts
against spam); ``POST /api/{type}s/{id}/like`` is kept here, for a write token, since this hub has
no browser sessions and a like must come from somewhere.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hubkit.hub import auth, db
from hubkit.hub.auth import Principal
from hubkit.hub.errors import HubError
from hubkit.hub.paging import paged
from hubkit.hub.repos import Repo
from hubkit.hub.state import HubState
from hubkit.hub.timeutil import now_iso


async def route(hub: HubState, request: Request, repo: Repo, rest: list[str], principal: Principal | None) -> Response:
    """``/api/{type}s/{id}/like`` and ``/likers``; ``rest`` starts there."""
    method = request.method
    if rest == ["like"] and method in ("POST", "DELETE"):
        principal = auth.require_user(principal)
        if not principal.can_write:
            raise HubError(403, "Forbidden", f"Your token {principal.token_name!r} is read-only: liking or unliking "
                           f"{repo.repo_id} needs a write token.")
        with db.transaction(hub.conn):
            if method == "POST":
                hub.conn.execute("INSERT OR IGNORE INTO likes (user, repo, created_at) VALUES (?, ?, ?)",
                                 (principal.user, repo.key, now_iso()))
            else:
                hub.conn.execute("DELETE FROM likes WHERE user = ? AND repo = ?", (principal.user, repo.key))
        return JSONResponse({})
    if rest == ["likers"] and method == "GET":
        return paged(hub, request, lambda offset, limit: hub.conn.execute(
            "SELECT user FROM likes WHERE repo = ? ORDER BY created_at DESC, user LIMIT ? OFFSET ?",
            (repo.key, limit, offset)).fetchall(),
            lambda row: {"user": row["user"], "fullname": row["user"], "type": "user", "avatarUrl": ""})
    raise HubError(404, "NotFound", f"No API route for {method} {request.url.path}.")


def get_user_likes(hub: HubState, request: Request, user: str, principal: Principal | None) -> Response:
    """``GET /api/users/{user}/likes``: public, so it lists only the liked repos the caller may see."""
    if hub.conn.execute("SELECT 1 FROM users WHERE name = ? COLLATE NOCASE", (user,)).fetchone() is None:
        raise HubError(404, "UserNotFound", f"User {user!r} not found on this hub.")

    def fetch(offset: int, limit: int) -> list:
        return hub.conn.execute(
            "SELECT repos.type, repos.namespace, repos.name, likes.created_at FROM likes JOIN repos ON repos.id = "
            "likes.repo WHERE likes.user = ? COLLATE NOCASE ORDER BY likes.created_at DESC, repos.id LIMIT ? OFFSET ?",
            (user, limit, offset)).fetchall()

    def render(row) -> dict | None:
        repo = hub.repos.get(row["type"], row["namespace"], row["name"])
        if repo is None or not hub.can_read(repo, principal):
            return None
        return {"createdAt": row["created_at"], "repo": {"name": repo.repo_id, "type": repo.type}}

    return paged(hub, request, fetch, render)
