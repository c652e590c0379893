"""The error type of the hub server.

Clients decide what went wrong from the ``X-Error-Code`` header, not from the status
(hub-api.md 1.6), and HEAD responses have no body, so every error carries its code and message in
headers as well as in a JSON body.
"""

from __future__ import annotations


class HubError(Exception):
    """A request that cannot be served; rendered as ``status`` + ``X-Error-Code: code``."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def repo_not_found(repo_id: str) -> HubError:
    # The Hub's exact words: the client prints its own, fuller message (naming the URL, the repo
    # type and the token) and adds the server's only when it says something more.
    return HubError(404, "RepoNotFound", "Repository not found")


def revision_not_found(repo_id: str, revision: str) -> HubError:
    return HubError(404, "RevisionNotFound", f"Invalid rev id: {revision!r} is not a branch, tag, pull "
                    f"request or commit of {repo_id}.")


def entry_not_found(repo_id: str, revision: str, path: str, commit: str | None = None) -> HubError:
    headers = {"X-Repo-Commit": commit} if commit else None
    return HubError(404, "EntryNotFound", f"Entry not found: {path!r} does not exist in {repo_id} at {revision!r}.",
                    headers=headers)


def bad_request(code: str, message: str) -> HubError:
    return HubError(400, code, message)
