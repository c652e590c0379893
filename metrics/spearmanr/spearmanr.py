"""Spearman rank correlation between predictions and references, with an optional p-value."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import datasets
import evaluate
import numpy as np

from ._correlation import as_scores, average_ranks, check_pairs, pearson_rows
from ._stats import correlation_p_value

_DESCRIPTION = """
Spearman's rho is the Pearson correlation of the ranks of predictions and references (tied values
get the average of their ranks), so it measures any monotonic relationship; in [-1, 1]. The
optional p-value is two-sided for the null hypothesis of no correlation, from the t distribution
on n - 2 degrees of freedom, as scipy.stats.spearmanr computes it. Constant inputs make rho
undefined and raise an error.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `float`): predicted scores.
    references (`list` of `float`): reference scores, same length (at least 2).
    return_pvalue (`bool`, default `False`): also return `p-value`.

Returns:
    spearmanr (`float`): in [-1, 1].
    p-value (`float`, with `return_pvalue=True`): in [0, 1]; 1.0 when there are only 2 pairs.

Examples:
    >>> spearmanr = evaluate.load("metrics/spearmanr")
    >>> spearmanr.compute(predictions=[10, 9, 2.5, 6, 4], references=[1, 2, 3, 4, 5])
    {'spearmanr': -0.7}
"""

_CITATION = """
@article{spearman1904,
  title={The proof and measurement of association between two things},
  author={Spearman, Charles}, journal={American Journal of Psychology}, volume={15}, pages={72--101}, year={1904}
}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Spearmanr(evaluate.Metric):
    """Spearman's rho; ranks are recomputed inside each bootstrap resample, vectorised."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation=_CITATION, inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("float64"),
                                        "references": datasets.Value("float64")}),
            reference_urls=["https://en.wikipedia.org/wiki/Spearman%27s_rank_correlation_coefficient"])

    def resampler(self, predictions: Sequence, references: Sequence
                  ) -> tuple[int, Callable[[np.ndarray], dict[str, np.ndarray]], dict[str, Any]]:
        """``(n, score_indices, extras)``: rho of any stack of resampled example indices.

        Ranks are not additive, so a resample is scored from its own ranks: values are replaced
        by dense codes once, and each row of indices is ranked with counting, not sorting.
        """
        x, y = as_scores(predictions, "predictions"), as_scores(references, "references")
        check_pairs(x, y)
        x_values, x_codes = np.unique(x, return_inverse=True)
        y_values, y_codes = np.unique(y, return_inverse=True)

        def score_indices(indices: np.ndarray) -> dict[str, np.ndarray]:
            ranks_x = average_ranks(x_codes[indices], len(x_values))
            ranks_y = average_ranks(y_codes[indices], len(y_values))
            return {"spearmanr": pearson_rows(ranks_x, ranks_y)}

        return len(x), score_indices, {}

    def _compute(self, predictions, references, return_pvalue=False):
        n, score_indices, _ = self.resampler(predictions, references)
        rho = float(score_indices(np.arange(n)[None, :])["spearmanr"][0])
        if return_pvalue:
            return {"spearmanr": rho, "p-value": correlation_p_value(rho, n)}
        return {"spearmanr": rho}
