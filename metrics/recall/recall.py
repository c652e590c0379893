"""Recall: of the examples of a class, the fraction that were predicted as that class."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import datasets
import evaluate
import numpy as np

from ._classification import (check_zero_division, encode_labels, per_example_counts, precision_recall_f1,
                              resolve_average, to_python)

_DESCRIPTION = """
Recall = TP / (TP + FN): of the examples of a class, the fraction predicted as that class.
Uses scikit-learn's conventions for averaging over classes (`binary`, `micro`, `macro`, `weighted`, or `None` for one
score per class).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `int` or `str`): predicted labels.
    references (`list` of `int` or `str`): reference labels, same length as `predictions`.
    average (`str` or `None`, default `"binary"`): `"binary"` scores the class `pos_label` only;
        `"micro"` pools the counts of all classes; `"macro"` is the unweighted mean of per-class
        scores; `"weighted"` weights them by support; `None` returns one score per class.
    labels (`list`, optional): the declared label set, in output order; other values raise `ValueError`.
        Without it the classes are the sorted union of predictions and references.
    pos_label (`int` or `str`, default `1`): the positive class when `average="binary"`.
    zero_division (`0` or `1`, default `0`): the value used where a score divides by zero
        (a class absent from the references).

Returns:
    recall (`float`, or `list` of `float` with `average=None`): in [0, 1].
    labels (`list`, only with `average=None`): the class of each entry of `recall`.

Examples:
    >>> recall = evaluate.load("metrics/recall")
    >>> recall.compute(predictions=[0, 1, 1, 0], references=[0, 1, 0, 1])
    {'recall': 0.5}
    >>> recall.compute(predictions=["a", "b", "c"], references=["a", "c", "c"], average=None)
    {'recall': [1.0, 0.0, 0.5], 'labels': ['a', 'b', 'c']}
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

SCORE = "recall"


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Recall(evaluate.Metric):
    """Recall from per-class counts, decomposed per example so that it can be bootstrapped."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation=_CITATION, inputs_description=_KWARGS_DESCRIPTION,
            features=LABEL_FEATURES,
            reference_urls=["https://scikit-learn.org/stable/modules/generated/sklearn.metrics.recall_score.html"])

    def decompose(self, predictions: Sequence, references: Sequence, average: str | None = "binary",
                  labels: Sequence | None = None, pos_label: Any = 1,
                  zero_division: float = 0) -> tuple[np.ndarray, Callable, dict[str, Any]]:
        """Per-example statistics, the function from their sum to the score, and fixed extras."""
        zero_division = check_zero_division(zero_division)
        pred_ids, ref_ids, classes = encode_labels(predictions, references, labels)
        positive = resolve_average(average, classes, pos_label)
        rows = per_example_counts(pred_ids, ref_ids, len(classes))

        def scores(totals: np.ndarray) -> dict[str, np.ndarray]:
            return {SCORE: precision_recall_f1(totals, len(classes), average, positive, zero_division)[SCORE]}

        return rows, scores, ({"labels": classes} if average is None else {})

    def _compute(self, predictions, references, average="binary", labels=None, pos_label=1, zero_division=0):
        rows, scores, extras = self.decompose(predictions, references, average, labels, pos_label, zero_division)
        return {**{key: to_python(value) for key, value in scores(rows.sum(0)).items()}, **extras}
