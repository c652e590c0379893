"""What every request handler shares: the data dir, its database, blob store and signing key,
plus the helpers that turn a request into a caller and a visible repo."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

import yaml
from starlette.requests import Request

from hubkit.hub import auth, db
from hubkit.hub.blobs import BlobStore
from hubkit.hub.errors import HubError, repo_not_found
from hubkit.hub.repos import REPO_TYPES, Repo, Repos

MAX_JSON_BODY = 16 * 1024 * 1024


class HubState:
    """The server's state over one ``--data-dir``; everything persistent lives under it."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.conn = db.connect(self.data_dir)
        self.blobs = BlobStore(self.data_dir)
        self.blobs.clean_partial_uploads()
        self.repos = Repos(self.conn, self.blobs)
        self.signing_key = _load_signing_key(self.data_dir)
        self._card_cache: dict[str, dict] = {}

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
            raise repo_not_found(f"{namespace}/{name}")
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
        if sha256 not in self._card_cache:
            text = self.blobs.read_bytes(sha256).decode("utf-8", errors="replace")
            try:
                data = parse_front_matter(text)
            except ValueError:
                data = {}
            self._card_cache[sha256] = data
        return self._card_cache[sha256]


def parse_front_matter(text: str) -> dict:
    """The ``---`` YAML block at the top of a card; raises ValueError when it is not a mapping."""
    if not text.startswith("---"):
        return {}
    lines = text.splitlines()
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ValueError("the YAML block that starts with '---' is never closed by a '---' line") from None
    try:
        data = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        raise ValueError(f"invalid YAML in the card's metadata: {exc}".replace("\n", " ")) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("the card's metadata must be a YAML mapping (key: value lines)")
    return json.loads(json.dumps(data, default=str))


def _load_signing_key(data_dir: Path) -> bytes:
    path = data_dir / "signing.key"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(secrets.token_bytes(32))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    return path.read_bytes()


async def read_json(request: Request) -> dict:
    body = await read_body(request)
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except ValueError as exc:
        raise HubError(400, "InvalidJson", f"Request body is not valid JSON: {exc}.") from None
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

