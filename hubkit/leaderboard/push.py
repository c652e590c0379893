"""A built leaderboard folder as a static Space (``sdk: static``, ``index.html`` at the root).

A static Space is what huggingface.co renders as a page, so the leaderboard shows the same on
huggingface.co and on hubkit's hub, at ``/spaces/<ns>/<name>`` (an earlier hubkit pushed a dataset
repo that only hubkit's hub showed, at ``/leaderboards/...``, which now redirects to the Space).

The target is checked (a valid ``namespace/name`` the token may write to) *before* anything is
collected or evaluated, so a long build never ends in a refused push. The upload is one commit;
evaluation folders of models no longer on the board are deleted in the same commit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hubkit.leaderboard.errors import LeaderboardError

REPO_TYPE = "space"
SDK = "static"


def check_target(api: Any, repo_id: str) -> None:
    """Refuse a push target that is malformed or not the caller's, with the reason."""
    from huggingface_hub.errors import HfHubHTTPError

    from hubkit.cards.push import owns
    from hubkit.repocard.validate import REPO_ID

    if repo_id.count("/") != 1 or not REPO_ID.match(repo_id):
        raise LeaderboardError(f"--push-to needs a Space id like namespace/name, got {repo_id!r}")
    try:
        mine = owns(api, repo_id)
    except HfHubHTTPError as error:
        raise LeaderboardError(f"cannot push to {repo_id}: the hub refused the token ({error.response.status_code}); "
                               "set HF_TOKEN") from None
    if not mine:
        raise LeaderboardError(f"cannot push to {repo_id}: your token cannot write to namespace "
                               f"{repo_id.split('/')[0]!r}")


def existing_card(api: Any, repo_id: str) -> str | None:
    """The leaderboard Space's current README (so hand edits survive the rebuild), or None."""
    from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    try:
        path = api.hf_hub_download(repo_id, "README.md", repo_type=REPO_TYPE)
    except (EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError):
        return None
    return Path(path).read_text(encoding="utf-8")


def push(folder: Path, repo_id: str, api: Any, message: str) -> str:
    """Create the static Space if needed and upload the folder in one commit; returns the commit URL."""
    api.create_repo(repo_id, repo_type=REPO_TYPE, space_sdk=SDK, exist_ok=True)
    commit = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type=REPO_TYPE,
                               commit_message=message, delete_patterns=["evaluations/**"])
    return commit.commit_url


def page_url(endpoint: str, repo_id: str) -> str:
    return f"{endpoint.rstrip('/')}/spaces/{repo_id}"


def files_url(endpoint: str, repo_id: str) -> str:
    return f"{endpoint.rstrip('/')}/spaces/{repo_id}/resolve/main"
