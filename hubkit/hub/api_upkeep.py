"""Routes a repo owner uses to check access and to keep a repo small: ``auth-check``,
``super-squash`` and the LFS file listing and deletion (``lfs-files``).

Deleting LFS files removes them from every branch head in one new commit per branch, and from the
repo's record of uploads. Earlier commits are not rewritten: commit ids here are fixed once made,
and a revision someone pinned keeps working. Stored bytes are reclaimed by ``hubkit hub gc`` once
no revision names them (docs/hub-compatibility.md lists this difference from the Hub).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hubkit.hub import access, auth
from hubkit.hub.auth import Principal
from hubkit.hub.bodies import field, items
from hubkit.hub.errors import bad_request
from hubkit.hub.blobs import SHA256_RE
from hubkit.hub.repos import Repo
from hubkit.hub.state import HubState, read_json

MAX_LFS_DELETIONS = 1000


async def get_auth_check(hub: HubState, request: Request, repo: Repo, principal: Principal | None,
                         write: bool) -> Response:
    """200 when the caller may download the repo's files (``write``: may push to it); the errors
    the file routes would give otherwise (GatedRepo above all). Reaching here already means the
    repo is visible to the caller."""
    access.require_file_access(hub, request, repo, principal)
    if write:
        auth.require_write(principal, repo.namespace)
    return JSONResponse({})


async def post_super_squash(hub: HubState, request: Request, repo: Repo, branch: str,
                            principal: Principal | None) -> Response:
    """Replace a branch's history with one commit holding its current tree."""
    principal = auth.require_write(principal, repo.namespace)
    body = await read_json(request)
    message = field(body, "message", "string") or f"Super-squash branch '{branch}'"
    sha = hub.repos.squash_branch(repo, branch, title=message, author=principal.user)
    return JSONResponse({"commitId": sha})


async def get_lfs_files(hub: HubState, repo: Repo, principal: Principal | None) -> Response:
    """Every LFS file some branch, tag or pull request names, once per object."""
    auth.require_write(principal, repo.namespace)
    return JSONResponse(hub.repos.lfs_files(repo))


async def post_lfs_files_batch(hub: HubState, request: Request, repo: Repo, principal: Principal | None) -> Response:
    principal = auth.require_write(principal, repo.namespace)
    body = await read_json(request)
    deletions = field(body, "deletions", "object", required=True, code="InvalidLfsDeletion")
    shas = items(deletions, "sha", "string", required=True, code="InvalidLfsDeletion", where="deletions")
    if len(shas) > MAX_LFS_DELETIONS:
        raise bad_request("InvalidLfsDeletion", f"At most {MAX_LFS_DELETIONS} LFS files per call, got {len(shas)}.")
    bad = next((sha for sha in shas if not SHA256_RE.match(sha)), None)
    if bad is not None:
        raise bad_request("InvalidLfsDeletion", f"deletions.sha holds {bad[:80]!r}, not a sha256 object id.")
    field(deletions, "rewriteHistory", "boolean", where="deletions", code="InvalidLfsDeletion")
    hub.repos.delete_lfs_objects(repo, set(shas), author=principal.user)
    return JSONResponse({})
