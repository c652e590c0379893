"""Stratified, seeded, nested training subsets: the x axis of a learning curve.

Each subset keeps the training split's label proportions, so a point on the curve measures how
much the model learns from more examples, not from a luckier class balance. For one seed the
subsets are *nested* (the 128 examples contain the 32), as in learning-curve studies: the
difference between two sizes is then the added data alone, which makes the curve smoother than
independent draws would.

Class counts are apportioned one example at a time by the Sainte-Laguë rule (give the next
example to the class with the largest ``share / (count + 0.5)``). It stays within one example of
exact proportionality, and unlike rounding each class's quota it is *house-monotone*: growing the
subset never takes an example away from a class (no Alabama paradox), which is what nesting needs.

A subset too small to give a run its minimum number of optimizer steps within the recipe's
epochs is cycled through several times per epoch (:func:`repeats_for`, :func:`cycled`): more
passes over the same rows, never more rows.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import numpy as np

from hubkit.train.errors import TrainingError
from hubkit.recipes import Recipe


def apportion(class_sizes: Sequence[int], n: int) -> list[int]:
    """How many of ``n`` examples each class gets, proportionally to ``class_sizes`` (Sainte-Laguë).

    A class never gets more examples than it has; ties go to the lower class index, so the answer
    is a pure function of the inputs.
    """
    sizes = np.asarray(class_sizes, dtype=float)
    if n > sizes.sum():
        raise TrainingError(f"cannot draw {n} examples from a split of {int(sizes.sum())}")
    counts = np.zeros(len(sizes), dtype=int)
    for _ in range(n):
        priority = np.where(counts < sizes, sizes / (counts + 0.5), -1.0)
        counts[int(np.argmax(priority))] += 1
    return counts.tolist()


def class_orders(labels: Sequence[int], n_classes: int, seed: int) -> list[np.ndarray]:
    """Per class, the row indices of that class in a seeded random order (the draw of one seed)."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    return [rng.permutation(np.flatnonzero(labels == label)) for label in range(n_classes)]


def stratified_subsets(labels: Sequence[int], n_classes: int, sizes: Sequence[int], seed: int) -> dict[int, list[int]]:
    """For each size, the sorted row indices of a stratified subset; nested across sizes for one seed."""
    orders = class_orders(labels, n_classes, seed)
    class_sizes = [len(order) for order in orders]
    subsets = {}
    for size in sizes:
        counts = apportion(class_sizes, size)
        rows = np.concatenate([order[:count] for order, count in zip(orders, counts)])
        subsets[size] = sorted(int(i) for i in rows)
    return subsets


def digest(rows: Sequence[int]) -> str:
    """A short fingerprint of a subset, so two runs can be checked to have trained on the same rows."""
    return hashlib.sha256(",".join(map(str, rows)).encode()).hexdigest()[:16]


def repeats_for(size: int, recipe: Recipe, min_steps: int) -> int:
    """How many times a subset of ``size`` is cycled per epoch so that training takes ``min_steps``."""
    per_epoch = math.ceil(size / recipe.batch_size)
    if per_epoch * recipe.epochs >= min_steps:
        return 1
    return math.ceil(min_steps * recipe.batch_size / (recipe.epochs * size))


def optimizer_steps(size: int, recipe: Recipe, min_steps: int) -> int:
    """The optimizer steps of one run (the Trainer's count: whole batches per epoch, times epochs)."""
    return math.ceil(math.ceil(size * repeats_for(size, recipe, min_steps) / recipe.batch_size) * recipe.epochs)


def cycled(subset, repeats: int):
    """The subset ``repeats`` times over (the Trainer shuffles the whole, so copies mix across batches)."""
    if repeats == 1:
        return subset
    from datasets import concatenate_datasets

    return concatenate_datasets([subset] * repeats)
