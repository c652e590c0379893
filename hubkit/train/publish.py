"""Push a training output folder (model, tokenizer, training arguments, results, card) as one commit.

The card is hubkit's full model card (:mod:`hubkit.cards.model_card`), merged into the card the
repo already has and validated offline *before* the repo is created or anything is uploaded, so
an invalid card never reaches the hub and a re-push keeps the repo's hand edits.
"""

from __future__ import annotations

import json
from pathlib import Path

IGNORED = ["checkpoints/*", "checkpoints/**", "seed-*/**", "*.lock", "__pycache__/**"]


def write_card(output_dir: Path, repo_id: str | None = None, existing: str | None = None) -> Path:
    """Write ``OUT/README.md`` (with plots and ``.eval_results``) for a finished training run."""
    from hubkit.cards.model_card import write_model_card

    write_model_card(output_dir, repo_id, existing=existing)
    return output_dir / "README.md"


def push_output(output_dir: Path, repo_id: str, private: bool = False) -> str:
    """Create the repo if needed and upload the folder in one commit; returns the commit URL."""
    from hubkit.hub_client import connect
    from hubkit.repocard.fetch import existing_readme

    api = connect().api()
    results = json.loads((output_dir / "results.json").read_text())
    write_card(output_dir, repo_id, existing=existing_readme(api, repo_id))
    api.create_repo(repo_id, exist_ok=True, private=private)
    commit = api.upload_folder(folder_path=output_dir, repo_id=repo_id, ignore_patterns=IGNORED,
                               commit_message=f"hubkit train {results['dataset']['name']}")
    return commit.commit_url
