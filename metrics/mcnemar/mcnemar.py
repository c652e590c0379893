"""McNemar's test: do two classifiers err on the same examples at different rates?"""

from __future__ import annotations

from typing import Sequence

import datasets
import evaluate
import numpy as np

from ._stats import binomial_two_sided_half, chi2_one_df_survival

_DESCRIPTION = """
McNemar's test compares two systems on the same examples using only the examples where exactly
one of them is right: b = system 1 right and system 2 wrong, c = the reverse. Under the null
hypothesis (equal error rates) b and c are equally likely.
- default: statistic = (b - c)^2 / (b + c), p-value from the chi-squared distribution with 1 df;
- correction=True: Edwards' continuity correction, (|b - c| - 1)^2 / (b + c);
- exact=True: the exact binomial test of b successes in b + c fair trials (advised when b + c < 25).
With no discordant examples (b + c = 0) there is no evidence of a difference: statistic 0.0, p-value 1.0.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions1 (`list` of `int` or `str`): labels predicted by system 1.
    predictions2 (`list` of `int` or `str`): labels predicted by system 2.
    references (`list` of `int` or `str`): reference labels; all three lists have the same length.
    exact (`bool`, default `False`): use the exact binomial test.
    correction (`bool`, default `False`): apply the continuity correction (chi-squared test only).

Returns:
    statistic (`float`): the chi-squared statistic (>= 0), or b for the exact test.
    p_value (`float`): in [0, 1].
    only_1_correct, only_2_correct (`int`): b and c.

Examples:
    >>> mcnemar = evaluate.load("metrics/mcnemar")
    >>> mcnemar.compute(predictions1=[1, 1, 1, 0], predictions2=[0, 0, 1, 0], references=[1, 1, 1, 1])
    {'statistic': 2.0, 'p_value': 0.15729920705028513, 'only_1_correct': 2, 'only_2_correct': 0}
"""

_CITATION = """
@article{mcnemar1947,
  title={Note on the sampling error of the difference between correlated proportions or percentages},
  author={McNemar, Quinn}, journal={Psychometrika}, volume={12}, number={2}, pages={153--157}, year={1947}
}
"""


def _features(kind: str) -> datasets.Features:
    return datasets.Features({name: datasets.Value(kind) for name in ("predictions1", "predictions2", "references")})


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Mcnemar(evaluate.Comparison):
    """McNemar's test from the two discordant counts."""

    def _info(self) -> evaluate.ComparisonInfo:
        return evaluate.ComparisonInfo(
            module_type="comparison", description=_DESCRIPTION, citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=[_features("float64"), _features("string")],  # floats first: no silent int truncation
            reference_urls=["https://en.wikipedia.org/wiki/McNemar%27s_test"])

    def _compute(self, predictions1: Sequence, predictions2: Sequence, references: Sequence,
                 exact: bool = False, correction: bool = False) -> dict:
        lengths = {len(predictions1), len(predictions2), len(references)}
        if len(lengths) != 1:
            raise ValueError(f"predictions1, predictions2 and references differ in length: "
                             f"{len(predictions1)}, {len(predictions2)}, {len(references)}")
        if not len(references):
            raise ValueError("inputs are empty; the test needs at least one example")
        right1 = np.asarray(predictions1) == np.asarray(references)
        right2 = np.asarray(predictions2) == np.asarray(references)
        b, c = int(np.sum(right1 & ~right2)), int(np.sum(~right1 & right2))
        if b + c == 0:
            statistic, p_value = 0.0, 1.0
        elif exact:
            statistic, p_value = float(b), binomial_two_sided_half(b, b + c)
        else:
            difference = max(abs(b - c) - 1, 0) if correction else abs(b - c)
            statistic = difference ** 2 / (b + c)
            p_value = chi2_one_df_survival(statistic)
        return {"statistic": statistic, "p_value": p_value, "only_1_correct": b, "only_2_correct": c}
