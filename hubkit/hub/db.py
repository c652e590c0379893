"""The hub's metadata: one SQLite database in the data dir.

SQLite gives what the Hub's semantics need without a service to run: a commit is one transaction
(all files or none, even after ``kill -9``), and writers are serialized. File contents are not
here; they live in the content-addressed :mod:`blob store <hubkit.hub.blobs>`.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS org_members (
    org TEXT NOT NULL,
    user TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'write' CHECK (role IN ('read', 'write')),
    PRIMARY KEY (org, user)
);
-- What a user or organization shows and defaults to; a name without a row has the defaults.
CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    fullname TEXT,
    private_by_default INTEGER NOT NULL DEFAULT 0
);
-- Old ids of renamed repos, which keep leading to them (as on the Hub) until a new repo takes one.
CREATE TABLE IF NOT EXISTS repo_redirects (
    type TEXT NOT NULL,
    namespace TEXT NOT NULL COLLATE NOCASE,
    name TEXT NOT NULL COLLATE NOCASE,
    repo INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    PRIMARY KEY (type, namespace, name)
);
-- Namespaces the hub itself owns (mirrors of upstream models): no user has or joins them.
CREATE TABLE IF NOT EXISTS mirror_namespaces (
    name TEXT PRIMARY KEY COLLATE NOCASE
);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('read', 'write')),
    display_name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS repos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL CHECK (type IN ('model', 'dataset', 'space')),
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    private INTEGER NOT NULL,
    gated TEXT,
    sdk TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (type, namespace, name)
);
CREATE TABLE IF NOT EXISTS commits (
    repo INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    sha TEXT NOT NULL,
    parent TEXT,
    tree TEXT NOT NULL DEFAULT '',  -- a flat JSON tree in data dirs from before tree_nodes; '' since
    root TEXT,                      -- the tree_nodes id of the commit's root directory
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    author TEXT NOT NULL,
    date TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (repo, sha)
);
-- Directory nodes, content-addressed as git's trees are (see hubkit.hub.trees).
CREATE TABLE IF NOT EXISTS tree_nodes (
    id TEXT PRIMARY KEY,
    entries TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refs (
    repo INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    ref TEXT NOT NULL,
    sha TEXT NOT NULL,
    PRIMARY KEY (repo, ref)
);
CREATE TABLE IF NOT EXISTS discussions (
    repo INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    num INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    author TEXT NOT NULL,
    is_pr INTEGER NOT NULL,
    status TEXT NOT NULL,
    base_ref TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (repo, num)
);
-- What happened in a discussion, oldest first (``seq``): comments (the opening one included),
-- status and title changes, as the client's ``deserialize_event`` reads them. ``content`` is a
-- comment's text, a new status or a new title; ``previous`` an old title; ``oid`` a merge commit.
CREATE TABLE IF NOT EXISTS discussion_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    repo INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    num INTEGER NOT NULL,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL CHECK (type IN ('comment', 'status-change', 'title-change')),
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    content TEXT NOT NULL,
    previous TEXT,
    oid TEXT,
    hidden INTEGER NOT NULL DEFAULT 0,
    edited_at TEXT,
    editor TEXT,
    history TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS discussion_events_of ON discussion_events (repo, num, seq);
-- Every discussion opens with its description as a comment, in the transaction that creates it,
-- whichever code path inserts it (the discussions API or a commit with create_pr).
CREATE TRIGGER IF NOT EXISTS discussion_opening_comment AFTER INSERT ON discussions BEGIN
    INSERT INTO discussion_events (repo, num, id, type, author, created_at, content)
    VALUES (NEW.repo, NEW.num, lower(hex(randomblob(12))), 'comment', NEW.author, NEW.created_at, NEW.description);
END;
CREATE TABLE IF NOT EXISTS likes (
    user TEXT NOT NULL,
    repo INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user, repo)
);
CREATE INDEX IF NOT EXISTS likes_of_repo ON likes (repo);
-- Requests for access to gated repos (see hubkit.hub.access); one per user and repo.
CREATE TABLE IF NOT EXISTS access_requests (
    repo INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    user TEXT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    rejection_reason TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (repo, user)
);
-- Re-checks of claimed results by ``hubkit hub verify`` (see hubkit.hub.evalresults): kept here,
-- never in the model repo, so that the commit they vouch for does not change.
CREATE TABLE IF NOT EXISTS verifications (
    model_repo INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    model_sha TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    dataset_sha TEXT NOT NULL,
    task_id TEXT NOT NULL,
    claim TEXT NOT NULL,
    status TEXT NOT NULL,
    measured REAL,
    detail TEXT NOT NULL,
    signature TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (model_repo, model_sha, dataset_id, dataset_sha, task_id, claim)
);
CREATE TABLE IF NOT EXISTS lfs_objects (
    repo INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    oid TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (repo, oid)
);
"""


