"""Trees stored as git stores them: one content-addressed node per directory.

A commit names the root node of its tree. A node maps each name in one directory to a file entry
or to the node of a subdirectory, and its id is the sha1 of its canonical JSON, so identical
directories are stored once, across commits and repos. Changing one file rewrites only the nodes
on its path (the root, each parent directory and the directory holding it): a one-byte commit to
a repo of 10,000 files adds a few hundred bytes, not a copy of the whole tree, and looking a path
up reads as many nodes as the path has segments.

Nodes are immutable once written, so parsed nodes are shared by every thread through one bounded
cache, and a commit edits private copies (:class:`TreeEditor`) before writing the changed ones.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator

from hubkit.hub import db
from hubkit.hub.cache import BoundedCache
from hubkit.hub.errors import HubError

NODE_CACHE_ENTRIES = 65536
NODE_CACHE_BYTES = 128 * 1024 * 1024

FILE, DIRECTORY = "f", "d"
# One name in a directory: ["f", sha256, size, git blob oid, lfs 0/1] or ["d", node id].
Item = list
Node = dict[str, Item]


@dataclasses.dataclass(frozen=True)
class Entry:
    """One file of a tree. ``oid`` is the git blob id (of the LFS pointer for LFS files)."""

    sha256: str
    size: int
    oid: str
    lfs: bool

    def to_item(self) -> Item:
        return [FILE, self.sha256, self.size, self.oid, int(self.lfs)]

    @classmethod
    def from_item(cls, item: Item) -> "Entry":
        return cls(item[1], item[2], item[3], bool(item[4]))


def node_id(node: Node) -> str:
    return hashlib.sha1(_canonical(node).encode()).hexdigest()


def _canonical(node: Node) -> str:
    return json.dumps(node, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class TreeStore:
    """Reads and writes directory nodes in the ``tree_nodes`` table of the hub's database."""

    def __init__(self, connection: Callable[[], sqlite3.Connection]):
        self._connection = connection
        self._cache = BoundedCache(NODE_CACHE_ENTRIES, NODE_CACHE_BYTES)

    def node(self, nid: str) -> Node:
        """The node ``nid``; callers must not change it (it is shared through the cache)."""
        cached = self._cache.get(nid)
        if cached is not None:
            return cached
        row = self._connection().execute("SELECT entries FROM tree_nodes WHERE id = ?", (nid,)).fetchone()
        if row is None:
            raise LookupError(f"tree node {nid} is missing from the database")
        node = json.loads(row[0])
        self._cache.put(nid, node, len(row[0]) * 2)
        return node

    def write(self, node: Node) -> str:
        """Store ``node`` (within the caller's transaction) and return its id."""
        text = _canonical(node)
        nid = hashlib.sha1(text.encode()).hexdigest()
        self._connection().execute("INSERT OR IGNORE INTO tree_nodes (id, entries) VALUES (?, ?)", (nid, text))
        return nid

    def view(self, root: str) -> "TreeView":
        return TreeView(self, root)

    def build(self, files: collections.abc.Mapping[str, Entry]) -> str:
        """Write the nodes of a flat ``{path: Entry}`` tree; returns the root id."""
        editor = TreeEditor(self, self.write({}))
        for path, entry in files.items():
            editor.add(path, entry)
        return editor.finish()


class TreeView(collections.abc.Mapping):
    """One commit's tree, read on demand: ``view[path]`` is a file's :class:`Entry`.

    Lookups cost one node per path segment; iterating walks the whole tree once.
    """

    def __init__(self, store: TreeStore, root: str):
        self.store, self.root = store, root

    # ----- lookups -----
    def item(self, path: str) -> Item | None:
        """The raw item at ``path`` (a file or a directory), or None; ``""`` is the root."""
        if not path:
            return [DIRECTORY, self.root]
        node = self.store.node(self.root)
        *parents, name = path.split("/")
        for part in parents:
            item = node.get(part)
            if item is None or item[0] != DIRECTORY:
                return None
            node = self.store.node(item[1])
        return node.get(name)

    def __getitem__(self, path: str) -> Entry:
        item = self.item(path) if isinstance(path, str) else None
        if item is None or item[0] != FILE:
            raise KeyError(path)
        return Entry.from_item(item)

    def is_dir(self, path: str) -> bool:
        item = self.item(path)
        return item is not None and item[0] == DIRECTORY

    def dir_oid(self, path: str) -> str:
        """The id of the directory ``path``'s node: its oid in tree listings, as git's tree id is."""
        item = self.item(path)
        if item is None or item[0] != DIRECTORY:
            raise KeyError(path)
        return item[1]

    # ----- walks -----
    def walk(self, folder: str = "", recursive: bool = True) -> Iterator[tuple[str, Item]]:
        """Every (path, item) below ``folder``: directories and files, parents before children."""
        item = self.item(folder)
        if item is None or item[0] != DIRECTORY:
            return
        stack = [(folder, item[1])]
        while stack:
            prefix, nid = stack.pop()
            for name, child in self.store.node(nid).items():
                path = f"{prefix}/{name}" if prefix else name
                yield path, child
                if recursive and child[0] == DIRECTORY:
                    stack.append((path, child[1]))

    def files_under(self, folder: str) -> list[str]:
        """Paths of the files below ``folder`` (recursively), sorted; touches only that subtree."""
        return sorted(path for path, item in self.walk(folder.strip("/")) if item[0] == FILE)

    def __iter__(self) -> Iterator[str]:
        return (path for path, item in self.walk() if item[0] == FILE)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def items(self):  # a list: faster than Mapping's per-key lookups
        return [(path, Entry.from_item(item)) for path, item in self.walk() if item[0] == FILE]


