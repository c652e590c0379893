"""The card machinery every hubkit card goes through: dataset cards, metric Spaces, model cards.

It knows card text and the Hub's rules for card metadata, and nothing of datasets, metrics, runs
or models, so it sits below all of them (``docs/architecture.md``).

- ``errors``: ``CardError`` and ``CardValidationError`` (the latter names the offending YAML key).
- ``validate`` / ``vocabulary``: offline checks of card metadata and ``.eval_results`` entries.
- ``metadata`` / ``markers``: regeneration that keeps YAML keys and prose hubkit does not own.
- ``render``: metadata + sections + existing card -> validated README text.
- ``fetch``: the README a repo already has, to merge into.
"""

from hubkit.repocard.errors import CardError, CardValidationError

__all__ = ["CardError", "CardValidationError"]
