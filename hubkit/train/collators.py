"""Collator helpers shared by the task families whose features carry post-processing columns."""

from __future__ import annotations


class KeepKeys:
    """Passes only the model's inputs (and labels) on to a transformers collator.

    Token classification keeps word ids and question answering keeps example ids and offsets next
    to the model inputs, to map predictions back to words and spans; they are not tensors a
    collator can pad, and the model's ``forward`` does not take them.
    """

    def __init__(self, collator, keys: tuple[str, ...]):
        self.collator, self.keys = collator, frozenset(keys)

    def __call__(self, features: list[dict]) -> dict:
        return self.collator([{k: v for k, v in f.items() if k in self.keys} for f in features])
