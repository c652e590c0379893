"""Content-addressed file storage: every file version is one read-only file named by its sha256.

Writes go to a temporary file in the same filesystem, are hashed as they stream in, checked
against the expected digest and size, flushed to disk and only then renamed into place. A crash
(even ``kill -9``) therefore leaves either the whole object or none, and a half-uploaded file can
never be served. Reads stream from disk in chunks; nothing reads a whole file into memory.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hubkit.hub.errors import HubError

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024


class BlobMismatch(HubError):
    def __init__(self, message: str):
        super().__init__(400, "LfsObjectMismatch", message)


def git_blob_sha1(data: bytes) -> str:
    """The git object id of a file's bytes (what the Hub calls a regular file's ``oid``)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    """The git-lfs pointer file that stands in git for an LFS object."""
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


class PendingBlob:
    """A blob being written: feed chunks, then :meth:`commit` (verify + rename) or :meth:`discard`."""

    def __init__(self, store: "BlobStore"):
        self._store = store
        fd, name = tempfile.mkstemp(dir=store.tmp_dir, prefix="upload-")
        self._file = os.fdopen(fd, "wb")
        self.tmp_path = Path(name)
        self._sha256 = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self._sha256.update(chunk)
        self.size += len(chunk)

    def commit(self, expected_sha256: str | None = None, expected_size: int | None = None, *,
               durable: bool = True) -> str:
        """Verify and move into place; returns the sha256. Raises :class:`BlobMismatch` on a mismatch.

        ``durable=False`` skips the fsyncs: the caller makes many blobs durable at once with
        :meth:`BlobStore.sync` before any commit refers to them (one sync instead of thousands).
        """
        self._file.flush()
        if durable:
            os.fsync(self._file.fileno())
        self._file.close()
        digest = self._sha256.hexdigest()
        try:
            if expected_size is not None and self.size != expected_size:
                raise BlobMismatch(f"Upload of {expected_sha256 or digest} has {self.size} bytes, expected "
                                   f"{expected_size}; nothing was stored.")
            if expected_sha256 is not None and digest != expected_sha256:
                raise BlobMismatch(f"Uploaded content hashes to sha256 {digest}, not the announced oid "
                                   f"{expected_sha256}; nothing was stored.")
        except BlobMismatch:
            self.discard()
            raise
        final = self._store.path(digest)
        if final.exists():
            self.tmp_path.unlink()
            os.utime(final)  # re-used now: young again, so ``hubkit hub gc`` keeps it (see hub/gc.py)
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(self.tmp_path, 0o400)  # read-only, and the serving user's alone
            os.replace(self.tmp_path, final)
            if durable:
                _fsync_dir(final.parent)
        return digest

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.tmp_path.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


FSYNC_ONE_BY_ONE_MAX = 16


class BlobStore:
    """Objects under ``<data>/objects/<aa>/<sha256>``; uploads in progress under ``<data>/tmp``."""

    def __init__(self, data_dir: Path):
        self.root = data_dir / "objects"
        self.tmp_dir = data_dir / "tmp"
        self.root.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def clean_partial_uploads(self) -> int:
        """Remove temporary files left by uploads that a crash interrupted; returns how many."""
        removed = 0
        for leftover in self.tmp_dir.iterdir():
            leftover.unlink(missing_ok=True)
            removed += 1
        return removed

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def begin(self) -> PendingBlob:
        return PendingBlob(self)

    def put_bytes(self, data: bytes, *, durable: bool = True) -> str:
        pending = self.begin()
        pending.write(data)
        return pending.commit(durable=durable)

    def make_durable(self, digests: list[str]) -> None:
        """Make blobs written with ``durable=False`` durable (contents and renames). A few are
        fsynced one by one; many at once with one ``sync()``, which costs the same for ten
        thousand files as for one (a 10,000-file commit: 74 s of fsyncs became 6 s in all)."""
        if len(digests) > FSYNC_ONE_BY_ONE_MAX:
            os.sync()
            return
        for digest in digests:
            path = self.path(digest)
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            _fsync_dir(path.parent)

    def read_bytes(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def iter_range(self, sha256: str, start: int, end: int) -> Iterator[bytes]:
        """Yield bytes ``start..end`` (inclusive) of an object in chunks."""
        with open(self.path(sha256), "rb") as handle:
            handle.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = handle.read(min(CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk
