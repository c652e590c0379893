"""Read routes: repo info, listings, trees, paths-info, refs, commits and file downloads."""

from __future__ import annotations

import mimetypes
import re
import urllib.parse

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hubkit.hub import benchmarks
from hubkit.hub.auth import Principal
from hubkit.hub.blobs import lfs_pointer
from hubkit.hub.bodies import field, items, parse_json
from hubkit.hub.errors import HubError, entry_not_found
from hubkit.hub.names import normalize_path
from hubkit.hub.repos import Entry, Repo
from hubkit.hub.trees import DIRECTORY, TreeView
from hubkit.hub.state import HubState

RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
ACTIVE_CONTENT_TYPES = ("text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/xml")
SANDBOXED_CONTENT_CSP = "sandbox allow-scripts; default-src 'self' 'unsafe-inline' data:"


def base_url(hub: HubState, request: Request) -> str:
    """The hub's public URL (``hub serve --public-url``, by default the address it listens on).

    Never the request's ``Host`` header when a public URL is known: links the hub hands out (LFS
    upload links above all) must not point wherever a caller's header says.
    """
    if hub.public_url:
        return hub.public_url
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


# ----- repo info -----
def repo_info(hub: HubState, repo: Repo, sha: str, *, blobs: bool, expand: list[str]) -> dict:
    tree = hub.repos.tree(repo, sha)
    readme = tree.get("README.md")
    card = hub.card_data(readme.sha256 if readme else None)
    info = {
        "_id": f"{repo.type}-{repo.key}",
        "id": repo.repo_id,
        "author": repo.namespace,
        "sha": sha,
        "lastModified": hub.repos.commit(repo, sha).date,
        "createdAt": repo.created_at,
        "private": repo.private,
        "gated": repo.gated or False,
        "disabled": False,
        "downloads": 0,
        "likes": hub.conn.execute("SELECT COUNT(*) FROM likes WHERE repo = ?", (repo.key,)).fetchone()[0],
        "tags": _tags(repo, card),
        "cardData": card,
        "siblings": [_sibling(path, entry, blobs) for path, entry in sorted(tree.items())],
        "usedStorage": sum(e.size for e in tree.values()),
    }
    if repo.type == "model":
        info["modelId"] = repo.repo_id
        info["library_name"] = card.get("library_name")
        info["pipeline_tag"] = card.get("pipeline_tag")
        if "config.json" in tree and not info["library_name"]:
            info["library_name"] = "transformers"
    if repo.type == "space":
        info["sdk"] = card.get("sdk") or repo.sdk
    if expand:
        return {k: v for k, v in info.items() if k in expand or k == "id"}
    return info


def _tags(repo: Repo, card: dict) -> list[str]:
    tags: list[str] = []
    raw = card.get("tags") or []
    tags += [str(t) for t in (raw if isinstance(raw, list) else [raw])]
    for key in ("library_name", "pipeline_tag"):
        if card.get(key):
            tags.append(str(card[key]))
    for key, prefix in (("datasets", "dataset:"), ("language", ""), ("license", "license:"),
                        ("base_model", "base_model:")):
        values = card.get(key) or []
        for value in values if isinstance(values, list) else [values]:
            tags.append(f"{prefix}{value}")
    if card.get("model-index") or card.get("model_index"):
        tags.append("model-index")
    return list(dict.fromkeys(tags))


def _sibling(path: str, entry: Entry, blobs: bool) -> dict:
    sibling = {"rfilename": path}
    if blobs:
        sibling.update(size=entry.size, blobId=entry.oid)
        if entry.lfs:
            sibling["lfs"] = {"size": entry.size, "sha256": entry.sha256, "pointerSize": len(lfs_pointer(entry.sha256, entry.size))}
    return sibling


async def get_repo_info(hub: HubState, request: Request, repo: Repo, revision: str | None) -> Response:
    sha = hub.repos.resolve(repo, revision or "main")
    expand = request.query_params.getlist("expand")
    blobs = request.query_params.get("blobs", "").lower() == "true"
    info = repo_info(hub, repo, sha, blobs=blobs, expand=expand)
    if "evalResults" in expand and repo.type == "model":
        info["evalResults"] = benchmarks.eval_results_json(hub, repo, sha)
    return JSONResponse(info)


async def get_leaderboard(hub: HubState, request: Request, repo: Repo, principal: Principal | None) -> Response:
    """``GET /api/datasets/{id}/leaderboard[?base_model=false]`` (huggingface_hub's get_dataset_leaderboard)."""
    base_model = request.query_params.get("base_model", "true").lower()
    if base_model not in ("true", "false", "1", "0"):
        raise HubError(400, "InvalidQuery", f"base_model must be true or false, got {base_model!r}.")
    rows = benchmarks.leaderboard(hub, repo, principal, base_model_only=base_model in ("true", "1"))
    return JSONResponse(rows)


