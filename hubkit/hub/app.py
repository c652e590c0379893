"""The ASGI application: routes requests on the raw URL path to the handlers.

Routing happens on the *undecoded* path (hub-api.md 1.3, pitfall 2): revisions arrive as one
segment with ``%2F`` (``refs%2Fpr%2F1``, ``dev%2Fx``) and tree folders likewise, so decoding first
would make ``refs/pr/1`` indistinguishable from a file path. Each segment is decoded on its own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import traceback
import urllib.parse
import uuid
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hubkit.hub import access, api_meta, api_read, api_upkeep, api_write, discussions, likes, sessions, webui, webui_static
from hubkit.hub.errors import HubError, repo_not_found
from hubkit.hub.state import HubState
from hubkit.hub.viewer import routes as viewer

log = logging.getLogger("hubkit.hub")

TYPE_FROM_PLURAL = {"models": "model", "datasets": "dataset", "spaces": "space"}
TYPE_FROM_PREFIX = {"datasets": "dataset", "spaces": "space"}
REQUEST_THREADS = 16
WRITE_THREADS = 4
RESERVED_NAMESPACES = {"api", "datasets", "spaces", "models", "lfs-upload", "lfs-verify", "leaderboards",
                       "static", "favicon.ico", "login", "logout"}


def _segments(scope: dict) -> list[str]:
    raw = scope.get("raw_path") or scope["path"].encode()
    return raw.decode("latin-1").split("?", 1)[0].split("/")[1:]


def _decode(segment: str) -> str:
    return urllib.parse.unquote(segment, encoding="utf-8", errors="strict")


def _take_revision(rest: list[str]) -> tuple[str, list[str]]:
    """The revision at the head of ``rest`` and what follows; accepts unencoded ``refs/pr/N`` too."""
    if not rest:
        raise HubError(400, "InvalidRevision", "A revision is required in this URL.")
    if rest[0] == "refs" and len(rest) >= 3 and rest[1] in ("pr", "convert", "heads", "tags"):
        return "/".join(_decode(s) for s in rest[:3]), rest[3:]
    return _decode(rest[0]), rest[1:]


def _error_response(error: HubError) -> Response:
    # Headers must be latin-1 and one line; the body keeps the full message.
    safe = error.message.replace("\n", " ").encode("ascii", "backslashreplace").decode("ascii")
    headers = {"X-Error-Code": error.code, "X-Error-Message": safe, **error.headers}
    return JSONResponse({"error": error.message}, status_code=error.status, headers=headers)


def _bridge(receive, send, server_loop: asyncio.AbstractEventLoop):
    """``receive``/``send`` for a worker thread's loop that run on the server's loop, where the
    connection lives; each call waits for its result without blocking either loop."""
    async def bridged_receive():
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(receive(), server_loop))

    async def bridged_send(message) -> None:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(send(message), server_loop))

    return bridged_receive, bridged_send


def _repo_not_found(repo_id: str, principal) -> HubError:
    error = repo_not_found(repo_id)
    if principal is None:  # hub-api.md 1.6, as for any repo an anonymous caller cannot see
        error.status = 401
    return error


def _is_quick(scope: dict) -> bool:
    """Reads with a small, bounded cost: served on the event loop rather than in a worker thread.

    Repo info, whoami, health, refs and file downloads (streamed from the page cache chunk by
    chunk). Anything that writes, lists a tree or history, scans many repos, or renders a page
    goes to a worker thread.
    """
    if scope["method"] not in ("GET", "HEAD"):
        return False
    segs = _segments(scope)
    if segs[:1] == ["api"]:
        rest = segs[1:]
        if rest in (["whoami-v2"], ["hubkit", "health"]):
            return True
        if rest[:1] in (["models"], ["datasets"], ["spaces"]) and len(rest) >= 3:
            tail = rest[3:]
            return not tail or tail[0] in ("revision", "refs")
        return False
    return "resolve" in segs[1:4]


def _writes(scope: dict) -> bool:
    """Requests that may write (take SQLite's write lock or store uploads)."""
    if scope["method"] in ("GET", "HEAD"):
        return False
    segs = _segments(scope)
    return not ("paths-info" in segs or segs[:2] == ["api", "validate-yaml"])


def _with_standard_headers(send):
    """Headers every response carries: ``nosniff`` (a stored file is never re-interpreted as
    another type) and a fresh ``X-Request-Id``, which the clients quote in their error messages
    and the hub's log quotes beside internal errors, so a user's report can be found."""
    request_id = uuid.uuid4().hex

    async def sending(message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), (b"x-content-type-options", b"nosniff"),
                                              (b"x-request-id", request_id.encode())]}
        await send(message)
    sending.request_id = request_id
    return sending


