"""Where the held-out end of a corpus begins, found without holding the corpus in memory.

Validation is the *last* documents, as Tiny Shakespeare's and WikiText's own splits are
contiguous: neighbouring paragraphs share names and phrases, so a random split would leak them
into training and flatter the perplexity.

For a corpus in Arrow on disk (local files) the cut is by characters: the last documents holding
the fraction of the characters, at least one document and never all. Two passes over the text
column's lengths, batch by batch (Arrow computes them; no document becomes a Python string),
find it: one for the total, one for the first document past ``total - target``. Both read the
file with ordinary reads, not through the dataset's memory map (:mod:`hubkit.train.arrow_files`).
For a Hub repo whose rows are only counted, the cut is by rows.
"""

from __future__ import annotations

import math
from typing import Any

from hubkit.train.errors import TrainingError


def _lengths(dataset: Any):
    """The character count of each document, one Arrow array per batch of rows (read from the files
    with ordinary reads: see :mod:`hubkit.train.arrow_files`)."""
    import pyarrow.compute as pc

    from hubkit.train.arrow_files import record_batches

    for batch in record_batches(dataset, ["text"]):
        yield pc.utf8_length(batch.column(0))


def cut_by_characters(dataset: Any, fraction: float, where: str) -> int:
    """The index of the first validation document: the last documents hold ``fraction`` of the
    characters (at least one document, never all)."""
    import pyarrow.compute as pc

    _check_fraction(fraction)
    n = len(dataset)
    _check_two(n, where)
    total = sum(int(pc.sum(lengths).as_py() or 0) for lengths in _lengths(dataset))
    # Validation starts at the first document c >= 1 whose end lies past total - target: the
    # documents from c on then hold at least the target, and from c + 1 on they do not.
    bound = total - fraction * total
    seen, start = 0, 0
    for lengths in _lengths(dataset):
        ends = pc.add(pc.cumulative_sum(lengths), seen)
        past = pc.greater(ends, bound)
        first = pc.index(past, True).as_py()
        if first != -1:
            return min(max(start + first, 1), n - 1)
        seen = int(ends[len(ends) - 1].as_py()) if len(ends) else seen
        start += len(lengths)
    return n - 1


def cut_by_rows(n: int, fraction: float, where: str) -> int:
    """The index of the first validation row: the last ``ceil(fraction * n)`` rows, at least one, never all."""
    _check_fraction(fraction)
    _check_two(n, where)
    return min(max(n - math.ceil(fraction * n), 1), n - 1)


def _check_fraction(fraction: float) -> None:
    if not 0.0 < fraction < 1.0:
        raise TrainingError(f"the validation fraction must be between 0 and 1, got {fraction}")


def _check_two(n: int, where: str) -> None:
    if n < 2:
        raise TrainingError(f"corpus {where} holds a single document; a held-out validation part needs at least "
                            "two (separate paragraphs by blank lines, or put one document per line)")
