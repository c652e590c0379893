"""Paired bootstrap: the difference of any metric between two systems on the same examples."""

from __future__ import annotations

from typing import Any, Sequence

import datasets
import evaluate

from ._bootstrap import METHODS, module_statistic, paired_test

_DESCRIPTION = """
Resamples the examples with replacement (the same resample for both systems, which is what makes
the test paired) and recomputes a metric for each system, giving the bootstrap distribution of
the difference "system 1 minus system 2". Reports, for every score of the metric:
- difference: the observed difference;
- low, high: its confidence interval (percentile or BCa);
- p_value: two-sided, for "no difference": the share of centred bootstrap differences at least as
  far from 0 as the observed one, (1 + count) / (1 + n_resamples).
Seeded, hence reproducible. Metrics that define `decompose` (all of hubkit's) are resampled with
matrix products; any other evaluate metric works through its own compute, more slowly.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions1, predictions2: the two systems' predictions, in the format of `metric`.
    references: the references, in the format of `metric`; all three have the same length.
    metric (`str` or evaluate module): the metric to compare on: a path (`"metrics/f1"`), a Hub id
        (`"ns/f1"`), or an already loaded module. Default `"metrics/accuracy"`.
    metric_config (`dict`, optional): options for the metric, e.g. `{"average": "macro"}`.
    n_resamples (`int`, default 1000), seed (`int`, default 0), method (`"percentile"` or `"bca"`),
    confidence_level (`float`, default 0.95).

Inputs pass through evaluate's storage, so they must be numbers, strings or lists of strings
(sequence labels); use `hubkit.metrics.compare` for metrics with structured inputs such as squad.

Returns:
    `{score: {"difference", "low", "high", "p_value"}}` for each numeric score of the metric.

Examples:
    >>> paired = evaluate.load("metrics/paired_bootstrap")
    >>> result = paired.compute(predictions1=[1, 1, 0, 1], predictions2=[0, 1, 0, 0],
    ...                         references=[1, 1, 0, 1], metric="metrics/accuracy", n_resamples=100)
    >>> result["accuracy"]["difference"]
    0.5
"""

_CITATION = """
@inproceedings{koehn-2004-statistical,
  title={Statistical Significance Tests for Machine Translation Evaluation},
  author={Koehn, Philipp}, booktitle={Proceedings of EMNLP 2004}, pages={388--395}, year={2004}
}
@book{efron1994introduction,
  title={An Introduction to the Bootstrap}, author={Efron, Bradley and Tibshirani, Robert J.},
  publisher={CRC Press}, year={1994}
}
"""

_NAMES = ("predictions1", "predictions2", "references")


def _features(feature: Any) -> datasets.Features:
    return datasets.Features({name: feature for name in _NAMES})


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class PairedBootstrap(evaluate.Comparison):
    """A thin evaluate wrapper around the shared bootstrap engine (``_bootstrap.py``)."""

    def _info(self) -> evaluate.ComparisonInfo:
        return evaluate.ComparisonInfo(
            module_type="comparison", description=_DESCRIPTION, citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=[_features(datasets.Value("float64")), _features(datasets.Value("string")),
                      _features(datasets.Sequence(datasets.Value("string")))],
            reference_urls=["https://aclanthology.org/W04-3250/"])

    def _compute(self, predictions1: Sequence, predictions2: Sequence, references: Sequence,
                 metric: Any = "metrics/accuracy", metric_config: dict | None = None, n_resamples: int = 1000,
                 seed: int = 0, method: str = "percentile", confidence_level: float = 0.95) -> dict:
        if method not in METHODS:
            raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
        if len(predictions1) != len(predictions2) or len(predictions1) != len(references):
            raise ValueError(f"predictions1, predictions2 and references differ in length: "
                             f"{len(predictions1)}, {len(predictions2)}, {len(references)}")
        module = evaluate.load(metric) if isinstance(metric, str) else metric
        config = dict(metric_config or {})
        stat1, _ = module_statistic(module, {"predictions": predictions1, "references": references}, config)
        stat2, _ = module_statistic(module, {"predictions": predictions2, "references": references}, config)
        tested = paired_test(stat1, stat2, n_resamples, seed, method, confidence_level)
        return {key: {field: _plain(value) for field, value in fields.items()} for key, fields in tested.items()}


def _plain(value: Any) -> Any:
    return value.item() if getattr(value, "ndim", None) == 0 else (value.tolist() if hasattr(value, "tolist") else value)