DATABASE_FILE = "hub.sqlite3"


def connect(data_dir: Path) -> sqlite3.Connection:
    """Open (and create if needed) the metadata database of ``data_dir``."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = data_dir / DATABASE_FILE
    if not path.exists():
        path.touch(mode=0o600)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                           timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.executescript(SCHEMA)
    _add_case_insensitive_repo_index(conn)
    _add_commit_root_column(conn)
    _add_org_role_column(conn)
    _add_opening_comments(conn)
    return conn


def _add_case_insensitive_repo_index(conn: sqlite3.Connection) -> None:
    """One repo per id whatever its case. A data dir from before this rule may already hold case
    twins; the index is then left out and :meth:`Repos.create` still refuses new twins."""
    try:
        conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS repos_id_nocase "
                     "ON repos (type, namespace COLLATE NOCASE, name COLLATE NOCASE)")
    except sqlite3.IntegrityError:
        pass


def _add_commit_root_column(conn: sqlite3.Connection) -> None:
    """Data dirs from before per-directory trees lack ``commits.root``; their flat trees are
    converted once by :func:`hubkit.hub.trees.migrate_flat_trees` when the server starts."""
    _add_column(conn, "commits", "root TEXT")


def _add_org_role_column(conn: sqlite3.Connection) -> None:
    """Data dirs from before org roles: every existing member keeps the write role they had."""
    _add_column(conn, "org_members", "role TEXT NOT NULL DEFAULT 'write' CHECK (role IN ('read', 'write'))")


def _add_column(conn: sqlite3.Connection, table: str, definition: str) -> None:
    columns = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}
    if definition.split()[0] not in columns:
        try:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {definition}")
        except sqlite3.OperationalError as error:  # another process added it first
            if "duplicate column" not in str(error):
                raise


def _add_opening_comments(conn: sqlite3.Connection) -> None:
    """Discussions of data dirs from before ``discussion_events`` get their description as their
    opening comment, as the trigger gives new ones (the clients read it as the first event and
    may edit it)."""
    missing = ("FROM discussions d WHERE NOT EXISTS (SELECT 1 FROM discussion_events e "
               "WHERE e.repo = d.repo AND e.num = d.num)")
    if conn.execute(f"SELECT 1 {missing} LIMIT 1").fetchone() is None:
        return
    conn.execute("INSERT INTO discussion_events (repo, num, id, type, author, created_at, content) "
                 f"SELECT repo, num, lower(hex(randomblob(12))), 'comment', author, created_at, description {missing}")


@contextlib.contextmanager
def open_database(data_dir: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(data_dir)
    try:
        yield conn
    finally:
        conn.close()


# Writers of one process queue here before asking SQLite for its write lock. SQLite's own wait for
# a busy lock sleeps in growing steps (up to 100 ms each), so threads that contend inside SQLite
# waste most of their time asleep after the lock is free: with five concurrent committers a commit
# took ~1 s. A Python lock hands over at once. Other processes (``hub serve --workers``, admin
# tools) still meet at SQLite's lock, which stays the authority.
_PROCESS_WRITE_LOCK = threading.RLock()


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """An immediate (write-locking) transaction: everything in it lands, or nothing does."""
    with _PROCESS_WRITE_LOCK:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
