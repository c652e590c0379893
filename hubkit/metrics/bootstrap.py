"""Seeded, vectorised bootstrap: confidence intervals (percentile or BCa) and paired tests.

A *statistic* here is anything with ``n``, ``point()``, ``resampled(indices)`` and
``jackknife()``; each returns a dict of score arrays (leading axis: one entry per resample or per
left-out example). :class:`SumStatistic` covers every metric that is a function of a sum of
per-example rows (accuracy, F1, MCC, entity F1, SQuAD, perplexity, Pearson): a resample is then
a count vector, and ``counts @ rows`` scores a whole block of resamples in one matrix product.
That, not a Python loop per resample, is what makes 1,000 resamples of 10,000 examples cheap.

This file depends on numpy and the standard library only, because the ``paired_bootstrap``
metric module ships it (as a symlinked ``_bootstrap.py``) when it is pushed as a Space.
"""

from __future__ import annotations

import inspect
from statistics import NormalDist
from typing import Any, Callable, Iterator, Protocol, Sequence

import numpy as np

METHODS = ("percentile", "bca")
_BLOCK_CELLS = 2_000_000  # resample-by-example cells generated at once; bounds memory at ~16 MB


class Statistic(Protocol):
    n: int

    def point(self) -> dict[str, np.ndarray]: ...

    def resampled(self, indices: np.ndarray) -> dict[str, np.ndarray]: ...

    def jackknife(self) -> dict[str, np.ndarray]: ...


