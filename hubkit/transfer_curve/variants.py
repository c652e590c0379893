"""The starting points a transfer curve compares: what the model knows before it sees the task.

- ``pretrained``: the checkpoint as published.
- ``random-init``: the same architecture, tokenizer and recipe, with fresh weights. It isolates
  what pre-training contributes: any gap to ``pretrained`` is transferred knowledge, because
  nothing else differs.
- ``domain-adapted``: the checkpoint after masked-LM training on an unlabelled in-domain corpus
  (``hubkit pretrain``), the second step of transfer learning (Gururangan et al. 2020).
"""

from __future__ import annotations

import dataclasses
from typing import Any

PRETRAINED = "pretrained"
RANDOM_INIT = "random-init"
DOMAIN_ADAPTED = "domain-adapted"

LABELS = {PRETRAINED: "pre-trained", RANDOM_INIT: "random initialisation",
          DOMAIN_ADAPTED: "domain-adapted (MLM on corpus)"}
COLORS = {PRETRAINED: "tab:blue", RANDOM_INIT: "tab:gray", DOMAIN_ADAPTED: "tab:green"}


@dataclasses.dataclass(frozen=True)
class Variant:
    """One line of the curve: a name, where its weights come from, and how to load them."""

    name: str
    model_path: str
    load_kwargs: dict[str, Any]
    fresh_weights: bool = False

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)


class FreshWeights:
    """A task adapter whose model has the checkpoint's architecture and head but untrained weights.

    Everything but ``load_model`` is the wrapped adapter's, so tokenization, batching, prediction
    and scoring are exactly those of the pre-trained run. The model is first built the adapter's
    way (which fixes the class, the label mapping and any task-specific config), then rebuilt from
    that config alone: the constructor draws every weight from the architecture's own initialiser
    (``initializer_range``), under the seed the training loop has just set.
    """

    def __init__(self, adapter):
        self._adapter = adapter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._adapter, name)

    def load_model(self, path: str, **load_kwargs: Any):
        shaped = self._adapter.load_model(path, **load_kwargs)
        fresh = type(shaped)._from_config(shaped.config)
        del shaped
        return fresh
