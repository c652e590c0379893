"""Model cards: what a train or eval output folder says about the model, as README, plots and results.

The text machinery they go through (rendering, merging, validation) is :mod:`hubkit.repocard`,
shared with dataset and metric cards.

- ``context`` / ``sections`` / ``plots`` / ``datastats``: what a model card says and shows.
- ``model_card``: ``hubkit card model OUT`` (README.md, plots/, .eval_results/).
- ``push``: upload a card (as a pull request when the caller does not own the repo).
"""

from hubkit.repocard.errors import CardError, CardValidationError

__all__ = ["CardError", "CardValidationError"]