async def list_repos(hub: HubState, request: Request, repo_type: str, principal: Principal | None) -> Response:
    """``GET /api/models`` and friends: ``search``, ``author``, ``filter`` (tags), ``limit``, ``full``."""
    query = request.query_params
    search = (query.get("search") or "").lower()
    author = query.get("author")
    filters = query.getlist("filter")
    full = query.get("full", "").lower() in ("true", "1")
    with_card = query.get("cardData", "").lower() in ("true", "1") or full
    expand = query.getlist("expand")
    results = []
    for repo in hub.repos.list(repo_type):
        if not hub.can_read(repo, principal):
            continue
        if search and search not in repo.repo_id.lower():
            continue
        if author and repo.namespace.lower() != author.lower():
            continue
        sha = hub.repos.ref_sha(repo, "refs/heads/main")
        info = repo_info(hub, repo, sha, blobs=False, expand=[])
        if filters and not all(f in info["tags"] or f == repo.repo_id for f in filters):
            continue
        if not full:
            info.pop("siblings")
        if not with_card:
            info.pop("cardData")
        if expand:
            info = {k: v for k, v in info.items() if k in expand or k == "id"}
        results.append(info)
    results.sort(key=lambda i: i.get("lastModified", ""), reverse=True)
    if query.get("limit"):
        try:
            results = results[: int(query["limit"])]
        except ValueError:
            raise HubError(400, "InvalidQuery", f"limit must be an integer, got {query['limit']!r}.") from None
    return JSONResponse(results)


# ----- trees -----
def tree_entries(hub: HubState, repo: Repo, sha: str, folder: str, recursive: bool) -> list[dict]:
    """A folder's listing (folders first, then files, each sorted by path); it reads only the
    nodes below ``folder``, so its cost is what it lists, not the size of the repo."""
    tree = hub.repos.tree(repo, sha)
    folder = normalize_path(folder.strip("/"))
    if folder and not tree.is_dir(folder):
        raise entry_not_found(repo.repo_id, sha, folder, sha)
    directories, files = [], []
    for path, item in tree.walk(folder, recursive):
        if item[0] == DIRECTORY:
            directories.append(_directory_item(path, item[1]))
        else:
            files.append(file_entry(path, Entry.from_item(item)))
    return sorted(directories, key=_by_path) + sorted(files, key=_by_path)


def _by_path(item: dict) -> str:
    return item["path"]


def _directory_entry(tree: TreeView, directory: str) -> dict:
    return _directory_item(directory, tree.dir_oid(directory))


def _directory_item(path: str, oid: str) -> dict:
    """A folder as the Hub lists it; its oid is its tree node's id, as a git tree id is."""
    return {"type": "directory", "path": path, "oid": oid, "size": 0}


def file_entry(path: str, entry: Entry) -> dict:
    item = {"type": "file", "path": path, "oid": entry.oid, "size": entry.size}
    if entry.lfs:
        item["lfs"] = {"oid": entry.sha256, "size": entry.size, "pointerSize": len(lfs_pointer(entry.sha256, entry.size))}
    return item


def _add_last_commits(hub: HubState, repo: Repo, sha: str, entries: list[dict]) -> None:
    commits = hub.repos.last_commits(repo, sha, [normalize_path(e["path"]) for e in entries])
    for item in entries:
        commit = commits.get(normalize_path(item["path"]))
        if commit:
            item["lastCommit"] = {"id": commit.sha, "title": commit.title, "date": commit.date}


async def get_tree(hub: HubState, request: Request, repo: Repo, revision: str, folder: str) -> Response:
    sha = hub.repos.resolve(repo, revision)
    recursive = request.query_params.get("recursive", "false").lower() == "true"
    entries = tree_entries(hub, repo, sha, folder, recursive)
    if request.query_params.get("expand", "false").lower() == "true":
        _add_last_commits(hub, repo, sha, entries)
    return JSONResponse(entries)


async def post_paths_info(hub: HubState, request: Request, repo: Repo, revision: str) -> Response:
    """Form-encoded ``paths=a&paths=b&expand=false``; missing paths are left out, not errors."""
    from hubkit.hub.state import read_body

    sha = hub.repos.resolve(repo, revision)
    body = (await read_body(request)).decode("utf-8", errors="replace")
    if "application/json" in request.headers.get("content-type", ""):
        form = parse_json(body or "{}")
        if not isinstance(form, dict):
            raise HubError(400, "InvalidJson", "paths-info body must be a JSON object {\"paths\": [...]}.")
        paths, expand = items(form, "paths", "string"), field(form, "expand", "boolean") is True
    else:
        form = urllib.parse.parse_qs(body, keep_blank_values=True)
        paths, expand = form.get("paths", []), form.get("expand", ["false"])[0].lower() == "true"
    if len(paths) > 1000:
        raise HubError(400, "TooManyPaths", f"paths-info takes at most 1000 paths per call, got {len(paths)}.")
    tree = hub.repos.tree(repo, sha)
    entries = []
    for raw in paths:
        if not isinstance(raw, str):
            raise HubError(400, "InvalidPathsInfo", f"paths-info 'paths' must be strings, got {raw!r:.100}.")
        # Looked up in the stored (NFC) spelling, answered in the client's own spelling.
        path = normalize_path(raw.strip("/"))
        item = tree.item(path) if path else None
        if item is None:
            continue
        if item[0] == DIRECTORY:
            entries.append({**_directory_entry(tree, path), "path": raw.strip("/")})
        else:
            entries.append(file_entry(raw.strip("/"), Entry.from_item(item)))
    if expand:
        _add_last_commits(hub, repo, sha, entries)
    return JSONResponse(entries)


