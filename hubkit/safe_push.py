"""Read-modify-write commits to a hub repo that survive concurrent writers.

Every hubkit push that builds a file from what the repo already holds (a model card merged into
the existing one, a model-index extended with one more result, a dataset card, a metric Space's
README, a leaderboard Space) goes through :func:`commit`. It reads the branch head, builds the
change from the repo *at that commit*, and commits with ``parent_commit`` set to it. When someone
else committed in between, the hub answers 412, and the change is rebuilt from the new head and
committed again (a few times, with a small jittered backoff so two racing writers fall out of
step). Without this, two ``hubkit eval --push`` runs on one model each merge their result into the
same old card, and the later commit silently drops the earlier result.

Whether the caller may commit directly is decided by the hub, not guessed from the namespace: org
membership does not mean write access (a read-role member, a read-only token). With
``create_pr=None`` the direct commit is tried first and a 403 turns it into a pull request.

:func:`create_repo` says whether *this call* created the repo, so a failed push deletes only a repo
it made itself, never one another client created in the meantime.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

MAX_ATTEMPTS = 6
BACKOFF_S = 0.2


class PushError(OSError):
    """A push the hub keeps refusing (403) or that keeps losing the race (412); names the repo.

    An ``OSError``: the CLI commands already report those as one line, like a failed download.
    """


@dataclasses.dataclass(frozen=True)
class Head:
    """A repo branch read at one commit: what a change is built from, and the parent it commits onto."""

    api: Any
    repo_id: str
    repo_type: str
    sha: str | None

    def files(self) -> list[str]:
        """Every file path in the repo at this commit."""
        if self.sha is None:
            return []
        return self.api.list_repo_files(self.repo_id, repo_type=self.repo_type, revision=self.sha)

    def read_text(self, path: str) -> str | None:
        """The file's text at this commit, or None when it does not exist there."""
        from huggingface_hub.errors import EntryNotFoundError

        if self.sha is None:
            return None
        try:
            local = self.api.hf_hub_download(self.repo_id, path, repo_type=self.repo_type, revision=self.sha)
        except EntryNotFoundError:
            return None
        return Path(local).read_text(encoding="utf-8")


@dataclasses.dataclass(frozen=True)
class Change:
    """What one commit does: its operations (``CommitOperationAdd``/``Delete``) and its message."""

    operations: list[Any]
    message: str
    description: str = ""


@dataclasses.dataclass(frozen=True)
class Pushed:
    """The outcome of :func:`commit`: the new commit, or the pull request that carries it."""

    repo_id: str
    commit: str
    commit_url: str
    pr_url: str | None
    changed: bool
    repo_url: str = ""  # the repo's page (its branch's, off main): where the user goes next

    def summary(self) -> str:
        """One line for the user: the PR to review, the commit, or that nothing changed."""
        if self.pr_url:
            return self.pr_url
        if not self.changed:
            return f"nothing to change: {self.repo_id} already has exactly these files"
        return self.commit_url


def repo_url(endpoint: str, repo_id: str, repo_type: str = "model", revision: str = "main") -> str:
    """The web page of ``repo_id`` on the hub at ``endpoint`` (of ``revision`` when not main)."""
    prefix = {"model": "", "dataset": "datasets/", "space": "spaces/"}[repo_type]
    url = f"{endpoint.rstrip('/')}/{prefix}{repo_id}"
    return url if revision in ("main", None) else f"{url}/tree/{revision}"


class _DropEmptyCommitWarning(logging.Filter):
    """Drops huggingface_hub's "Skipping to prevent empty commit" warning.

    :func:`commit` reports an unchanged push itself (``Pushed.changed``), and callers say so in
    one line naming the commit the repo is already at; the library's warning, printed before the
    caller's own output, reads as if something went wrong.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("No files have been modified since last commit")


@contextlib.contextmanager
def _quiet_empty_commit():
    drop = _DropEmptyCommitWarning()
    loggers = [logging.getLogger(name) for name in ("huggingface_hub.hf_api", "huggingface_hub._upload_pipeline")]
    for logger in loggers:
        logger.addFilter(drop)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(drop)


def read_head(api: Any, repo_id: str, repo_type: str = "model", revision: str = "main") -> Head:
    """The branch's current commit; a change built from it may only land on top of it."""
    info = api.repo_info(repo_id, repo_type=repo_type, revision=revision)
    return Head(api, repo_id, repo_type, info.sha)


