"""Model cards (and the card machinery dataset and metric cards can share).

- ``validate``: offline checks of card metadata and ``.eval_results`` entries, naming the key.
- ``metadata`` / ``markers``: regeneration that keeps YAML keys and prose hubkit does not own.
- ``render``: metadata + sections + existing card -> validated README text.
- ``context`` / ``sections`` / ``plots`` / ``datastats``: what a model card says and shows.
- ``model_card``: ``hubkit card model OUT`` (README.md, plots/, .eval_results/).
- ``push``: upload a card (as a pull request when the caller does not own the repo).
"""

from hubkit.cards.errors import CardError, CardValidationError

__all__ = ["CardError", "CardValidationError"]