class HubApp:
    """ASGI entry point over one data dir.

    The handlers do blocking work: SQLite (a commit waits for fsync), hashing, reading and writing
    files. Run on the server's event loop, one slow request would stall every other, the health
    check included. So a request that may be slow runs in a worker thread, on that thread's own
    event loop, and only talks to the server's loop to receive the body and send the answer
    (``_bridge``). The hop costs about a millisecond of CPU, more than the quick reads that make
    most of a hub's traffic (repo info, one file, whoami), so those run on the server's loop
    directly (:func:`_is_quick`): each costs about as much as one hop, and never waits on a writer
    (SQLite readers in WAL mode do not).
    """

    def __init__(self, data_dir: Path, *, serving: bool = True, threads: int = REQUEST_THREADS,
                 public_url: str | None = None):
        self.hub = HubState(data_dir, serving=serving, public_url=public_url)
        # Writers queue on SQLite's one write lock anyway; giving them their own few threads keeps
        # a burst of commits from occupying the threads that reads need.
        self._readers = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="hub-read")
        self._writers = concurrent.futures.ThreadPoolExecutor(max_workers=WRITE_THREADS, thread_name_prefix="hub-write")
        self._loops = threading.local()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if _is_quick(scope):
            await self.handle(scope, receive, send)
            return
        server_loop = asyncio.get_running_loop()
        pool = self._writers if _writes(scope) else self._readers
        await server_loop.run_in_executor(pool, self._in_thread, scope, *_bridge(receive, send, server_loop))

    def _in_thread(self, scope, receive, send) -> None:
        loop = getattr(self._loops, "loop", None)
        if loop is None:
            loop = self._loops.loop = asyncio.new_event_loop()
        loop.run_until_complete(self.handle(scope, receive, send))

    async def handle(self, scope, receive, send) -> None:
        """One HTTP request, start to end (on a worker thread's loop)."""
        send = _with_standard_headers(send)
        request = Request(scope, receive)
        try:
            response = await self.dispatch(request, _segments(scope))
        except HubError as error:
            response = _error_response(error)
        except UnicodeDecodeError:
            response = _error_response(HubError(400, "InvalidUrl", "The URL is not valid percent-encoded UTF-8."))
        except Exception:  # a bug: log it, and still answer with something a person can report
            log.error("internal error on %s %s (request id %s)\n%s", request.method, request.url.path,
                      send.request_id, traceback.format_exc())
            response = _error_response(HubError(500, "InternalError", "Internal error in the hub server; see its log."))
        await response(scope, receive, send)

    async def dispatch(self, request: Request, segs: list[str]) -> Response:
        hub = self.hub
        method = request.method
        host = request.headers.get("host", "")
        if host.startswith("datasets-server."):
            raise HubError(404, "NotFound", "The dataset viewer is not part of this hub.")
        if segs in ([""], []):
            return webui.index(hub, request)
        head = segs[0]
        if head == "viewer" and len(segs) == 2 and segs[1] in viewer.ROUTES:
            # the dataset viewer API (hubkit/hub/viewer); longer paths stay a user "viewer"'s repos
            return await viewer.route(hub, request, segs[1:])
        if head == "api":
            return await self.api(request, segs[1:])
        if head == "lfs-upload" and len(segs) == 2 and method == "PUT":
            return await api_write.put_lfs_object(hub, request, segs[1])
        if head == "lfs-verify" and len(segs) == 2 and method == "POST":
            return await api_write.post_lfs_verify(hub, request, segs[1])
        if segs == ["login"] and method == "GET":
            return webui.login(hub, request)
        if segs == ["login"] and method == "POST":
            return await webui.post_login(hub, request)
        if segs == ["logout"] and method == "POST":
            return sessions.post_logout()
        if head == "static" and len(segs) == 2 and method in ("GET", "HEAD"):
            return webui_static.response(_decode(segs[1]))
        if head == "leaderboards" and len(segs) >= 3:  # leaderboards are static Spaces now
            return webui.leaderboard_redirect(_decode(segs[1]), _decode(segs[2]))
        repo_type = TYPE_FROM_PREFIX.get(head, "model")
        rest = segs[1:] if head in TYPE_FROM_PREFIX else segs
        if len(rest) < 2 or not rest[0] or not rest[1]:
            raise HubError(404, "NotFound", f"No page at {request.url.path}.")
        if (rest[1] == "resolve" and len(rest) >= 4 and method in ("GET", "HEAD")
                and hub.repos.get(repo_type, _decode(rest[0]), "resolve") is None):
            # ``gpt2/resolve/main/x``: an id without a namespace, which no repo here has
            raise _repo_not_found(_decode(rest[0]), hub.principal(request))
        namespace, name, rest = _decode(rest[0]), _decode(rest[1]), rest[2:]
        if name.endswith(".git") and rest == ["info", "lfs", "objects", "batch"] and method == "POST":
            principal = hub.principal(request)
            repo = hub.visible_repo(repo_type, namespace, name[: -len(".git")], principal)
            return await api_write.post_lfs_batch(hub, request, repo, principal)
        if rest and rest[0] == "resolve" and method in ("GET", "HEAD"):
            # A signed-in browser may download what its pages list; API clients send tokens.
            principal = hub.principal(request) or sessions.principal(hub, request)
            repo = hub.visible_repo(repo_type, namespace, name, principal)
            access.require_file_access(hub, request, repo, principal)
            revision, path_segs = _take_revision(rest[1:])
            path = "/".join(_decode(s) for s in path_segs)
            return await api_read.resolve_file(hub, request, repo, revision, path)
        if rest == ["ask-access"] and method == "POST":
            principal = hub.principal(request)
            return await access.post_ask_access(hub, hub.visible_repo(repo_type, namespace, name, principal), principal)
        if method == "GET" and namespace not in RESERVED_NAMESPACES:
            return webui.repo_page(hub, request, repo_type, namespace, name, rest)
        raise HubError(404, "NotFound", f"No route for {method} {request.url.path}.")

    async def api(self, request: Request, segs: list[str]) -> Response:
        hub = self.hub
        method = request.method
        route = (method, segs[0] if segs else "")
        if route == ("GET", "agent-harnesses"):
            return JSONResponse({"standardEnvVars": [], "harnesses": {}})
        if route == ("POST", "validate-yaml"):
            return await api_meta.post_validate_yaml(hub, request)
        if segs == ["hubkit", "health"]:
            return await api_meta.get_health(hub)
        principal = hub.principal(request)
        if route == ("GET", "whoami-v2"):
            return await api_meta.get_whoami(hub, principal)
        if method == "GET" and len(segs) == 3 and segs[0] == "users" and segs[2] == "likes":
            return likes.get_user_likes(hub, request, _decode(segs[1]), principal)
        if segs[:1] == ["repos"] and len(segs) == 2:
            action = (method, segs[1])
            if action == ("POST", "create"):
                return await api_meta.post_create_repo(hub, request, principal)
            if action == ("DELETE", "delete"):
                return await api_meta.delete_repo(hub, request, principal)
            if action == ("POST", "move"):
                return await api_meta.post_move_repo(hub, request, principal)
        if segs and segs[0] in TYPE_FROM_PLURAL:
            repo_type = TYPE_FROM_PLURAL[segs[0]]
            if len(segs) == 1 and method == "GET":
                return await api_read.list_repos(hub, request, repo_type, principal)
            if len(segs) == 2 or (len(segs) >= 4 and segs[2] in ("revision", "tree", "refs", "commits", "paths-info")
                                   and hub.repos.get(repo_type, _decode(segs[1]), _decode(segs[2])) is None):
                # ``/api/models/gpt2``: an id without a namespace, which no repo here has (the
                # clients' repo_exists and file_exists read RepoNotFound as "no").
                raise _repo_not_found(_decode(segs[1]), principal)
            if len(segs) >= 3:
                repo = hub.visible_repo(repo_type, _decode(segs[1]), _decode(segs[2]), principal)
                return await self.repo_api(request, repo, segs[3:], principal)
        raise HubError(404, "NotFound", f"No API route for {method} {request.url.path}.")

    async def repo_api(self, request: Request, repo, rest: list[str], principal) -> Response:
        hub = self.hub
        method = request.method
        action = rest[0] if rest else ""
        if not rest and method == "GET":
            return await api_read.get_repo_info(hub, request, repo, None)
        if action == "revision" and method == "GET":
            revision, _ = _take_revision(rest[1:])
            return await api_read.get_repo_info(hub, request, repo, revision)
        if action == "tree" and method == "GET":
            revision, folder = _take_revision(rest[1:])
            return await api_read.get_tree(hub, request, repo, revision, "/".join(_decode(s) for s in folder))
        if action == "paths-info" and method == "POST":
            return await api_read.post_paths_info(hub, request, repo, _take_revision(rest[1:])[0])
        if action == "leaderboard" and len(rest) == 1 and method == "GET" and repo.type == "dataset":
            return await api_read.get_leaderboard(hub, request, repo, principal)
        if action == "parquet" and method in ("GET", "HEAD") and repo.type == "dataset":
            return await viewer.hub_parquet(hub, request, repo, [_decode(s) for s in rest[1:]])
        if action == "refs" and method == "GET":
            return await api_read.get_refs(hub, request, repo)
        if action == "commits" and method == "GET":
            return await api_read.get_commits(hub, request, repo, _take_revision(rest[1:])[0])
        if action == "preupload" and method == "POST":
            return await api_write.post_preupload(hub, request, repo, _take_revision(rest[1:])[0], principal)
        if action == "commit" and method == "POST":
            return await api_write.post_commit(hub, request, repo, _take_revision(rest[1:])[0], principal)
        if action == "branch" and len(rest) >= 2:
            branch = "/".join(_decode(s) for s in rest[1:])
            if method == "POST":
                return await api_write.post_branch(hub, request, repo, branch, principal)
            if method == "DELETE":
                return await api_write.delete_branch(hub, repo, branch, principal)
        if action == "tag" and len(rest) >= 2:
            target = "/".join(_decode(s) for s in rest[1:])
            if method == "POST":
                return await api_write.post_tag(hub, request, repo, target, principal)
            if method == "DELETE":
                return await api_write.delete_tag(hub, repo, target, principal)
        if action == "auth-check" and method == "GET" and rest[1:] in ([], ["write"]):
            return await api_upkeep.get_auth_check(hub, request, repo, principal, write=rest[1:] == ["write"])
        if action == "super-squash" and len(rest) >= 2 and method == "POST":
            branch = "/".join(_decode(s) for s in rest[1:])
            return await api_upkeep.post_super_squash(hub, request, repo, branch, principal)
        if action == "lfs-files" and rest[1:] == [] and method == "GET":
            return await api_upkeep.get_lfs_files(hub, repo, principal)
        if action == "lfs-files" and rest[1:] == ["batch"] and method == "POST":
            return await api_upkeep.post_lfs_files_batch(hub, request, repo, principal)
        if action == "settings" and method == "PUT":
            return await api_write.put_settings(hub, request, repo, principal)
        if action == "discussions":
            return await discussions.route(hub, request, repo, rest, principal)
        if action == "user-access-request":
            return await access.route(hub, request, repo, rest[1:], principal)
        if action in ("like", "likers"):
            return await likes.route(hub, request, repo, rest, principal)
        if action in ("xet-write-token", "xet-read-token"):
            raise HubError(501, "XetNotSupported", "Xet storage is not supported by this server: set "
                           "HF_HUB_DISABLE_XET=1 in the client's environment (before importing huggingface_hub).")
        raise HubError(404, "NotFound", f"No API route for {method} {request.url.path}.")


def create_app(data_dir: Path, *, serving: bool = True, public_url: str | None = None) -> HubApp:
    """``serving=False`` for a worker among several: it leaves the upload folder alone."""
    return HubApp(Path(data_dir), serving=serving, public_url=public_url)
