"""Matthews correlation coefficient (MCC) for binary and multiclass labels."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import datasets
import evaluate
import numpy as np

from ._classification import encode_labels, per_example_counts, split_counts, to_python

_DESCRIPTION = """
The Matthews correlation coefficient is the correlation between predicted and reference labels,
computed from the confusion matrix; for k classes it is Gorodkin's R_k statistic:

    MCC = (c * n - sum_k p_k * t_k) / sqrt((n^2 - sum_k p_k^2) * (n^2 - sum_k t_k^2))

where c is the number of correct predictions, n the number of examples, and p_k, t_k the number of
times class k is predicted and is the reference. It lies in [-1, 1]; 0 is chance level. When the
denominator is 0 (only one class is predicted, or only one class is in the references) the value
is 0.0, as in scikit-learn.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `int` or `str`): predicted labels.
    references (`list` of `int` or `str`): reference labels, same length as `predictions`.
    labels (`list`, optional): the declared label set; values outside it raise `ValueError`.

Returns:
    matthews_correlation (`float`): in [-1, 1].

Examples:
    >>> mcc = evaluate.load("metrics/matthews_correlation")
    >>> mcc.compute(predictions=[1, 0, 1, 1], references=[1, 0, 0, 1])
    {'matthews_correlation': 0.5773502691896258}
"""

_CITATION = """
@article{matthews1975,
  title={Comparison of the predicted and observed secondary structure of T4 phage lysozyme},
  author={Matthews, Brian W.}, journal={Biochimica et Biophysica Acta}, volume={405}, number={2},
  pages={442--451}, year={1975}
}
@article{gorodkin2004,
  title={Comparing two K-category assignments by a K-category correlation coefficient},
  author={Gorodkin, Jan}, journal={Computational Biology and Chemistry}, volume={28}, pages={367--374}, year={2004}
}
"""

# Floats first: an int feature would truncate a stray 0.7 to 0 before the label check could see it.
LABEL_FEATURES = [
    datasets.Features({"predictions": datasets.Value("float64"), "references": datasets.Value("float64")}),
    datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
]


def mcc_from_counts(true: np.ndarray, pred: np.ndarray, hit: np.ndarray, n: np.ndarray) -> np.ndarray:
    """MCC from per-class counts; leading axes are resamples."""
    covariance = hit.sum(-1) * n - (pred * true).sum(-1)
    variance_pred = n * n - (pred * pred).sum(-1)
    variance_true = n * n - (true * true).sum(-1)
    denominator = np.sqrt(variance_pred * variance_true)
    out = np.zeros(np.shape(covariance))
    np.divide(covariance, denominator, out=out, where=denominator != 0)
    return out


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class MatthewsCorrelation(evaluate.Metric):
    """MCC from per-class counts, decomposed per example so that it can be bootstrapped."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation=_CITATION, inputs_description=_KWARGS_DESCRIPTION,
            features=LABEL_FEATURES,
            reference_urls=["https://en.wikipedia.org/wiki/Phi_coefficient"])

    def decompose(self, predictions: Sequence, references: Sequence,
                  labels: Sequence | None = None) -> tuple[np.ndarray, Callable, dict[str, Any]]:
        """Per-example statistics, the function from their sum to the score, and fixed extras."""
        pred_ids, ref_ids, classes = encode_labels(predictions, references, labels)
        rows = per_example_counts(pred_ids, ref_ids, len(classes))

        def scores(totals: np.ndarray) -> dict[str, np.ndarray]:
            return {"matthews_correlation": mcc_from_counts(*split_counts(totals, len(classes)))}

        return rows, scores, {}

    def _compute(self, predictions, references, labels=None):
        rows, scores, extras = self.decompose(predictions, references, labels)
        return {**{key: to_python(value) for key, value in scores(rows.sum(0)).items()}, **extras}