class TreeEditor:
    """Applies file changes to a tree, copying only the nodes on the changed paths.

    Directories touched by the edit are held as private, mutable copies keyed by their path; a
    parent's item for such a directory is a placeholder until :meth:`finish` writes the changed
    nodes deepest first and fills in their new ids. Directories left empty disappear, as in git.
    """

    def __init__(self, store: TreeStore, root: str):
        self.store = store
        self._dirty: dict[str, Node] = {"": dict(store.node(root))}

    def _directory(self, path: str, create: bool) -> Node | None:
        """A writable copy of directory ``path`` (created when ``create``), or None when absent."""
        node = self._dirty.get(path)
        if node is not None:
            return node
        parent_path, _, name = path.rpartition("/")
        parent = self._directory(parent_path, create)
        if parent is None:
            return None
        item = parent.get(name)
        if item is None:
            if not create:
                return None
            node = {}
        elif item[0] == FILE:
            if create:
                raise HubError(409, "PathConflict", f"{path!r} cannot be both a file and a folder.")
            return None
        else:
            node = dict(self.store.node(item[1]))
        parent[name] = [DIRECTORY, None]
        self._dirty[path] = node
        return node

    def get(self, path: str) -> Entry | None:
        parent_path, _, name = path.rpartition("/")
        node = self._directory(parent_path, create=False)
        item = node.get(name) if node is not None else None
        return Entry.from_item(item) if item is not None and item[0] == FILE else None

    def add(self, path: str, entry: Entry) -> None:
        parent_path, _, name = path.rpartition("/")
        node = self._directory(parent_path, create=True)
        existing = node.get(name)
        if existing is not None and existing[0] == DIRECTORY:
            raise HubError(409, "PathConflict", f"{path!r} cannot be both a file and a folder.")
        node[name] = entry.to_item()

    def delete_file(self, path: str) -> bool:
        """Remove the file ``path``; False when there is no such file."""
        parent_path, _, name = path.rpartition("/")
        node = self._directory(parent_path, create=False)
        if node is None or name not in node or node[name][0] != FILE:
            return False
        del node[name]
        return True

    def delete_folder(self, path: str) -> bool:
        """Remove the directory ``path`` and all below it; False when there is no such directory."""
        path = path.strip("/")
        parent_path, _, name = path.rpartition("/")
        node = self._directory(parent_path, create=False)
        if not path or node is None or name not in node or node[name][0] != DIRECTORY:
            return False
        del node[name]
        self._dirty = {p: n for p, n in self._dirty.items() if p != path and not p.startswith(path + "/")}
        return True

    def finish(self) -> str:
        """Write every changed node, deepest first, and return the new root's id."""
        for path in sorted(self._dirty, key=lambda p: p.count("/") + bool(p), reverse=True):
            node = self._dirty[path]
            if not path:
                return self.store.write(node)
            parent_path, _, name = path.rpartition("/")
            parent = self._dirty[parent_path]
            if node:
                parent[name] = [DIRECTORY, self.store.write(node)]
            else:
                parent.pop(name, None)
        raise AssertionError("the root is always dirty")


def reachable_files(store: TreeStore, roots: collections.abc.Iterable[str]) -> set[str]:
    """The sha256 of every file some tree among ``roots`` names, each shared node read once."""
    seen: set[str] = set()
    files: set[str] = set()
    stack = list(roots)
    while stack:
        nid = stack.pop()
        if nid in seen:
            continue
        seen.add(nid)
        for item in store.node(nid).values():
            if item[0] == FILE:
                files.add(item[1])
            else:
                stack.append(item[1])
    return files


def migrate_flat_trees(conn: sqlite3.Connection, store: TreeStore) -> int:
    """Convert commits stored with a whole flat tree (data dirs from before ``tree_nodes``) to
    per-directory nodes, in one transaction; returns how many commits were converted."""
    if conn.execute("SELECT 1 FROM commits WHERE root IS NULL LIMIT 1").fetchone() is None:
        return 0
    with db.transaction(conn):
        rows = conn.execute("SELECT repo, sha, tree FROM commits WHERE root IS NULL").fetchall()
        for repo, sha, flat in rows:
            files = {path: Entry(*value[:3], bool(value[3])) for path, value in json.loads(flat).items()}
            conn.execute("UPDATE commits SET root = ?, tree = '' WHERE repo = ? AND sha = ?",
                         (store.build(files), repo, sha))
    return len(rows)
