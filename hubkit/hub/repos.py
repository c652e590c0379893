"""Repositories as the Hub sees them: revisions, trees, commits, branches, tags and pull requests.

A commit names the root of its tree, stored per directory as git stores it
(:mod:`hubkit.hub.trees`): every earlier revision stays downloadable, listing a revision never
walks history, and a commit costs what it changes, not the size of the repo. Commit ids are 40-hex sha1 digests of the
commit's content, fixed when the commit is made. Every change to refs happens in one SQLite
transaction, and the parent check happens inside it, so commits on a branch are serialized and a
stale ``parentCommit`` is refused atomically.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterable

from hubkit.hub import db
from hubkit.hub.blobs import BlobStore, git_blob_sha1
from hubkit.hub.errors import HubError, bad_request, entry_not_found, revision_not_found
from hubkit.hub.gitattributes import DEFAULT_GITATTRIBUTES
from hubkit.hub.timeutil import now_iso
from hubkit.hub.trees import Entry, TreeEditor, TreeStore, TreeView

REPO_TYPES = ("model", "dataset", "space")
URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
SHA_RE = re.compile(r"^[0-9a-f]{40}$")
SHORT_SHA_RE = re.compile(r"^[0-9a-f]{7,39}$")


@dataclasses.dataclass(frozen=True)
class Repo:
    key: int
    type: str
    namespace: str
    name: str
    private: bool
    gated: str | None
    sdk: str | None
    created_at: str

    @property
    def repo_id(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def url_path(self) -> str:
        """The repo's path on the site: ``ns/name``, ``datasets/ns/name`` or ``spaces/ns/name``."""
        return URL_PREFIX[self.type] + self.repo_id


Tree = TreeView


@dataclasses.dataclass(frozen=True)
class Commit:
    sha: str
    parent: str | None
    title: str
    message: str
    author: str
    date: str


# Operations of a commit, applied in order to the parent's tree.
@dataclasses.dataclass(frozen=True)
class AddFile:
    path: str
    entry: Entry


@dataclasses.dataclass(frozen=True)
class DeleteFile:
    path: str


@dataclasses.dataclass(frozen=True)
class DeleteFolder:
    path: str


Operation = AddFile | DeleteFile | DeleteFolder


