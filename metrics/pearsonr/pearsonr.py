"""Pearson correlation coefficient between predictions and references, with an optional p-value."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import datasets
import evaluate
import numpy as np

from ._correlation import as_scores, check_pairs, moment_rows, pearson_from_moments
from ._stats import correlation_p_value

_DESCRIPTION = """
Pearson's r measures the linear relationship between predictions and references:
cov(x, y) / (sd(x) sd(y)), in [-1, 1]. The optional p-value is two-sided, for the null hypothesis
of no correlation, assuming normally distributed data (the t test on n - 2 degrees of freedom,
as scipy.stats.pearsonr computes it). Constant inputs make r undefined and raise an error.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `float`): predicted scores.
    references (`list` of `float`): reference scores, same length (at least 2).
    return_pvalue (`bool`, default `False`): also return `p-value`.

Returns:
    pearsonr (`float`): in [-1, 1].
    p-value (`float`, with `return_pvalue=True`): in [0, 1]; 1.0 when there are only 2 pairs.

Examples:
    >>> pearsonr = evaluate.load("metrics/pearsonr")
    >>> pearsonr.compute(predictions=[1, 2, 3, 4], references=[1, 3, 2, 4])
    {'pearsonr': 0.8}
"""

_CITATION = """
@article{pearson1895,
  title={Note on regression and inheritance in the case of two parents},
  author={Pearson, Karl}, journal={Proceedings of the Royal Society of London}, volume={58},
  pages={240--242}, year={1895}
}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Pearsonr(evaluate.Metric):
    """Pearson r from sums of centred moments, so that it can be bootstrapped."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation=_CITATION, inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("float64"),
                                        "references": datasets.Value("float64")}),
            reference_urls=["https://en.wikipedia.org/wiki/Pearson_correlation_coefficient"])

    def decompose(self, predictions: Sequence, references: Sequence
                  ) -> tuple[np.ndarray, Callable, dict[str, Any]]:
        """Per-pair moment rows and the function from their sum to r."""
        x, y = as_scores(predictions, "predictions"), as_scores(references, "references")
        check_pairs(x, y)
        return moment_rows(x, y), lambda totals: {"pearsonr": pearson_from_moments(totals)}, {}

    def _compute(self, predictions, references, return_pvalue=False):
        rows, scores, _ = self.decompose(predictions, references)
        r = float(scores(rows.sum(0))["pearsonr"])
        if return_pvalue:
            return {"pearsonr": r, "p-value": correlation_p_value(r, len(rows))}
        return {"pearsonr": r}