def commit(api: Any, repo_id: str, build: Callable[[Head], Change], *, repo_type: str = "model",
           revision: str = "main", create_pr: bool | None = False, attempts: int = MAX_ATTEMPTS) -> Pushed:
    """Build a change from the branch head with ``build(head)`` and commit it onto exactly that head.

    A 412 (someone committed since the read) re-reads and rebuilds, up to ``attempts`` times.
    ``create_pr``: True opens a pull request, False commits directly, None tries the direct
    commit and opens a pull request when the hub answers 403 (the token may not write there).
    Raises :class:`PushError` naming the repo when the hub keeps refusing or keeps moving.
    """
    from huggingface_hub.errors import HfHubHTTPError

    as_pr = bool(create_pr)
    conflicts = 0
    while True:
        head = read_head(api, repo_id, repo_type, revision)
        change = build(head)
        try:
            with _quiet_empty_commit():
                info = api.create_commit(repo_id, change.operations, repo_type=repo_type, revision=revision,
                                         parent_commit=head.sha, create_pr=as_pr, commit_message=change.message,
                                         commit_description=change.description)
        except HfHubHTTPError as error:
            status = error.response.status_code
            if status == 412:
                conflicts += 1
                if conflicts >= attempts:
                    raise PushError(f"{repo_id}: gave up after {attempts} attempts: other commits kept landing on "
                                    f"{revision} while this push was being built; try again") from None
                time.sleep(BACKOFF_S * conflicts * (0.5 + random.random()))
                continue
            if status == 403 and create_pr is None and not as_pr:
                as_pr = True  # the hub, not the namespace, says whether this token may write: propose it instead
                continue
            if status in (401, 403):
                what = "open a pull request on" if as_pr else "write to"
                raise PushError(f"{repo_id}: the hub does not let this token {what} the {repo_type} repo "
                                f"({status}); use a write token of its owner"
                                + ("" if as_pr else " or push as a pull request")) from None
            raise
        return Pushed(repo_id, info.oid, info.commit_url, info.pr_url if as_pr else None,
                      changed=info.oid != head.sha, repo_url=repo_url(api.endpoint, repo_id, repo_type, revision))


def create_repo(api: Any, repo_id: str, *, repo_type: str = "model", **options: Any) -> bool:
    """Create the repo unless it exists; True only when this very call created it.

    Creating with ``exist_ok=False`` asks the hub atomically, so a repo another client created a
    moment ago answers 409 and is reported as not ours (a caller must never delete it). A 403 on
    a repo that exists means someone else's repo, which a pull request may still reach.
    """
    from huggingface_hub.errors import HfHubHTTPError

    try:
        api.create_repo(repo_id, repo_type=repo_type, exist_ok=False, **options)
    except HfHubHTTPError as error:
        status = error.response.status_code
        if status == 409:
            return False
        if status in (401, 403):
            if api.repo_exists(repo_id, repo_type=repo_type):
                return False
            raise PushError(f"{repo_id}: the {repo_type} repo does not exist and this token cannot create it in "
                            f"namespace {repo_id.split('/')[0]!r} ({status})") from None
        raise
    return True


def folder_operations(folder: Path, ignore_patterns: list[str] | None = None) -> list[Any]:
    """One ``CommitOperationAdd`` per file under ``folder``, as ``upload_folder`` would send them.

    Built fresh for every attempt: an operation object remembers that it was uploaded.
    """
    from huggingface_hub import CommitOperationAdd
    from huggingface_hub.utils import DEFAULT_IGNORE_PATTERNS, filter_repo_objects

    folder = Path(folder).resolve()
    files = {path.relative_to(folder).as_posix(): path for path in sorted(folder.glob("**/*")) if path.is_file()}
    kept = filter_repo_objects(files, ignore_patterns=[*(ignore_patterns or []), *DEFAULT_IGNORE_PATTERNS])
    return [CommitOperationAdd(path_in_repo=relative, path_or_fileobj=files[relative]) for relative in kept]