class Repos:
    """Queries and changes on repositories over the hub's SQLite database.

    ``connection()`` gives the calling thread's connection (see :attr:`HubState.conn`).
    """

    def __init__(self, connection: Callable[[], sqlite3.Connection], blobs: BlobStore):
        self._connection = connection
        self.blobs = blobs
        self.trees = TreeStore(connection)

    @property
    def conn(self) -> sqlite3.Connection:
        return self._connection()

    # ----- repositories -----
    def get(self, repo_type: str, namespace: str, name: str, *, follow_renames: bool = True) -> Repo | None:
        # Repo ids ignore case, as on the Hub: ``Org/Model`` and ``org/model`` are one repo.
        row = self.conn.execute("SELECT * FROM repos WHERE type = ? AND namespace = ? COLLATE NOCASE "
                                "AND name = ? COLLATE NOCASE", (repo_type, namespace, name)).fetchone()
        if row is None and follow_renames:  # a renamed repo answers to its old ids too, as on the Hub
            row = self.conn.execute("SELECT repos.* FROM repo_redirects JOIN repos ON repos.id = repo_redirects.repo "
                                    "WHERE repo_redirects.type = ? AND repo_redirects.namespace = ? COLLATE NOCASE "
                                    "AND repo_redirects.name = ? COLLATE NOCASE",
                                    (repo_type, namespace, name)).fetchone()
        return _repo(row) if row else None

    def list(self, repo_type: str | None = None) -> list[Repo]:
        if repo_type:
            rows = self.conn.execute("SELECT * FROM repos WHERE type = ? ORDER BY namespace, name", (repo_type,))
        else:
            rows = self.conn.execute("SELECT * FROM repos ORDER BY type, namespace, name")
        return [_repo(r) for r in rows]

    def create(self, repo_type: str, namespace: str, name: str, *, private: bool, sdk: str | None,
               author: str) -> Repo:
        """Create a repo with the Hub's default ``.gitattributes`` as its initial commit on ``main``."""
        created = now_iso()
        content = DEFAULT_GITATTRIBUTES.encode()
        sha256 = self.blobs.put_bytes(content)
        with db.transaction(self.conn):
            if self.get(repo_type, namespace, name, follow_renames=False) is not None:  # inside the write lock
                raise HubError(409, "RepoExists", f"Repository {namespace}/{name} already exists (repo ids "
                               "ignore case).")
            self._drop_redirect(repo_type, namespace, name)  # a new repo takes over a renamed one's old id
            cursor = self.conn.execute(
                "INSERT INTO repos (type, namespace, name, private, gated, sdk, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (repo_type, namespace, name, int(private), None, sdk, created))
            repo = Repo(cursor.lastrowid, repo_type, namespace, name, private, None, sdk, created)
            files = {".gitattributes": Entry(sha256, len(content), git_blob_sha1(content), False)}
            if repo_type == "space":  # the Hub gives a new Space a README with its configuration
                readme = default_space_readme(name, sdk).encode()
                files["README.md"] = Entry(self.blobs.put_bytes(readme), len(readme), git_blob_sha1(readme), False)
            root = self.trees.build(files)
            sha = self._insert_commit(repo, None, root, "initial commit", "", author)
            self.conn.execute("INSERT INTO refs (repo, ref, sha) VALUES (?, ?, ?)", (repo.key, "refs/heads/main", sha))
        return repo

    def delete(self, repo: Repo) -> None:
        with db.transaction(self.conn):
            self.conn.execute("DELETE FROM repos WHERE id = ?", (repo.key,))

    def update_settings(self, repo: Repo, *, private: bool | None = None, gated: str | None | bool = None) -> None:
        with db.transaction(self.conn):
            if private is not None:
                self.conn.execute("UPDATE repos SET private = ? WHERE id = ?", (int(private), repo.key))
            if gated is not None:
                self.conn.execute("UPDATE repos SET gated = ? WHERE id = ?",
                                  (None if gated is False else str(gated), repo.key))

    def move(self, repo: Repo, namespace: str, name: str) -> None:
        """Rename; the old id keeps leading to the repo until a new repo takes that id."""
        with db.transaction(self.conn):
            self.conn.execute("UPDATE repos SET namespace = ?, name = ? WHERE id = ?", (namespace, name, repo.key))
            self._drop_redirect(repo.type, namespace, name)
            if (repo.namespace.lower(), repo.name.lower()) != (namespace.lower(), name.lower()):
                self.conn.execute("INSERT INTO repo_redirects (type, namespace, name, repo) VALUES (?, ?, ?, ?)",
                                  (repo.type, repo.namespace, repo.name, repo.key))

    def _drop_redirect(self, repo_type: str, namespace: str, name: str) -> None:
        self.conn.execute("DELETE FROM repo_redirects WHERE type = ? AND namespace = ? COLLATE NOCASE "
                          "AND name = ? COLLATE NOCASE", (repo_type, namespace, name))

    # ----- revisions -----
    def ref_sha(self, repo: Repo, ref: str) -> str | None:
        row = self.conn.execute("SELECT sha FROM refs WHERE repo = ? AND ref = ?", (repo.key, ref)).fetchone()
        return row["sha"] if row else None

    def full_ref(self, repo: Repo, revision: str) -> str | None:
        """The ref a revision names (``refs/heads/x``, ``refs/tags/x``, ``refs/pr/n``), or None."""
        if revision.startswith("refs/"):
            return revision if self.ref_sha(repo, revision) else None
        for ref in (f"refs/heads/{revision}", f"refs/tags/{revision}"):
            if self.ref_sha(repo, ref):
                return ref
        return None

    def resolve(self, repo: Repo, revision: str) -> str:
        """The commit sha a revision (branch, tag, PR ref, commit id or a unique prefix of one of at
        least 7 hex digits, as git and the Hub take) points at."""
        if SHA_RE.match(revision) and self.commit(repo, revision, missing_ok=True):
            return revision
        ref = self.full_ref(repo, revision)
        if ref is not None:
            return self.ref_sha(repo, ref)
        if SHORT_SHA_RE.match(revision):
            rows = self.conn.execute("SELECT sha FROM commits WHERE repo = ? AND sha >= ? AND sha < ? LIMIT 2",
                                     (repo.key, revision, revision + "g")).fetchall()
            if len(rows) == 1:
                return rows[0]["sha"]
        raise revision_not_found(repo.repo_id, revision)

    def commit(self, repo: Repo, sha: str, missing_ok: bool = False) -> Commit | None:
        row = self.conn.execute("SELECT sha, parent, title, message, author, date FROM commits "
                                "WHERE repo = ? AND sha = ?", (repo.key, sha)).fetchone()
        if row is None:
            if missing_ok:
                return None
            raise revision_not_found(repo.repo_id, sha)
        return Commit(**dict(row))

    def tree(self, repo: Repo, sha: str) -> Tree:
        """The tree of commit ``sha``, read on demand (see :class:`hubkit.hub.trees.TreeView`)."""
        row = self.conn.execute("SELECT root FROM commits WHERE repo = ? AND sha = ?", (repo.key, sha)).fetchone()
        if row is None:
            raise revision_not_found(repo.repo_id, sha)
        return self.trees.view(row["root"])

    def history(self, repo: Repo, sha: str, limit: int | None = None) -> list[Commit]:
        """Commits reachable from ``sha`` through first parents, newest first."""
        commits = []
        current: str | None = sha
        while current and (limit is None or len(commits) < limit):
            commit = self.commit(repo, current)
            commits.append(commit)
            current = commit.parent
        return commits

    def refs(self, repo: Repo) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT ref, sha FROM refs WHERE repo = ? ORDER BY ref", (repo.key,)).fetchall()

    def last_modified(self, repo: Repo) -> str:
        main = self.ref_sha(repo, "refs/heads/main")
        return self.commit(repo, main).date if main else repo.created_at

    def last_commits(self, repo: Repo, sha: str, paths: Iterable[str], max_depth: int = 500) -> dict[str, Commit]:
        """For each path (file or folder), the newest commit that changed it.

        A path changed in a commit when its item (a file's entry, a folder's node id) differs from
        the parent's, so each step compares one lookup per path, never whole trees.
        """
        wanted = set(paths)
        found: dict[str, Commit] = {}
        commits = self.history(repo, sha, limit=max_depth)
        for commit in commits:
            missing = wanted - found.keys()
            if not missing:
                break
            tree = self.tree(repo, commit.sha)
            parent = self.tree(repo, commit.parent) if commit.parent else None
            for path in missing:
                if parent is None or tree.item(path) != parent.item(path):
                    found[path] = commit
        return found

    # ----- changes -----
    def _insert_commit(self, repo: Repo, parent: str | None, root: str, title: str, message: str,
                       author: str) -> str:
        date = now_iso()
        seq = self.conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM commits WHERE repo = ?", (repo.key,)).fetchone()[0]
        identity = json.dumps({"repo": [repo.type, repo.key], "parent": parent, "tree": root,
                               "title": title, "message": message, "author": author, "date": date,
                               "nonce": uuid.uuid4().hex}, sort_keys=True)
        sha = hashlib.sha1(identity.encode()).hexdigest()
        # ``tree`` is written out: data dirs from before tree_nodes declare it NOT NULL with no default.
        self.conn.execute("INSERT INTO commits (repo, sha, parent, tree, root, title, message, author, date, seq) "
                          "VALUES (?, ?, ?, '', ?, ?, ?, ?, ?, ?)",
                          (repo.key, sha, parent, root, title, message, author, date, seq))
        return sha

    def apply_commit(self, repo: Repo, revision: str, operations: list[Operation], *, title: str,
                     message: str, author: str, parent_commit: str | None, create_pr: bool,
                     pr_description: str = "", check=None) -> tuple[str, int | None]:
        """Apply ``operations`` on top of ``revision`` in one transaction; returns (sha, pr number).

        ``check(tree)``, when given, sees the resulting tree before the commit lands and may raise a
        HubError to refuse it (a benchmark's ``eval.yaml`` is validated this way). The transaction
        is then rolled back, nodes written for the refused tree included.
        """
        with db.transaction(self.conn):
            ref = self.full_ref(repo, revision)
            if ref is None or ref.startswith("refs/tags/"):
                if SHA_RE.match(revision) and self.commit(repo, revision, missing_ok=True) and not create_pr:
                    raise bad_request("InvalidRevision", f"Cannot commit to {revision}: it is a commit id, not a "
                                      "branch or pull request; pass a branch name.")
                raise revision_not_found(repo.repo_id, revision)
            head = self.ref_sha(repo, ref)
            if parent_commit is not None and parent_commit != head:
                # The Hub's own wording, which clients and users match on, then what happened.
                raise HubError(412, "PreconditionFailed",
                               "The branch was updated since you opened this page. Please refresh and try again. "
                               f"({revision} moved from {parent_commit[:12]} to {head[:12]}.)")
            editor = TreeEditor(self.trees, self.tree(repo, head).root)
            for op in operations:
                _apply(repo, revision, head, editor, op)
            root = editor.finish()
            if check is not None:
                check(self.trees.view(root))
            sha = self._insert_commit(repo, head, root, title, message, author)
            pr_num = None
            if create_pr:
                pr_num = self._new_discussion(repo, title, pr_description, author, is_pr=True, base_ref=ref)
                self.conn.execute("INSERT INTO refs (repo, ref, sha) VALUES (?, ?, ?)",
                                  (repo.key, f"refs/pr/{pr_num}", sha))
            else:
                self.conn.execute("UPDATE refs SET sha = ? WHERE repo = ? AND ref = ?", (sha, repo.key, ref))
        return sha, pr_num

    def squash_branch(self, repo: Repo, branch: str, *, title: str, author: str) -> str:
        """Point ``branch`` (or a pull request's ``refs/pr/N``) at one new parentless commit holding
        its current tree."""
        ref = branch if branch.startswith("refs/pr/") else f"refs/heads/{branch}"
        with db.transaction(self.conn):
            head = self.ref_sha(repo, ref)
            if head is None:
                raise revision_not_found(repo.repo_id, branch)
            sha = self._insert_commit(repo, None, self.tree(repo, head).root, title, "", author)
            self.conn.execute("UPDATE refs SET sha = ? WHERE repo = ? AND ref = ?", (sha, repo.key, ref))
        return sha

    def lfs_files(self, repo: Repo) -> list[dict]:
        """The LFS objects the repo's refs name: one item per object, with a path naming it."""
        found: dict[str, dict] = {}
        for row in self.refs(repo):
            commit = self.commit(repo, row["sha"])
            for path, entry in self.tree(repo, row["sha"]).items():
                if entry.lfs and entry.sha256 not in found:
                    found[entry.sha256] = {"fileOid": entry.sha256, "oid": entry.sha256, "filename": path,
                                           "size": entry.size, "ref": row["ref"], "pushedAt": commit.date}
        return sorted(found.values(), key=lambda item: item["filename"])

    def delete_lfs_objects(self, repo: Repo, shas: set[str], *, author: str) -> None:
        """Remove every file whose content is one of ``shas`` from each branch head (one commit per
        branch that names one) and forget the repo's uploads of them."""
        for row in self.refs(repo):
            if not row["ref"].startswith("refs/heads/"):
                continue
            doomed = [DeleteFile(path) for path, entry in self.tree(repo, row["sha"]).items()
                      if entry.lfs and entry.sha256 in shas]
            if doomed:
                self.apply_commit(repo, row["ref"][len("refs/heads/"):], doomed, title="Permanently delete LFS files",
                                  message="", author=author, parent_commit=None, create_pr=False)
        with db.transaction(self.conn):
            self.conn.executemany("DELETE FROM lfs_objects WHERE repo = ? AND oid = ?",
                                  [(repo.key, sha) for sha in shas])

    def create_ref(self, repo: Repo, ref: str, starting_point: str | None) -> None:
        with db.transaction(self.conn):
            if self.ref_sha(repo, ref):
                raise HubError(409, "RefAlreadyExists", f"Reference {ref} already exists in {repo.repo_id}.")
            sha = self.resolve(repo, starting_point or "main")
            self.conn.execute("INSERT INTO refs (repo, ref, sha) VALUES (?, ?, ?)", (repo.key, ref, sha))

    def delete_ref(self, repo: Repo, ref: str) -> None:
        if ref == "refs/heads/main":
            raise bad_request("InvalidRevision", "Cannot delete refs/heads/main: the main branch cannot be deleted.")
        with db.transaction(self.conn):
            deleted = self.conn.execute("DELETE FROM refs WHERE repo = ? AND ref = ?", (repo.key, ref)).rowcount
        if not deleted:
            raise revision_not_found(repo.repo_id, ref.split("/", 2)[2])

    # ----- discussions and pull requests -----
    def _new_discussion(self, repo: Repo, title: str, description: str, author: str, *, is_pr: bool,
                        base_ref: str | None) -> int:
        num = self.conn.execute("SELECT COALESCE(MAX(num), 0) + 1 FROM discussions WHERE repo = ?",
                                (repo.key,)).fetchone()[0]
        self.conn.execute("INSERT INTO discussions (repo, num, title, description, author, is_pr, status, base_ref, "
                          "created_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)",
                          (repo.key, num, title, description, author, int(is_pr), base_ref, now_iso()))
        return num

    def create_discussion(self, repo: Repo, title: str, description: str, author: str, is_pr: bool) -> int:
        with db.transaction(self.conn):
            num = self._new_discussion(repo, title, description, author, is_pr=is_pr, base_ref="refs/heads/main")
            if is_pr:
                self.conn.execute("INSERT INTO refs (repo, ref, sha) VALUES (?, ?, ?)",
                                  (repo.key, f"refs/pr/{num}", self.ref_sha(repo, "refs/heads/main")))
        return num

    def discussion(self, repo: Repo, num: int) -> sqlite3.Row:
        row = self.conn.execute("SELECT * FROM discussions WHERE repo = ? AND num = ?", (repo.key, num)).fetchone()
        if row is None:
            raise HubError(404, "DiscussionNotFound", f"Discussion #{num} not found in {repo.repo_id}.")
        return row

    def discussions(self, repo: Repo) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM discussions WHERE repo = ? ORDER BY num DESC", (repo.key,)).fetchall()

    def merge_pull_request(self, repo: Repo, num: int, author: str) -> str:
        """Merge PR ``num`` into its base: the PR's changes since it branched are applied on the base head."""
        pr = self.discussion(repo, num)
        if not pr["is_pr"] or pr["status"] != "open":
            raise HubError(409, "PullRequestNotOpen", f"#{num} of {repo.repo_id} is not an open pull request.")
        pr_head = self.ref_sha(repo, f"refs/pr/{num}")
        pr_commits = self.history(repo, pr_head)
        base_shas = {c.sha for c in self.history(repo, self.ref_sha(repo, pr["base_ref"]))}
        fork_point = next((c.sha for c in pr_commits if c.sha in base_shas), None)
        before = self.tree(repo, fork_point) if fork_point else {}
        after = self.tree(repo, pr_head)
        operations: list[Operation] = [AddFile(p, e) for p, e in after.items() if before.get(p) != e]
        operations += [DeleteFile(p) for p in before if p not in after]
        sha, _ = self.apply_commit(repo, pr["base_ref"], operations, title=f"Merge pull request #{num}: {pr['title']}",
                                   message="", author=author, parent_commit=None, create_pr=False)
        return sha  # the caller marks the PR merged (hubkit.hub.discussions.record_merge)


def _apply(repo: Repo, revision: str, head: str, editor: TreeEditor, op: Operation) -> None:
    if isinstance(op, AddFile):
        editor.add(op.path, op.entry)
    elif isinstance(op, DeleteFile):
        # A deletion naming a folder without its trailing '/' deletes the folder, as on the Hub.
        if not editor.delete_file(op.path) and not editor.delete_folder(op.path):
            raise HubError(404, "EntryNotFound", f"A file with this name doesn't exist: {op.path!r} in "
                           f"{repo.repo_id} at {revision!r}.", headers={"X-Repo-Commit": head})
    elif not editor.delete_folder(op.path):
        raise entry_not_found(repo.repo_id, revision, op.path, head)


def default_space_readme(name: str, sdk: str | None) -> str:
    """The configuration card the Hub writes into a new Space (spaces-config-reference keys)."""
    return ("---\n"
            f"title: {name}\n"
            "emoji: 🚀\n"
            "colorFrom: blue\n"
            "colorTo: gray\n"
            f"sdk: {sdk or 'static'}\n"
            "pinned: false\n"
            "---\n\n"
            "Check out the configuration reference at https://huggingface.co/docs/hub/spaces-config-reference\n")


def _repo(row: sqlite3.Row) -> Repo:
    return Repo(row["id"], row["type"], row["namespace"], row["name"], bool(row["private"]), row["gated"],
                row["sdk"], row["created_at"])