class SumStatistic:
    """A score that is a function of the column sums of a per-example table ``rows`` (n, d)."""

    def __init__(self, rows: np.ndarray, scores: Callable[[np.ndarray], dict[str, np.ndarray]]):
        self.rows = np.asarray(rows, dtype=float)
        self.scores = scores
        self.n = len(self.rows)

    def point(self) -> dict[str, np.ndarray]:
        return self.scores(self.rows.sum(0))

    def resampled(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        return self.scores(resample_counts(indices, self.n) @ self.rows)

    def jackknife(self) -> dict[str, np.ndarray]:
        return self.scores(self.rows.sum(0) - self.rows)


class IndexStatistic:
    """A score that must be recomputed from the resampled examples (e.g. a rank correlation).

    ``score_indices(indices)`` takes a (b, m) array of example indices and returns scores of
    leading size b; it should be vectorised over b where possible.
    """

    def __init__(self, n: int, score_indices: Callable[[np.ndarray], dict[str, np.ndarray]]):
        self.n = n
        self.score_indices = score_indices

    def point(self) -> dict[str, np.ndarray]:
        return {key: value[0] for key, value in self.score_indices(np.arange(self.n)[None, :]).items()}

    def resampled(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        return self.score_indices(indices)

    def jackknife(self) -> dict[str, np.ndarray]:
        keep = np.arange(1, self.n)
        parts = []
        step = max(1, _BLOCK_CELLS // max(self.n, 1))
        for start in range(0, self.n, step):
            left_out = np.arange(start, min(start + step, self.n))
            # row i holds every index except i: 0..n-1 with i skipped
            parts.append(self.score_indices(keep[None, :] - (keep[None, :] <= left_out[:, None])))
        return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


class PairedDifference:
    """System A's score minus system B's, on the same resampled examples."""

    def __init__(self, a: Statistic, b: Statistic):
        if a.n != b.n:
            raise ValueError(f"paired systems must be scored on the same examples: {a.n} vs {b.n}")
        self.a, self.b, self.n = a, b, a.n

    @staticmethod
    def _difference(x: dict, y: dict) -> dict[str, np.ndarray]:
        return {key: np.asarray(x[key], float) - np.asarray(y[key], float) for key in x if key in y}

    def point(self) -> dict[str, np.ndarray]:
        return self._difference(self.a.point(), self.b.point())

    def resampled(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        return self._difference(self.a.resampled(indices), self.b.resampled(indices))

    def jackknife(self) -> dict[str, np.ndarray]:
        return self._difference(self.a.jackknife(), self.b.jackknife())


def module_statistic(module: Any, inputs: dict[str, Sequence], config: dict[str, Any]
                     ) -> tuple[Statistic, dict[str, Any]]:
    """The statistic of an evaluate module on these inputs, and its fixed (non-score) outputs.

    Modules opt into fast bootstrapping by defining one of two methods (hubkit's metrics do):

    * ``decompose(**inputs, **config) -> (rows, scores, extras)``: ``rows`` is an (n, d) array
      of per-example sufficient statistics, ``scores(totals)`` maps summed rows (with any
      leading resample axes) to score arrays, ``extras`` holds fixed outputs such as labels.
    * ``resampler(**inputs, **config) -> (n, score_indices, extras)`` for scores that are not
      sums (rank correlations): ``score_indices`` scores a (b, m) array of example indices.

    Any other module still works: each resample calls its ``_compute`` on the resampled
    examples, which is correct but slow.
    """
    if hasattr(module, "decompose"):
        rows, scores, extras = module.decompose(**inputs, **_accepted(module.decompose, config))
        return SumStatistic(rows, scores), extras
    if hasattr(module, "resampler"):
        n, score_indices, extras = module.resampler(**inputs, **_accepted(module.resampler, config))
        return IndexStatistic(n, score_indices), extras
    n = len(next(iter(inputs.values())))

    def score_indices(indices: np.ndarray) -> dict[str, np.ndarray]:
        results = [module._compute(**{k: [v[i] for i in row] for k, v in inputs.items()}, **config)
                   for row in indices]
        numeric = [k for k, v in results[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
        return {k: np.array([r[k] for r in results], float) for k in numeric}

    return IndexStatistic(n, score_indices), {}


def _accepted(function: Callable, config: dict[str, Any]) -> dict[str, Any]:
    """The options ``function`` takes; the rest (e.g. ``return_pvalue``) only shape ``_compute``'s output."""
    parameters = inspect.signature(function).parameters
    return {key: value for key, value in config.items() if key in parameters}


def resample_counts(indices: np.ndarray, n: int) -> np.ndarray:
    """How often each of ``n`` examples occurs in each row of ``indices`` (b, m) -> (b, n)."""
    b = len(indices)
    flat = (indices + (np.arange(b) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=b * n).reshape(b, n).astype(float)


def resample_indices(n: int, n_resamples: int, seed: int | None) -> Iterator[np.ndarray]:
    """Blocks of bootstrap resamples (rows of n indices drawn with replacement), from one seed.

    The block size depends only on ``n``, so the same seed always gives the same resamples.
    """
    if n < 1:
        raise ValueError("cannot bootstrap zero examples")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK_CELLS // n)
    for start in range(0, n_resamples, block):
        yield rng.integers(0, n, size=(min(block, n_resamples - start), n))


def distribution(statistic: Statistic, n_resamples: int = 1000, seed: int | None = 0) -> dict[str, np.ndarray]:
    """Each score over ``n_resamples`` bootstrap resamples: arrays of shape (n_resamples, ...)."""
    parts = [statistic.resampled(indices) for indices in resample_indices(statistic.n, n_resamples, seed)]
    return {key: np.concatenate([np.asarray(part[key], float) for part in parts]) for key in parts[0]}


def percentile_interval(samples: np.ndarray, confidence_level: float) -> tuple[np.ndarray, np.ndarray]:
    """The central ``confidence_level`` range of the bootstrap samples (axis 0)."""
    alpha = (1 - confidence_level) / 2
    low, high = np.quantile(samples, [alpha, 1 - alpha], axis=0)
    return low, high


def bca_interval(samples: np.ndarray, estimate: np.ndarray, jackknife: np.ndarray,
                 confidence_level: float) -> tuple[np.ndarray, np.ndarray]:
    """Bias-corrected and accelerated interval (Efron 1987), elementwise over trailing axes.

    The bias correction uses the share of resamples below the estimate, counting ties as half
    (the convention of scipy.stats.bootstrap), which matters for discrete scores like accuracy.
    The acceleration comes from the jackknife (leave-one-out) scores.
    """
    normal = NormalDist()
    alpha = (1 - confidence_level) / 2
    samples = np.asarray(samples, float)
    flat_samples = samples.reshape(len(samples), -1)
    flat_estimate = np.asarray(estimate, float).reshape(-1)
    flat_jack = np.asarray(jackknife, float).reshape(len(jackknife), -1)
    lows, highs = [], []
    for j in range(flat_samples.shape[1]):
        column, theta = flat_samples[:, j], flat_estimate[j]
        if np.all(column == column[0]):
            lows.append(column[0])
            highs.append(column[0])
            continue
        below = (np.sum(column < theta) + np.sum(column <= theta)) / (2 * len(column))
        below = min(max(below, 0.5 / len(column)), 1 - 0.5 / len(column))  # keep z0 finite
        z0 = normal.inv_cdf(below)
        deviations = flat_jack[:, j].mean() - flat_jack[:, j]
        spread = np.sum(deviations ** 2)
        acceleration = np.sum(deviations ** 3) / (6 * spread ** 1.5) if spread > 0 else 0.0
        quantiles = []
        for tail in (alpha, 1 - alpha):
            z = z0 + normal.inv_cdf(tail)
            quantiles.append(normal.cdf(z0 + z / (1 - acceleration * z)))
        low, high = np.quantile(column, quantiles)
        lows.append(low)
        highs.append(high)
    shape = samples.shape[1:]
    return np.reshape(lows, shape), np.reshape(highs, shape)


def confidence_intervals(statistic: Statistic, n_resamples: int = 1000, seed: int | None = 0,
                         method: str = "percentile", confidence_level: float = 0.95
                         ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{score: (low, high)}`` for every score of ``statistic``."""
    _check_settings(method, confidence_level)
    return intervals_from(statistic, distribution(statistic, n_resamples, seed), method, confidence_level)


def _check_settings(method: str, confidence_level: float) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be between 0 and 1, got {confidence_level}")


def intervals_from(statistic: Statistic, samples: dict[str, np.ndarray], method: str,
                   confidence_level: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Intervals from already drawn bootstrap samples of ``statistic``."""
    if method == "percentile":
        return {key: percentile_interval(value, confidence_level) for key, value in samples.items()}
    estimate, jackknife = statistic.point(), statistic.jackknife()
    return {key: bca_interval(value, estimate[key], jackknife[key], confidence_level)
            for key, value in samples.items()}


def paired_test(a: Statistic, b: Statistic, n_resamples: int = 1000, seed: int | None = 0,
                method: str = "percentile", confidence_level: float = 0.95) -> dict[str, dict[str, np.ndarray]]:
    """Difference of each score (A - B), its interval, and a two-sided bootstrap p-value.

    The p-value tests "no difference" by centring the bootstrap differences on zero (shifting by
    the observed difference) and counting how often they are at least as far from zero as the
    observed difference: p = (1 + #{|d* - d| >= |d|}) / (1 + n_resamples). The +1s keep p away
    from an impossible 0 (Davison & Hinkley 1997, eq. 4.11).
    """
    _check_settings(method, confidence_level)
    paired = PairedDifference(a, b)
    observed = paired.point()
    samples = distribution(paired, n_resamples, seed)
    intervals = intervals_from(paired, samples, method, confidence_level)
    result = {}
    for key, value in samples.items():
        d = np.asarray(observed[key], float)
        extreme = np.sum(np.abs(value - d) >= np.abs(d) - 1e-12 * np.maximum(1.0, np.abs(d)), axis=0)
        result[key] = {"difference": d, "low": intervals[key][0], "high": intervals[key][1],
                       "p_value": (1 + extreme) / (1 + len(value))}
    return result
