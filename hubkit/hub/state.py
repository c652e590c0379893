"""What every request handler shares: the data dir, its database, blob store and signing key,
plus the helpers that turn a request into a caller and a visible repo."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
from pathlib import Path

from starlette.requests import Request

from hubkit.hub import auth, db
from hubkit.hub.blobs import BlobStore
from hubkit.hub.cache import BoundedCache
from hubkit.hub.bodies import parse_json
from hubkit.hub.cardyaml import parse_front_matter
from hubkit.hub.errors import HubError, repo_not_found
from hubkit.hub.repos import REPO_TYPES, Repo, Repos
from hubkit.hub.trees import migrate_flat_trees

MAX_JSON_BODY = 16 * 1024 * 1024
CARD_CACHE_ENTRIES = 4096
CARD_CACHE_BYTES = 64 * 1024 * 1024


class HubState:
    """The server's state over one ``--data-dir``; everything persistent lives under it."""

    def __init__(self, data_dir: Path, *, serving: bool = True, public_url: str | None = None):
        """``serving=False`` for tools beside a running server (admin, verify): they must not sweep
        the upload folder, which holds the server's uploads in progress."""
        self.data_dir = Path(data_dir)
        self.public_url = public_url.rstrip("/") if public_url else None
        _make_private(self.data_dir)
        self._local = threading.local()
        self.blobs = BlobStore(self.data_dir)
        if serving:
            self.blobs.clean_partial_uploads()
        self.repos = Repos(lambda: self.conn, self.blobs)
        migrate_flat_trees(self.conn, self.repos.trees)
        self.signing_key = _load_signing_key(self.data_dir)
        self._card_cache = BoundedCache(CARD_CACHE_ENTRIES, CARD_CACHE_BYTES)
        self.results_cache = BoundedCache(CARD_CACHE_ENTRIES, CARD_CACHE_BYTES)  # parsed .eval_results files

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection to the database. Requests run in worker threads, and a SQLite
        connection shared between threads would mix their transactions, so each thread has one."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = db.connect(self.data_dir)
        return conn

    # ----- callers -----
    def principal(self, request: Request) -> auth.Principal | None:
        return auth.authenticate(self.conn, request.headers.get("authorization"))

    def can_read(self, repo: Repo, principal: auth.Principal | None) -> bool:
        return not repo.private or (principal is not None and principal.owns(repo.namespace))

    def visible_repo(self, repo_type: str, namespace: str, name: str, principal: auth.Principal | None) -> Repo:
        """The repo, or RepoNotFound when it is missing or private to someone else (never a hint it exists)."""
        if repo_type not in REPO_TYPES:
            raise HubError(400, "InvalidRepoType", f"Unknown repo type {repo_type!r}: use model, dataset or space.")
        repo = self.repos.get(repo_type, namespace, name)
        if repo is None or not self.can_read(repo, principal):
            error = repo_not_found(f"{namespace}/{name}")
            if principal is None:  # hub-api.md 1.6: anonymous callers get 401, whether private or missing
                error.status = 401
            raise error
        return repo

    # ----- LFS upload links -----
    def sign(self, *parts: str) -> str:
        message = "\n".join(parts).encode()
        return hmac.new(self.signing_key, message, hashlib.sha256).hexdigest()

    def check_signature(self, signature: str, *parts: str) -> bool:
        return hmac.compare_digest(signature, self.sign(*parts))

    # ----- cards -----
    def card_data(self, sha256: str | None) -> dict:
        """The YAML front matter of a README blob as a dict ({} when absent or invalid)."""
        if sha256 is None:
            return {}
        cached = self._card_cache.get(sha256)
        if cached is None:
            text = self.blobs.read_bytes(sha256).decode("utf-8", errors="replace")
            try:
                cached = parse_front_matter(text)
            except ValueError:
                cached = {}
            self._card_cache.put(sha256, cached, len(json.dumps(cached)))
        return cached


def _make_private(data_dir: Path) -> None:
    """Private repos are stored here: the data dir is the serving user's alone (0700, files 0600)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    for name in (db.DATABASE_FILE, db.DATABASE_FILE + "-wal", db.DATABASE_FILE + "-shm"):
        if (data_dir / name).exists():
            os.chmod(data_dir / name, 0o600)


def _load_signing_key(data_dir: Path) -> bytes:
    path = data_dir / "signing.key"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(secrets.token_bytes(32))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    return path.read_bytes()


async def read_json(request: Request) -> dict:
    """The request's JSON object body ({} when empty), bounded in size and depth."""
    body = await read_body(request)
    if not body.strip():
        return {}
    value = parse_json(body)
    if not isinstance(value, dict):
        raise HubError(400, "InvalidJson", "Request body must be a JSON object.")
    return value


async def read_body(request: Request, limit: int = MAX_JSON_BODY) -> bytes:
    chunks = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise HubError(413, "PayloadTooLarge", f"Request body is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)

