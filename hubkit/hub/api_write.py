"""Write routes: preupload, the NDJSON commit, Git LFS batch/upload/verify, branches, tags and
settings (discussions and pull requests are in :mod:`hubkit.hub.discussions`).

Nothing here changes a repo until :meth:`Repos.apply_commit` runs its single transaction: files
of a commit are streamed into the blob store first (content-addressed, so an aborted commit leaves
only unreferenced objects), and the refs move at the very end, all at once.
"""

from __future__ import annotations

import base64
import binascii
import re
import time

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from hubkit.hub import auth, benchmarks
from hubkit.hub.api_read import base_url
from hubkit.hub.auth import Principal
from hubkit.hub.blobs import git_blob_sha1, lfs_pointer
from hubkit.hub.bodies import field, items, parse_json
from hubkit.hub.errors import HubError, bad_request
from hubkit.hub.gitattributes import choose_upload_mode, lfs_patterns
from hubkit.hub.names import validate_path, validate_ref_name
from hubkit.hub.repos import SHA_RE, AddFile, DeleteFile, DeleteFolder, Entry, Operation, Repo
from hubkit.hub.state import HubState, read_json

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_HEADER_LINE = 1024 * 1024
MAX_LINE = 64 * 1024 * 1024
LFS_LINK_TTL_S = 24 * 3600
LFS_BATCH_MAX = 1000
PREUPLOAD_MAX = 1000
MAX_GITIGNORE = 64 * 1024  # bytes; matching costs patterns x paths


def _may_commit(hub: HubState, repo: Repo, principal: Principal | None, revision: str, create_pr: bool) -> Principal:
    """Owners write anywhere; any write token may open a PR or add to its own PR (as on the Hub)."""
    principal = auth.require_user(principal)
    pr = re.fullmatch(r"refs/pr/(\d+)", revision)
    if (create_pr or pr) and not principal.may_write_to(repo.namespace):
        if not principal.can_write:
            raise HubError(403, "Forbidden", f"Your token {principal.token_name!r} is read-only.")
        if pr and hub.repos.discussion(repo, int(pr.group(1)))["author"] != principal.user:
            raise HubError(403, "Forbidden", f"Pull request #{pr.group(1)} of {repo.repo_id} belongs to someone else.")
        return principal
    return auth.require_write(principal, repo.namespace)


# ----- preupload -----
async def post_preupload(hub: HubState, request: Request, repo: Repo, revision: str,
                         principal: Principal | None) -> Response:
    create_pr = request.query_params.get("create_pr") in ("1", "true", "True")
    _may_commit(hub, repo, principal, revision, create_pr)
    body = await read_json(request)
    files = items(body, "files", "object", required=True, code="InvalidPreupload")
    if len(files) > PREUPLOAD_MAX:
        raise bad_request("InvalidPreupload", f"At most {PREUPLOAD_MAX} files per preupload call, got {len(files)}.")
    sha = hub.repos.resolve(repo, revision)
    tree = hub.repos.tree(repo, sha)
    attributes = tree.get(".gitattributes")
    patterns = lfs_patterns(hub.blobs.read_bytes(attributes.sha256).decode("utf-8", "replace")) if attributes else []
    ignored = _gitignore_matcher(hub, tree, field(body, "gitIgnore", "string", code="InvalidPreupload"))
    answers = []
    for number, item in enumerate(files):
        where = f"files[{number}]"
        path = validate_path(field(item, "path", "string", required=True, where=where, code="InvalidPreupload"))
        sent = item["path"]  # answered as sent: the client looks its own spelling up
        size = field(item, "size", "integer", required=True, where=where, code="InvalidPreupload")
        if size < 0:
            raise bad_request("InvalidPreupload", f"files[{number}] ({path}) needs a non-negative integer 'size'.")
        try:
            sample = base64.b64decode(field(item, "sample", "string", where=where, code="InvalidPreupload") or "",
                                      validate=True)
        except (binascii.Error, ValueError):
            raise bad_request("InvalidPreupload", f"files[{number}] ({path}): 'sample' is not valid base64.") from None
        mode = choose_upload_mode(path, size, sample, patterns)
        existing = tree.get(path)
        oid = None
        if existing is not None:  # a regular file's tree oid is already its git blob sha1: nothing to re-hash
            oid = existing.sha256 if mode == "lfs" else (existing.oid if not existing.lfs else None)
        answers.append({"path": sent, "uploadMode": mode, "shouldIgnore": ignored(path), "oid": oid})
    return JSONResponse({"files": answers, "commitOid": sha})


