"""A built leaderboard folder as a static Space (``sdk: static``, ``index.html`` at the root).

A static Space is what huggingface.co renders as a page, so the leaderboard shows the same on
huggingface.co and on hubkit's hub, at ``/spaces/<ns>/<name>`` (an earlier hubkit pushed a dataset
repo that only hubkit's hub showed, at ``/leaderboards/...``, which now redirects to the Space).

The target is checked (a valid ``namespace/name`` the token may write to) *before* anything is
collected or evaluated, so a long build never ends in a refused push (a token the hub does not let
commit to an existing Space opens a pull request). The upload is one commit, merged into the card
of the commit it lands on; evaluation folders of models no longer on the board are deleted in the
same commit.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hubkit.leaderboard.errors import LeaderboardError

REPO_TYPE = "space"
SDK = "static"


def check_target(api: Any, repo_id: str) -> None:
    """Refuse, before the long build, a push target that can only fail: malformed, a token the hub
    refuses or that is read-only, or a Space that does not exist in a namespace the token cannot
    create in. Whether the token may commit to an existing Space is the hub's answer at push time
    (a pull request when it may not)."""
    from huggingface_hub.errors import HfHubHTTPError

    from hubkit.repocard.validate import REPO_ID

    if repo_id.count("/") != 1 or not REPO_ID.match(repo_id):
        raise LeaderboardError(f"--push-to needs a Space id like namespace/name, got {repo_id!r}")
    try:
        me = api.whoami()
        exists = api.repo_exists(repo_id, repo_type=REPO_TYPE)
    except HfHubHTTPError as error:
        raise LeaderboardError(f"cannot push to {repo_id}: the hub refused the token ({error.response.status_code}); "
                               "set HF_TOKEN") from None
    if ((me.get("auth") or {}).get("accessToken") or {}).get("role") == "read":
        raise LeaderboardError(f"cannot push to {repo_id}: your token is read-only")
    namespace = repo_id.split("/")[0]
    if not exists and namespace not in {me.get("name"), *(org.get("name") for org in me.get("orgs") or [])}:
        raise LeaderboardError(f"cannot push to {repo_id}: the Space does not exist and your token cannot create it "
                               f"in namespace {namespace!r}")


def existing_card(api: Any, repo_id: str) -> str | None:
    """The leaderboard Space's current README (so hand edits survive the rebuild), or None."""
    from hubkit.repocard.fetch import existing_readme

    return existing_readme(api, repo_id, repo_type=REPO_TYPE)


def push(folder: Path, repo_id: str, api: Any, message: str, readme: Callable[[str | None], str]) -> str:
    """Create the static Space if needed and upload the folder in one commit; returns the commit or PR URL.

    ``readme(existing card)`` renders the card again when the Space's card changed since the build
    read it, so the commit always merges into the card of the commit it lands on. Evaluation
    folders of models no longer on the board are deleted in the same commit. A token the hub does
    not let write to the Space opens a pull request instead.
    """
    from huggingface_hub import CommitOperationDelete

    from hubkit import safe_push
    from hubkit.evaluation.push import evaluation_records_expected

    safe_push.create_repo(api, repo_id, repo_type=REPO_TYPE, space_sdk=SDK)

    def change(head: safe_push.Head) -> safe_push.Change:
        (folder / "README.md").write_text(readme(head.read_text("README.md")), encoding="utf-8")
        operations = safe_push.folder_operations(folder)
        kept = {operation.path_in_repo for operation in operations}
        operations += [CommitOperationDelete(path) for path in head.files()
                       if path.startswith("evaluations/") and path not in kept]
        return safe_push.Change(operations, message)

    with evaluation_records_expected():  # the board's evaluations/*/predictions.parquet
        pushed = safe_push.commit(api, repo_id, change, repo_type=REPO_TYPE, create_pr=None)
    return pushed.pr_url or pushed.commit_url


def page_url(endpoint: str, repo_id: str) -> str:
    return f"{endpoint.rstrip('/')}/spaces/{repo_id}"


def files_url(endpoint: str, repo_id: str) -> str:
    return f"{endpoint.rstrip('/')}/spaces/{repo_id}/resolve/main"
