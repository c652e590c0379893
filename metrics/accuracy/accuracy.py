"""Accuracy: the fraction of examples whose predicted label equals the reference label."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import datasets
import evaluate
import numpy as np

from ._classification import encode_labels, to_python

_DESCRIPTION = """
Accuracy is the proportion of correct predictions among all predictions:
(number of examples where prediction == reference) / (number of examples).
Labels may be ints or strings. With `labels=` the label set is declared and any other value is an error.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `int` or `str`): predicted labels.
    references (`list` of `int` or `str`): reference labels, same length as `predictions`.
    normalize (`bool`, default `True`): if `False`, return the number of correct predictions instead.
    labels (`list`, optional): the declared label set; values outside it raise `ValueError`.

Returns:
    accuracy (`float`): in [0, 1] (or a count in [0, n] with `normalize=False`).

Examples:
    >>> accuracy = evaluate.load("metrics/accuracy")
    >>> accuracy.compute(predictions=[0, 1, 1, 0], references=[0, 1, 0, 0])
    {'accuracy': 0.75}
"""

_CITATION = """
@article{scikit-learn,
  title={Scikit-learn: Machine Learning in {P}ython},
  author={Pedregosa, F. and Varoquaux, G. and Gramfort, A. and others},
  journal={Journal of Machine Learning Research}, volume={12}, pages={2825--2830}, year={2011}
}
"""

# Floats first: an int feature would truncate a stray 0.7 to 0 before the label check could see it.
LABEL_FEATURES = [
    datasets.Features({"predictions": datasets.Value("float64"), "references": datasets.Value("float64")}),
    datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
]


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Accuracy(evaluate.Metric):
    """Accuracy, computed from per-example hit counts so that it can be bootstrapped."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation=_CITATION, inputs_description=_KWARGS_DESCRIPTION,
            features=LABEL_FEATURES,
            reference_urls=["https://scikit-learn.org/stable/modules/generated/sklearn.metrics.accuracy_score.html"])

    def decompose(self, predictions: Sequence, references: Sequence, normalize: bool = True,
                  labels: Sequence | None = None) -> tuple[np.ndarray, Callable, dict[str, Any]]:
        """Per-example statistics, the function from their sum to the score, and fixed extras."""
        pred_ids, ref_ids, classes = encode_labels(predictions, references, labels)
        del classes  # only needed for validating the labels
        rows = np.stack([pred_ids == ref_ids, np.ones(len(pred_ids), bool)], axis=1).astype(float)

        def scores(totals: np.ndarray) -> dict[str, np.ndarray]:
            correct, n = totals[..., 0], totals[..., 1]
            return {"accuracy": correct / n if normalize else correct}

        return rows, scores, {}

    def _compute(self, predictions, references, normalize=True, labels=None):
        rows, scores, extras = self.decompose(predictions, references, normalize, labels)
        return {**{key: to_python(value) for key, value in scores(rows.sum(0)).items()}, **extras}
