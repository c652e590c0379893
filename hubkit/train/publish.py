"""Push a training output folder (model, tokenizer, training arguments, results, card) as one commit.

The card is hubkit's full model card (:mod:`hubkit.cards.model_card`), merged into the card the
repo already has and validated offline *before* the repo is created or anything is uploaded, so
an invalid card never reaches the hub and a re-push keeps the repo's hand edits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hubkit import safe_push

IGNORED = ["checkpoints/*", "checkpoints/**", "seed-*/**", "*.lock", "__pycache__/**"]


def write_card(output_dir: Path, repo_id: str | None = None, existing: str | None = None) -> Path:
    """Write ``OUT/README.md`` (with plots and ``.eval_results``) for a finished training run."""
    from hubkit.cards.model_card import write_model_card

    write_model_card(output_dir, repo_id, existing=existing)
    return output_dir / "README.md"


def push_output(output_dir: Path, repo_id: str, private: bool = False) -> safe_push.Pushed:
    """Create the repo if needed and upload the folder in one commit; returns the commit (URLs of it and the repo).

    The card is merged into the card of the commit the upload lands on (:mod:`hubkit.safe_push`
    retries when another push got there first), and rewritten locally to match what was pushed.
    """
    from hubkit import safe_push
    from hubkit.hub_client import connect
    from hubkit.repocard.fetch import existing_readme

    api = connect().api()
    results = json.loads((output_dir / "results.json").read_text())
    written_from = existing_readme(api, repo_id)
    write_card(output_dir, repo_id, existing=written_from)
    safe_push.create_repo(api, repo_id, private=private)

    def change(head: safe_push.Head) -> safe_push.Change:
        nonlocal written_from
        card = head.read_text("README.md")
        if card != written_from:
            write_card(output_dir, repo_id, existing=card)
            written_from = card
        return safe_push.Change(safe_push.folder_operations(output_dir, IGNORED),
                                f"hubkit train {results['dataset']['name']}")

    return safe_push.commit(api, repo_id, change)
