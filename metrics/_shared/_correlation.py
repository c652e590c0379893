"""Pearson correlation from sums of centred moments, and average ranks, vectorised over resamples.

The canonical copy lives in ``metrics/_shared/``; metric folders hold symlinks to it.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def as_scores(values: Sequence, what: str) -> np.ndarray:
    """A 1-d float array of finite numbers, or a clear error."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be numbers") from None
    if array.ndim != 1:
        raise ValueError(f"{what} must be a flat list of numbers, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} contain NaN or infinite values")
    return array


def check_pairs(x: np.ndarray, y: np.ndarray) -> None:
    if len(x) != len(y):
        raise ValueError(f"predictions and references differ in length: {len(x)} vs {len(y)}")
    if len(x) < 2:
        raise ValueError(f"a correlation needs at least 2 pairs, got {len(x)}")
    for what, values in (("predictions", x), ("references", y)):
        if np.all(values == values[0]):
            raise ValueError(f"{what} are constant, so the correlation is undefined")


def moment_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-pair rows [1, x, y, x^2, y^2, xy] after centring on the means.

    Centring first keeps the sum-of-moments formula as accurate as the two-pass one.
    """
    x = x - x.mean()
    y = y - y.mean()
    return np.stack([np.ones_like(x), x, y, x * x, y * y, x * y], axis=1)


def pearson_from_moments(totals: np.ndarray) -> np.ndarray:
    """Pearson r from summed moment rows; NaN where a resample has no spread."""
    n, sx, sy, sxx, syy, sxy = (totals[..., i] for i in range(6))
    covariance = sxy - sx * sy / n
    spread = np.sqrt(np.maximum(sxx - sx * sx / n, 0) * np.maximum(syy - sy * sy / n, 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.clip(covariance / spread, -1.0, 1.0)


def average_ranks(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """1-based ranks with ties averaged, per row of ``codes`` (dense value ranks 0..n_codes-1).

    The rank of a value is 1 + (number smaller) + (number equal - 1) / 2, counted per row.
    """
    codes = np.atleast_2d(codes)
    rows, width = codes.shape
    flat = (codes + (np.arange(rows) * n_codes)[:, None]).ravel()
    counts = np.bincount(flat, minlength=rows * n_codes).reshape(rows, n_codes)
    smaller = np.cumsum(counts, axis=1) - counts
    row_index = np.repeat(np.arange(rows), width).reshape(rows, width)
    return 1.0 + smaller[row_index, codes] + (counts[row_index, codes] - 1) / 2.0


def pearson_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r of each row pair of (b, m) arrays, two-pass; NaN where a row has no spread."""
    x = x - x.mean(axis=1, keepdims=True)
    y = y - y.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (x * y).sum(1) / np.sqrt((x * x).sum(1) * (y * y).sum(1))
    return np.clip(r, -1.0, 1.0)
