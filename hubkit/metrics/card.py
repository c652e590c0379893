"""The README of a metric's Space: its metric card, through the card machinery of model cards.

``metrics/<name>/README.md`` is the metric card a person writes (YAML: title, tags evaluate and
metric or comparison, description; prose: inputs, outputs, examples, limitations, citation).
Publishing puts it through :func:`hubkit.repocard.render.render_card` like every other hubkit card:
the metadata is checked offline against the Spaces configuration (``sdk``, colours, ...) before
anything is uploaded; the prose sits in a hubkit-marked section beside a "load it from the Hub"
section with the Space's own id; and re-publishing merges into the README the Space already has,
so notes someone added on the Space and YAML keys hubkit does not own survive.
"""

from __future__ import annotations

from pathlib import Path

from hubkit.repocard.errors import CardValidationError
from hubkit.repocard.render import render_card, split_card

REQUIRED_KEYS = ("title", "description")
# evaluate's own convention: tagged evaluate, and metric (or comparison, or measurement) by kind.
KIND_TAGS = ("metric", "comparison", "measurement")
# What evaluate.load needs of the Space, whatever the metric card says.
SPACE_METADATA = {"sdk": "gradio", "app_file": "app.py"}
SECTION_ORDER = ["metric-card", "load-from-hub"]


def check_metric_card(card: Path) -> tuple[dict, str]:
    """(metadata, prose) of a metric card; raises naming the file and the key that is missing."""
    try:
        metadata, body = split_card(card.read_text(encoding="utf-8"))
    except CardValidationError as error:
        raise CardValidationError(f"{card}: {error.key}", error.problem) from None
    for key in REQUIRED_KEYS:
        if not isinstance(metadata.get(key), str) or not metadata[key].strip():
            raise CardValidationError(f"{card}: {key}", "a metric card needs it (a non-empty string)")
    tags = metadata.get("tags") or []
    if "evaluate" not in tags or not any(kind in tags for kind in KIND_TAGS):
        raise CardValidationError(f"{card}: tags", f"a metric card is tagged evaluate and one of "
                                  f"{', '.join(KIND_TAGS)}; it has {tags}")
    if not body.strip():
        raise CardValidationError(f"{card}: (prose)", "the metric card has no text below its YAML block")
    return metadata, body


def load_from_hub_section(repo_id: str) -> str:
    return (f"## Load it from the Hub\n\n```python\nimport evaluate\n\nmetric = evaluate.load(\"{repo_id}\")\n```\n\n"
            "Against hubkit's hub or any other Hub-compatible server, set `HF_ENDPOINT` (and "
            "`HF_HUB_DISABLE_XET=1`) before importing evaluate.")


def space_readme(card: Path, repo_id: str, existing: str | None = None) -> str:
    """The Space's README.md text for the metric card ``card`` published as ``repo_id``."""
    metadata, body = check_metric_card(card)
    sections = [("metric-card", body), ("load-from-hub", load_from_hub_section(repo_id))]
    return render_card("space", {**metadata, **SPACE_METADATA}, sections, existing=existing, order=SECTION_ORDER)