def _gitignore_matcher(hub: HubState, tree, sent: str | None):
    """Whether a path is ignored: by the ``gitIgnore`` text the client sent, else by the
    ``.gitignore`` at the revision, matched as git does (through ``pathspec``)."""
    import pathspec

    text = sent
    if text is None and (stored := tree.get(".gitignore")) is not None and stored.size <= MAX_GITIGNORE:
        text = hub.blobs.read_bytes(stored.sha256).decode("utf-8", "replace")
    if not text:
        return lambda path: False
    if len(text) > MAX_GITIGNORE:
        raise bad_request("InvalidPreupload", f"gitIgnore is longer than {MAX_GITIGNORE} characters.")
    try:
        spec = pathspec.GitIgnoreSpec.from_lines(text.splitlines())
    except ValueError as error:  # pathspec's pattern errors are ValueErrors
        raise bad_request("InvalidPreupload", f"gitIgnore has a pattern git cannot read: {error}") from None
    return spec.match_file


# ----- commit -----
async def _ndjson_lines(request: Request):
    """Yield (line number, bytes) from a streamed NDJSON body, refusing over-long lines."""
    buffer = bytearray()
    scanned = 0
    number = 0
    async for chunk in request.stream():
        buffer += chunk
        while True:
            index = buffer.find(b"\n", scanned)
            if index < 0:
                scanned = len(buffer)
                break
            number += 1
            line = bytes(buffer[:index])
            del buffer[: index + 1]
            scanned = 0
            yield number, line
        limit = MAX_HEADER_LINE if number == 0 else MAX_LINE
        if len(buffer) > limit:
            what = "header line" if number == 0 else f"line {number + 1}"
            raise HubError(413, "LineTooLarge", f"Commit {what} is larger than {limit} bytes; upload big files "
                           "through LFS instead of inline.")
    if buffer.strip():
        yield number + 1, bytes(buffer)


async def post_commit(hub: HubState, request: Request, repo: Repo, revision: str,
                      principal: Principal | None) -> Response:
    create_pr = request.query_params.get("create_pr") in ("1", "true", "True")
    principal = _may_commit(hub, repo, principal, revision, create_pr)
    hub.repos.resolve(repo, revision)  # unknown revision -> RevisionNotFound before reading the body
    header: dict | None = None
    operations: list[Operation] = []
    linked = {row["oid"]: row["size"] for row in hub.conn.execute(
        "SELECT oid, size FROM lfs_objects WHERE repo = ?", (repo.key,))}
    try:
        async for number, line in _ndjson_lines(request):
            if not line.strip():
                continue
            item = parse_json(line, what=f"Commit line {number}", code="InvalidNdjson")
            try:
                key, value = item["key"], item["value"]
                if not isinstance(value, dict) or not isinstance(key, str):
                    raise TypeError
            except (KeyError, TypeError):
                raise bad_request("InvalidNdjson", f"Commit line {number} is not a JSON object with 'key' and "
                                  "'value' objects.") from None
            if header is None:
                if key != "header":
                    raise bad_request("InvalidNdjson", f"Commit line {number}: the first line must be the 'header', "
                                      f"got {key!r}.")
                header = value
                continue
            operations.append(_operation(hub, repo, number, key, value, linked))
    except ClientDisconnect:
        raise HubError(400, "ClientDisconnect", "The client disconnected before sending the whole commit.") from None
    if header is None:
        raise bad_request("InvalidNdjson", "Empty commit: the body must start with a 'header' line.")
    parent = field(header, "parentCommit", "string", where="header", code="InvalidRevision")
    if parent is not None and (not isinstance(parent, str) or not SHA_RE.match(parent)):
        raise bad_request("InvalidRevision", f"parentCommit must be a 40-character lowercase hex commit id, got {parent!r}.")
    summary = (field(header, "summary", "string", where="header", code="InvalidNdjson") or "").strip()
    title = summary.splitlines()[0][:1000] if summary else "Commit"
    message = field(header, "description", "string", where="header", code="InvalidNdjson") or ""
    hub.blobs.make_durable([op.entry.sha256 for op in operations if isinstance(op, AddFile) and not op.entry.lfs])
    touched = {op.path for op in operations}
    check = None
    if repo.type == "dataset" and touched & {benchmarks.EVAL_YAML, "README.md"}:
        def check(tree):
            benchmarks.check_eval_yaml(hub, repo, tree)
    sha, pr_num = hub.repos.apply_commit(repo, revision, operations, title=title, message=message,
                                         author=principal.user, parent_commit=parent, create_pr=create_pr,
                                         pr_description=message, check=check)
    base = f"{base_url(hub, request)}/{repo.url_path}"
    result = {"commitUrl": f"{base}/commit/{sha}", "commitOid": sha, "success": True}
    if pr_num is not None:
        result["pullRequestUrl"] = f"{base}/discussions/{pr_num}"
    return JSONResponse(result)


