"""Upload a card and its files to a model repo in one commit, or as a pull request.

The card is built and validated before anything touches the hub, merged into the card the repo
already has (so its hand edits and other results survive). The merge is a read-modify-write: it
goes through :func:`hubkit.safe_push.commit`, so a card is always merged into the card of the
commit it lands on, and two concurrent pushes (two ``hubkit eval --push`` runs on one model) both
keep their results. A caller the hub does not let write to the repo opens a pull request instead
of failing, the way the Hub's community results work; the hub decides that, not the namespace.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hubkit import safe_push
from hubkit.repocard.fetch import existing_readme

FilesFromCard = Callable[[str | None], dict[str, bytes]]


def upload(api: Any, repo_id: str, files_for: FilesFromCard, message: str, create_pr: bool | None = None,
           description: str = "") -> str:
    """Commit the files ``files_for(existing card)`` returns (path -> bytes) to ``repo_id``.

    ``files_for`` runs once before the repo is created (so an invalid card stops the push early)
    and again whenever the card on the hub changed under the push. ``create_pr``: None commits
    directly when the hub allows it and opens a pull request when it answers 403. Returns the
    commit or pull request URL, or a line saying that nothing changed.
    """
    from huggingface_hub import CommitOperationAdd

    first_card = existing_readme(api, repo_id)
    built = {first_card: files_for(first_card)}
    safe_push.create_repo(api, repo_id)

    def change(head: safe_push.Head) -> safe_push.Change:
        card = head.read_text("README.md")
        if card not in built:
            built[card] = files_for(card)
        return safe_push.Change([CommitOperationAdd(path_in_repo=path, path_or_fileobj=content)
                                 for path, content in built[card].items()], message, description)

    return safe_push.commit(api, repo_id, change, create_pr=create_pr).summary()


def push_model_card(folder: Path, repo_id: str, api: Any, data_dir: str | None = None,
                    create_pr: bool | None = None) -> str:
    """``hubkit card model OUT --push-to REPO``: merge into the repo's card, write it locally, upload it."""
    from hubkit.cards.model_card import write_model_card

    existing = existing_readme(api, repo_id)
    build = write_model_card(folder, repo_id, existing=existing, data_dir=data_dir)

    def files_for(card: str | None) -> dict[str, bytes]:
        if card == existing:
            return build.all_files()
        return write_model_card(folder, repo_id, existing=card, data_dir=data_dir).all_files()

    return upload(api, repo_id, files_for, f"Update model card with hubkit ({build.context.kind})",
                  create_pr=create_pr)
