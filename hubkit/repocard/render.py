"""Card text from generated metadata and sections, merged into an existing card and validated.

This is the machinery every hubkit card goes through (model cards, dataset cards, and the metric
cards published as Spaces): huggingface_hub's ``ModelCardData``, ``DatasetCardData`` and
``SpaceCardData`` serialise the metadata (so ``model-index`` comes out in the Hub's canonical
form), :mod:`hubkit.repocard.metadata` keeps keys hubkit does not own,
:mod:`hubkit.repocard.markers` keeps hand-written prose, and :mod:`hubkit.repocard.validate`
checks the result offline before anyone uploads it.
"""

from __future__ import annotations

from typing import Any, Iterable

from hubkit.repocard import markers
from hubkit.repocard.metadata import merge_metadata
from hubkit.repocard.validate import front_matter, validate_card, validate_metadata


def split_card(text: str | None) -> tuple[dict[str, Any], str]:
    """(metadata, body) of a card; a card without a YAML block is all body."""
    if not text:
        return {}, ""
    data = front_matter(text)
    if not text.startswith("---"):
        return data, text
    lines = text.splitlines(keepends=True)
    end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    return data, "".join(lines[end + 1:]).lstrip("\n")


def render_card(repo_type: str, metadata: dict[str, Any], sections: Iterable[tuple[str, str]],
                existing: str | None = None, order: list[str] | None = None, retired: Iterable[str] = ()) -> str:
    """The full README text; raises :class:`~hubkit.repocard.errors.CardError` before returning anything invalid."""
    from huggingface_hub import DatasetCard, DatasetCardData, ModelCard, ModelCardData, SpaceCard, SpaceCardData

    old_metadata, old_body = split_card(existing)
    merged = merge_metadata(old_metadata, metadata)
    validate_metadata(merged, repo_type)
    body = markers.merge(old_body, list(sections), order=order, retired=retired)
    data_class, card_class = {"model": (ModelCardData, ModelCard), "dataset": (DatasetCardData, DatasetCard),
                              "space": (SpaceCardData, SpaceCard)}[repo_type]
    data = data_class(**merged)
    card = card_class(f"---\n{data.to_yaml(original_order=list(merged))}\n---\n\n{body}")
    text = str(card)
    validate_card(text, repo_type)
    return text if text.endswith("\n") else text + "\n"