def _operation(hub: HubState, repo: Repo, number: int, key: str, value: dict, linked: dict[str, int]) -> Operation:
    where = f"Commit line {number} ({key})"
    path = value.get("path")
    if not isinstance(path, str):
        raise bad_request("InvalidNdjson", f"{where} needs a string 'path'.")
    if key == "file":
        path = validate_path(path)
        if value.get("encoding", "base64") != "base64":
            raise bad_request("InvalidNdjson", f"{where} ({path}): only base64 encoding is supported.")
        try:
            content = base64.b64decode(value.get("content", ""), validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise bad_request("InvalidNdjson", f"{where} ({path}): 'content' is not valid base64.") from None
        # Inline files of one commit are made durable together (post_commit), before the commit lands.
        sha256 = hub.blobs.put_bytes(content, durable=False)
        return AddFile(path, Entry(sha256, len(content), git_blob_sha1(content), False))
    if key == "lfsFile":
        path = validate_path(path)
        oid = value.get("oid")
        if value.get("algo", "sha256") != "sha256" or not isinstance(oid, str) or not SHA256_RE.match(oid):
            raise bad_request("InvalidOid", f"{where} ({path}): oid must be a sha256 of 64 lowercase hex "
                              f"characters, got {oid!r}.")
        if oid not in linked or not hub.blobs.has(oid):
            raise bad_request("LfsObjectNotFound", f"{where} ({path}): LFS object {oid} was not uploaded to "
                              f"{repo.repo_id}; upload it through the LFS batch API first.")
        size = linked[oid]
        if value.get("size") is not None and value["size"] != size:
            raise bad_request("LfsObjectMismatch", f"{where} ({path}): size {value['size']} does not match the "
                              f"stored object's {size} bytes.")
        return AddFile(path, Entry(oid, size, git_blob_sha1(lfs_pointer(oid, size)), True))
    if key == "deletedFile":
        return DeleteFile(validate_path(path))
    if key == "deletedFolder":
        return DeleteFolder(validate_path(path, folder=True))
    raise bad_request("UnknownOperation", f"{where}: unknown operation {key!r}; expected file, lfsFile, "
                      "deletedFile or deletedFolder.")


# ----- Git LFS -----
async def post_lfs_batch(hub: HubState, request: Request, repo: Repo, principal: Principal | None) -> Response:
    body = await read_json(request)
    operation = field(body, "operation", "string", required=True, code="InvalidLfsBatch")
    if operation != "upload":
        raise bad_request("UnknownOperation", f"LFS batch operation {operation!r} is not supported; this server "
                          "takes 'upload' (downloads go through /resolve).")
    ref = field(field(body, "ref", "object", code="InvalidLfsBatch") or {}, "name", "string", where="ref",
                code="InvalidLfsBatch")
    # Without a ref the client is opening a pull request, which any write token may do.
    _may_commit(hub, repo, principal, ref or "main", create_pr=ref is None)
    transfers = items(body, "transfers", "string", code="InvalidLfsBatch") or ["basic"]
    if "basic" not in transfers:
        raise bad_request("UnsupportedTransfer", f"LFS transfers {transfers} not supported; this server speaks 'basic'.")
    objects = items(body, "objects", "object", required=True, code="InvalidLfsBatch")
    if len(objects) > LFS_BATCH_MAX:
        raise bad_request("InvalidLfsBatch", f"'objects' must be a list of at most {LFS_BATCH_MAX} {{oid, size}}.")
    linked = {row["oid"] for row in hub.conn.execute("SELECT oid FROM lfs_objects WHERE repo = ?", (repo.key,))}
    base = base_url(hub, request)
    expires = str(int(time.time()) + LFS_LINK_TTL_S)
    answers = []
    for number, obj in enumerate(objects):
        oid, size = obj.get("oid"), obj.get("size")
        if not isinstance(oid, str) or not SHA256_RE.match(oid):
            raise bad_request("InvalidOid", f"objects[{number}]: oid must be 64 lowercase hex characters (a sha256), "
                              f"got {oid!r}.")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise bad_request("InvalidLfsBatch", f"objects[{number}] ({oid}): size must be a non-negative integer.")
        answer = {"oid": oid, "size": size, "authenticated": True}
        if not (oid in linked and hub.blobs.has(oid)):
            scope = [repo.type, repo.namespace, repo.name, oid, str(size), expires]
            query = f"repo={repo.type}/{repo.repo_id}&size={size}&expires={expires}&sig={hub.sign(*scope)}"
            answer["actions"] = {
                "upload": {"href": f"{base}/lfs-upload/{oid}?{query}", "header": {}},
                "verify": {"href": f"{base}/lfs-verify/{oid}?{query}"},
            }
        answers.append(answer)
    return JSONResponse({"transfer": "basic", "objects": answers, "hash_algo": "sha256"},
                        media_type="application/vnd.git-lfs+json")


def _signed_target(hub: HubState, request: Request, oid: str) -> tuple[Repo, int]:
    """The repo and size an upload link was issued for; 403 when the link is forged or expired."""
    query = request.query_params
    try:
        repo_type, namespace, name = query["repo"].split("/")
        size, expires, signature = int(query["size"]), query["expires"], query["sig"]
    except (KeyError, ValueError):
        raise HubError(403, "InvalidUploadLink", "This upload link is incomplete; ask the LFS batch API for a new one.") from None
    if not hub.check_signature(signature, repo_type, namespace, name, oid, str(size), expires) or int(expires) < time.time():
        raise HubError(403, "InvalidUploadLink", "This upload link is invalid or expired; ask the LFS batch API for a new one.")
    repo = hub.repos.get(repo_type, namespace, name)
    if repo is None:
        raise HubError(404, "RepoNotFound", f"Repository {namespace}/{name} no longer exists.")
    return repo, size


async def put_lfs_object(hub: HubState, request: Request, oid: str) -> Response:
    """Stream the body to disk while hashing; keep it only if it is exactly the announced object."""
    if not SHA256_RE.match(oid):
        raise bad_request("InvalidOid", f"LFS oid must be 64 lowercase hex characters, got {oid!r}.")
    repo, size = _signed_target(hub, request, oid)
    pending = hub.blobs.begin()
    try:
        async for chunk in request.stream():
            pending.write(chunk)
            if pending.size > size:
                raise HubError(400, "LfsObjectMismatch", f"Upload of {oid} is larger than the announced {size} bytes; "
                               "nothing was stored.")
    except ClientDisconnect:
        pending.discard()
        raise HubError(400, "ClientDisconnect", "The client disconnected during the upload; nothing was stored.") from None
    except BaseException:
        pending.discard()
        raise
    pending.commit(expected_sha256=oid, expected_size=size)
    hub.conn.execute("INSERT OR IGNORE INTO lfs_objects (repo, oid, size) VALUES (?, ?, ?)", (repo.key, oid, size))
    return JSONResponse({})


async def post_lfs_verify(hub: HubState, request: Request, oid: str) -> Response:
    repo, size = _signed_target(hub, request, oid)
    stored = hub.conn.execute("SELECT size FROM lfs_objects WHERE repo = ? AND oid = ?", (repo.key, oid)).fetchone()
    if stored is None or not hub.blobs.has(oid):
        raise HubError(404, "LfsObjectNotFound", f"LFS object {oid} was not received; upload it again.")
    if stored["size"] != size:
        raise HubError(422, "LfsObjectMismatch", f"LFS object {oid} has {stored['size']} bytes, not {size}.")
    return JSONResponse({})


# ----- branches, tags, settings -----
async def post_branch(hub: HubState, request: Request, repo: Repo, branch: str, principal: Principal | None) -> Response:
    auth.require_write(principal, repo.namespace)
    validate_ref_name(branch)
    body = await read_json(request)
    hub.repos.create_ref(repo, f"refs/heads/{branch}", field(body, "startingPoint", "string"))
    return JSONResponse({})


async def delete_branch(hub: HubState, repo: Repo, branch: str, principal: Principal | None) -> Response:
    auth.require_write(principal, repo.namespace)
    hub.repos.delete_ref(repo, f"refs/heads/{branch}")
    return JSONResponse({})


async def post_tag(hub: HubState, request: Request, repo: Repo, revision: str, principal: Principal | None) -> Response:
    auth.require_write(principal, repo.namespace)
    body = await read_json(request)
    tag = field(body, "tag", "string", required=True, code="InvalidRevision")
    field(body, "message", "string")
    hub.repos.resolve(repo, revision)  # a missing revision is RevisionNotFound before any name check, as on the Hub
    validate_ref_name(tag, "tag")
    hub.repos.create_ref(repo, f"refs/tags/{tag}", revision)
    return JSONResponse({})


async def delete_tag(hub: HubState, repo: Repo, tag: str, principal: Principal | None) -> Response:
    auth.require_write(principal, repo.namespace)
    hub.repos.delete_ref(repo, f"refs/tags/{tag}")
    return JSONResponse({})


async def put_settings(hub: HubState, request: Request, repo: Repo, principal: Principal | None) -> Response:
    auth.require_write(principal, repo.namespace)
    body = await read_json(request)
    private = field(body, "private", "boolean")
    if field(body, "visibility", "string") in ("private", "public"):
        private = body["visibility"] == "private"
    gated = body.get("gated")
    if gated not in (None, False, "auto", "manual"):
        raise bad_request("InvalidSettings", f"gated must be false, 'auto' or 'manual', got {gated!r}.")
    hub.repos.update_settings(repo, private=private, gated=gated)
    return JSONResponse({})

