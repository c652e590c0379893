"""Upload a card and its files to a model repo in one commit, or as a pull request.

The card is built and validated before anything touches the hub, merged into the card the repo
already has (so its hand edits and other results survive). A caller who does not own the repo's
namespace opens a pull request instead of failing, the way the Hub's community results work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hubkit.repocard.errors import CardError
from hubkit.repocard.fetch import existing_readme


def owns(api: Any, repo_id: str) -> bool:
    """True when the token's user (or one of its orgs) owns the repo's namespace."""
    namespace = repo_id.split("/")[0]
    me = api.whoami()
    return namespace == me.get("name") or namespace in {org.get("name") for org in me.get("orgs") or []}


def upload(api: Any, repo_id: str, files: dict[str, bytes], message: str, create_pr: bool | None = None,
           description: str = "") -> str:
    """Commit ``files`` (path -> bytes) to ``repo_id``; a PR when asked or when the caller does not own it."""
    from huggingface_hub import CommitOperationAdd

    if not api.repo_exists(repo_id):
        if not owns(api, repo_id):
            raise CardError(f"model repo {repo_id} does not exist and you cannot create it in that namespace")
        api.create_repo(repo_id, exist_ok=True)
    if create_pr is None:
        create_pr = not owns(api, repo_id)
    operations = [CommitOperationAdd(path_in_repo=path, path_or_fileobj=content) for path, content in files.items()]
    head = api.model_info(repo_id).sha
    commit = api.create_commit(repo_id, operations, commit_message=message, commit_description=description,
                               create_pr=create_pr)
    if create_pr and commit.pr_url:
        return commit.pr_url
    if commit.oid == head:  # huggingface_hub skips a commit that changes nothing
        return f"nothing to change: {repo_id} already has exactly these files"
    return commit.commit_url


def push_model_card(folder: Path, repo_id: str, api: Any, data_dir: str | None = None,
                    create_pr: bool | None = None) -> str:
    """``hubkit card model OUT --push-to REPO``: merge into the repo's card, write it locally, upload it."""
    from hubkit.cards.model_card import write_model_card

    build = write_model_card(folder, repo_id, existing=existing_readme(api, repo_id), data_dir=data_dir)
    return upload(api, repo_id, build.all_files(), f"Update model card with hubkit ({build.context.kind})",
                  create_pr=create_pr)
