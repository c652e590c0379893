"""The card a repo already has, which every regenerated card is merged into.

Model, dataset and Space cards all merge into the README on the hub (so hand edits and other
configs' entries survive a re-push); this is the one place that fetches it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def existing_readme(api: Any, repo_id: str, revision: str | None = None, repo_type: str = "model") -> str | None:
    """The repo's README.md text, or None when the repo or the file does not exist."""
    from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    try:
        path = api.hf_hub_download(repo_id, "README.md", revision=revision, repo_type=repo_type)
    except (EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError):
        return None
    return Path(path).read_text(encoding="utf-8")
