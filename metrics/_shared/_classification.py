"""Shared arithmetic of the classification metrics (accuracy, f1, precision, recall, matthews_correlation).

Every classification score here is a function of three per-class counts -- how often a class is
the reference (``true``), how often it is predicted (``pred``) and how often both
(``hit``) -- plus the number of examples. Each example adds a one-hot row to those counts, so
the per-example table returned by :func:`per_example_counts` is a *sufficient statistic*: a
bootstrap resample is a weighted sum of its rows, and every score below is computed for a whole
stack of resamples at once.

This file is numpy-only on purpose: it is uploaded next to each metric when the metric is
pushed as a Space, and evaluate copies it beside the metric script when loading by path.
The canonical copy lives in ``metrics/_shared/``; metric folders hold symlinks to it.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

AVERAGES = ("binary", "micro", "macro", "weighted", None)


def check_same_length(predictions: Sequence, references: Sequence) -> None:
    """Reject empty or unequal-length inputs: both would otherwise give a number that means nothing."""
    if len(predictions) != len(references):
        raise ValueError(
            f"predictions and references differ in length: {len(predictions)} predictions, "
            f"{len(references)} references")
    if len(predictions) == 0:
        raise ValueError("predictions and references are empty; a score over no examples is undefined")


def _as_label_array(values: Sequence, what: str) -> np.ndarray:
    """Labels as a 1-d array of ints or strings; floats that are not whole numbers are refused.

    evaluate's int feature would silently truncate 0.7 to 0, so a float label is checked here.
    """
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{what} must be a flat list of labels, got an array of shape {array.shape}")
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            bad = array[~np.isfinite(array) | (array != np.round(array))][0]
            raise ValueError(f"{what} contain {bad!r}, which is not a class label (labels are ints or strings)")
        array = array.astype(np.int64)
    elif array.dtype.kind == "b":
        array = array.astype(np.int64)
    elif array.dtype.kind not in "iuUS":
        raise ValueError(f"{what} must be ints or strings, got values of type {array.dtype}")
    return array


def encode_labels(predictions: Sequence, references: Sequence,
                  labels: Sequence | None = None) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """Map labels to 0..k-1 and return ``(predicted_ids, reference_ids, label_list)``.

    Without ``labels`` the classes are the sorted union of what appears in either input (the
    convention of scikit-learn). With ``labels`` the declared set is the class list, in that
    order, and any value outside it is an error rather than being silently ignored.
    """
    check_same_length(predictions, references)
    preds = _as_label_array(predictions, "predictions")
    refs = _as_label_array(references, "references")
    if (preds.dtype.kind in "US") != (refs.dtype.kind in "US"):
        raise ValueError("predictions and references mix string and integer labels; use one kind")
    if labels is None:
        classes = np.unique(np.concatenate([preds, refs]))
    else:
        classes = _as_label_array(list(labels), "labels")
        if len(classes) == 0:
            raise ValueError("labels is empty; declare at least one class")
        if len(np.unique(classes)) != len(classes):
            raise ValueError(f"labels lists a class twice: {list(labels)}")
        for what, values in (("predictions", preds), ("references", refs)):
            outside = np.setdiff1d(values, classes)
            if len(outside):
                raise ValueError(f"{what} contain labels outside the declared set {classes.tolist()}: "
                                 f"{outside[:5].tolist()}")
    order = np.argsort(classes, kind="stable")
    sorted_classes = classes[order]
    pred_ids = order[np.searchsorted(sorted_classes, preds)]
    ref_ids = order[np.searchsorted(sorted_classes, refs)]
    return pred_ids, ref_ids, classes.tolist()


def per_example_counts(pred_ids: np.ndarray, ref_ids: np.ndarray, n_classes: int) -> np.ndarray:
    """One row per example: one-hot ``true`` | one-hot ``pred`` | one-hot ``hit`` | 1.

    Summing rows gives the per-class counts from which every score in this file is computed.
    """
    n = len(pred_ids)
    rows = np.zeros((n, 3 * n_classes + 1))
    index = np.arange(n)
    rows[index, ref_ids] = 1.0
    rows[index, n_classes + pred_ids] = 1.0
    hit = pred_ids == ref_ids
    rows[index[hit], 2 * n_classes + ref_ids[hit]] = 1.0
    rows[:, -1] = 1.0
    return rows


def split_counts(totals: np.ndarray, n_classes: int):
    """``(true, pred, hit, n)`` from summed rows; leading axes (resamples) are kept."""
    k = n_classes
    return totals[..., :k], totals[..., k:2 * k], totals[..., 2 * k:3 * k], totals[..., 3 * k]


def divide(numerator: np.ndarray, denominator: np.ndarray, zero_division: float) -> np.ndarray:
    """``numerator / denominator`` with ``zero_division`` where the denominator is 0."""
    numerator, denominator = np.broadcast_arrays(np.asarray(numerator, float), np.asarray(denominator, float))
    out = np.full(numerator.shape, float(zero_division))
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def resolve_average(average: str | None, labels: list[Any], pos_label: Any) -> int | None:
    """Check ``average``; for ``"binary"`` return the index of the positive class (None if absent)."""
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {list(AVERAGES)}, got {average!r}")
    if average != "binary":
        return None
    if len(labels) > 2:
        raise ValueError(f"average='binary' needs at most 2 classes, found {len(labels)}: {labels[:10]}; "
                         "choose average='micro', 'macro', 'weighted' or None")
    if pos_label in labels:
        return labels.index(pos_label)
    if len(labels) == 2:
        raise ValueError(f"pos_label={pos_label!r} is not one of the classes {labels}")
    return None  # one class only, and it is the negative one: no positives anywhere


def precision_recall_f1(totals: np.ndarray, n_classes: int, average: str | None, positive: int | None,
                        zero_division: float) -> dict[str, np.ndarray]:
    """Precision, recall and F1 (and support) from summed rows, for the chosen averaging.

    F1 is ``2 hit / (true + pred)``, which equals the harmonic mean of precision and recall when
    both are defined and stays defined when only one is.
    """
    true, pred, hit, _ = split_counts(totals, n_classes)
    if average == "binary":
        if positive is None:
            zero = np.zeros(true.shape[:-1])
            return {"precision": zero + zero_division, "recall": zero + zero_division,
                    "f1": zero + zero_division}
        true, pred, hit = true[..., positive], pred[..., positive], hit[..., positive]
    elif average == "micro":
        true, pred, hit = true.sum(-1), pred.sum(-1), hit.sum(-1)
    precision = divide(hit, pred, zero_division)
    recall = divide(hit, true, zero_division)
    f1 = divide(2 * hit, true + pred, zero_division)
    if average == "macro":
        precision, recall, f1 = precision.mean(-1), recall.mean(-1), f1.mean(-1)
    elif average == "weighted":
        weight_sum = true.sum(-1)
        precision, recall, f1 = (divide((score * true).sum(-1), weight_sum, zero_division)
                                 for score in (precision, recall, f1))
    return {"precision": precision, "recall": recall, "f1": f1}


def check_zero_division(zero_division: Any) -> float:
    if zero_division not in (0, 1, 0.0, 1.0) or isinstance(zero_division, bool):
        raise ValueError(f"zero_division must be 0 or 1, got {zero_division!r}")
    return float(zero_division)


def to_python(value: np.ndarray) -> Any:
    """A 0-d array as a float, a 1-d array as a list of floats (for JSON-friendly results)."""
    array = np.asarray(value, dtype=float)
    return float(array) if array.ndim == 0 else array.tolist()