# ----- refs and history -----
async def get_refs(hub: HubState, request: Request, repo: Repo) -> Response:
    result: dict[str, list] = {"branches": [], "converts": [], "tags": []}
    prs = []
    for row in hub.repos.refs(repo):
        ref, sha = row["ref"], row["sha"]
        if ref.startswith("refs/heads/"):
            result["branches"].append({"name": ref[len("refs/heads/"):], "ref": ref, "targetCommit": sha})
        elif ref.startswith("refs/tags/"):
            result["tags"].append({"name": ref[len("refs/tags/"):], "ref": ref, "targetCommit": sha})
        elif ref.startswith("refs/pr/"):
            prs.append({"name": ref, "ref": ref, "targetCommit": sha})
    if request.query_params.get("include_prs", "") in ("1", "true", "True"):
        result["pullRequests"] = sorted(prs, key=lambda p: int(p["ref"].rsplit("/", 1)[1]))
    return JSONResponse(result)


async def get_commits(hub: HubState, request: Request, repo: Repo, revision: str) -> Response:
    sha = hub.repos.resolve(repo, revision)
    formatted = "formatted" in request.query_params.getlist("expand[]")
    items = []
    for commit in hub.repos.history(repo, sha):
        item = {"id": commit.sha, "title": commit.title, "message": commit.message, "date": commit.date,
                "authors": [{"user": commit.author}]}
        if formatted:
            item["formatted"] = {"title": commit.title, "message": commit.message}
        items.append(item)
    return JSONResponse(items)


# ----- file downloads -----
class FileResponse(Response):
    """Streams one stored object (or a byte range of it) without reading it whole into memory."""

    def __init__(self, hub: HubState, sha256: str, start: int, end: int, status: int, headers: dict, head: bool):
        self.hub, self.sha256, self.start, self.end, self.head = hub, sha256, start, end, head
        self.status_code = status
        self.background = None
        self.init_headers(headers)

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if self.head or self.end < self.start:
            await send({"type": "http.response.body", "body": b""})
            return
        for chunk in self.hub.blobs.iter_range(self.sha256, self.start, self.end):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


async def resolve_file(hub: HubState, request: Request, repo: Repo, revision: str, path: str) -> Response:
    sha = hub.repos.resolve(repo, revision)
    entry = hub.repos.tree(repo, sha).get(normalize_path(path))
    if entry is None:
        raise entry_not_found(repo.repo_id, revision, path, sha)
    etag = entry.sha256 if entry.lfs else entry.oid
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if content_type.startswith("text/") or path.endswith((".md", ".json", ".py", ".txt", ".yaml", ".yml", ".csv")):
        content_type = (content_type if content_type != "application/octet-stream" else "text/plain") + "; charset=utf-8"
    headers = {
        "ETag": f'"{etag}"',
        "X-Repo-Commit": sha,
        "Accept-Ranges": "bytes",
        "Content-Type": content_type,
        "Content-Disposition": f"inline; filename*=UTF-8''{urllib.parse.quote(path.rsplit('/', 1)[-1])}",
    }
    if content_type.split(";")[0] in ACTIVE_CONTENT_TYPES:
        # A stored page runs in an opaque origin: its scripts work (a static Space needs them) but
        # cannot read the hub's cookies, storage or API as the viewer.
        headers["Content-Security-Policy"] = SANDBOXED_CONTENT_CSP
    if entry.lfs:
        headers["X-Linked-Etag"] = f'"{entry.sha256}"'
        headers["X-Linked-Size"] = str(entry.size)
    head = request.method == "HEAD"
    start, end, status = 0, entry.size - 1, 200
    range_header = request.headers.get("range")
    if range_header and not head and RANGE_RE.match(range_header.strip()):
        # A Range we cannot parse (several ranges, other units) is ignored, as RFC 9110 allows.
        span = _parse_range(range_header, entry.size)
        if span is None:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{entry.size}", "X-Repo-Commit": sha})
        start, end, status = span[0], span[1], 206
        headers["Content-Range"] = f"bytes {start}-{end}/{entry.size}"
    headers["Content-Length"] = str(max(end - start + 1, 0))
    return FileResponse(hub, entry.sha256, start, end, status, headers, head)


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """One ``bytes=a-b`` / ``a-`` / ``-n`` range, clipped to the file; None when unsatisfiable."""
    match = RANGE_RE.match(header.strip())
    if match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":
        length = int(last)
        if length == 0 or size == 0:
            return None
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return None
    return start, end
