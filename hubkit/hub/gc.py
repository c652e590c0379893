"""Reclaiming disk: remove stored objects that no commit and no LFS upload refers to any more.

Deleting a repo leaves its file contents under ``objects/``, because objects are shared by
content across repos and revisions. ``hubkit hub gc`` walks every commit's
tree and the table of received LFS uploads, and removes the objects nobody refers to.

The dataset viewer's cache (``viewer/<repo>/<commit>/``) is swept too: folders of deleted repos
and of commits that no longer exist go, whatever their age, since nothing can ask for them again.

Objects younger than a grace period are always kept: a commit writes its small files before the
transaction that references them, and an LFS upload lands before its row does, so a young orphan
may be part of a commit in flight. A commit that re-uses an existing object refreshes its mtime
(:meth:`BlobStore.put_bytes`) for the same reason. The sweep itself runs inside a write
transaction, so no commit lands while it decides.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from pathlib import Path

from hubkit.hub import db, trees
from hubkit.hub.blobs import SHA256_RE, BlobStore

DEFAULT_GRACE_SECONDS = 3600


@dataclasses.dataclass(frozen=True)
class GcReport:
    """What a sweep found; ``removed``/``freed_bytes`` are what it deleted (or would, on a dry run)."""

    referenced: int
    kept_young: int
    removed: int
    freed_bytes: int
    dry_run: bool
    viewer_entries_removed: int = 0


def referenced_objects(conn: sqlite3.Connection) -> set[str]:
    """The sha256 of every object some commit's tree or some repo's received LFS uploads names."""
    store = trees.TreeStore(lambda: conn)
    referenced = {row["oid"] for row in conn.execute("SELECT oid FROM lfs_objects")}
    roots = {row["root"] for row in conn.execute("SELECT DISTINCT root FROM commits")}
    return referenced | trees.reachable_files(store, roots)


def collect_garbage(data_dir: Path, *, grace_seconds: float = DEFAULT_GRACE_SECONDS,
                    dry_run: bool = False) -> GcReport:
    """Remove unreferenced objects older than ``grace_seconds`` from ``data_dir``'s object store."""
    if grace_seconds < 0:
        raise ValueError(f"the grace period must be zero or more seconds, got {grace_seconds}")
    if not (Path(data_dir) / db.DATABASE_FILE).is_file():
        raise ValueError(f"{data_dir} is not a hub data dir (it has no {db.DATABASE_FILE}); nothing was removed")
    store = BlobStore(Path(data_dir))
    with db.open_database(Path(data_dir)) as conn:
        trees.migrate_flat_trees(conn, trees.TreeStore(lambda: conn))
    with db.open_database(Path(data_dir)) as conn, db.transaction(conn):
        referenced = referenced_objects(conn)
        cutoff = time.time() - grace_seconds
        kept_young = removed = freed = 0
        for path in sorted(store.root.glob("*/*")):
            if not SHA256_RE.match(path.name) or path.name in referenced:
                continue
            stat = path.stat()
            if stat.st_mtime > cutoff:
                kept_young += 1
                continue
            if not dry_run:
                path.unlink()
            removed += 1
            freed += stat.st_size
        viewer_removed = _sweep_viewer_cache(conn, Path(data_dir), dry_run)
    return GcReport(len(referenced), kept_young, removed, freed, dry_run, viewer_removed)


def _sweep_viewer_cache(conn: sqlite3.Connection, data_dir: Path, dry_run: bool) -> int:
    import shutil

    from hubkit.hub.viewer.store import stale_entries

    live: dict[int, set[str]] = {row["id"]: set() for row in conn.execute("SELECT id FROM repos")}
    for row in conn.execute("SELECT repo, sha FROM commits"):
        live.setdefault(row["repo"], set()).add(row["sha"])
    stale = stale_entries(data_dir, live)
    if not dry_run:
        for folder in stale:
            shutil.rmtree(folder, ignore_errors=True)
    return len(stale)
