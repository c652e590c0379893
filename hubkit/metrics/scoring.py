"""Score predictions with a metric module, optionally with bootstrap confidence intervals.

How a module makes itself fast to bootstrap is described in
:func:`hubkit.metrics.bootstrap.module_statistic`; any ``evaluate`` module works, slowly.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from hubkit.metrics import bootstrap
from hubkit.metrics.registry import load

_INPUTS = ("predictions", "references")


def _inputs(module: Any, predictions: Sequence | None, references: Sequence | None) -> dict[str, Sequence]:
    """The inputs the module declares, with an error if one it needs is missing."""
    features = module.features[0] if isinstance(module.features, list) else module.features
    given = {"predictions": predictions, "references": references}
    unknown = [name for name in features if name not in _INPUTS]
    if unknown:
        raise ValueError(f"metric {module.name!r} takes inputs {list(features)}; only predictions and "
                         "references can be given here")
    missing = [name for name in features if given[name] is None]
    if missing:
        raise ValueError(f"metric {module.name!r} needs {' and '.join(missing)}")
    return {name: given[name] for name in features}


def statistic(module: Any, predictions: Sequence | None, references: Sequence | None,
              config: dict | None = None) -> tuple[bootstrap.Statistic, dict[str, Any]]:
    """The bootstrap statistic of ``module`` on these inputs, and its fixed extra outputs."""
    return bootstrap.module_statistic(module, _inputs(module, predictions, references), dict(config or {}))


def _plain(value: Any) -> Any:
    array = np.asarray(value, dtype=float)
    return float(array) if array.ndim == 0 else array.tolist()


def compute(metric: str | Any, predictions: Sequence | None = None, references: Sequence | None = None, *,
            ci: bool = False, n_resamples: int = 1000, method: str = "percentile", seed: int | None = 0,
            confidence_level: float = 0.95, **config: Any) -> dict[str, Any]:
    """Scores of ``metric`` (a name, a path, or a loaded module), plus intervals when ``ci``.

    With ``ci=True`` the result gains ``confidence_intervals`` (``{score: [low, high]}``, per
    class where the score is per class) and ``bootstrap`` (the settings used, for the record).
    Interval keys are the module's flat score names (for seqeval: ``overall_f1``, and ``f1`` as
    a list in ``types`` order).
    """
    module = load(metric) if isinstance(metric, str) else metric
    # the point estimate is exactly what evaluate's compute() would return
    result = module._compute(**_inputs(module, predictions, references), **config)
    if not ci:
        return result
    stat, _ = statistic(module, predictions, references, config)
    intervals = bootstrap.confidence_intervals(stat, n_resamples, seed, method, confidence_level)
    result["confidence_intervals"] = {
        key: np.stack([low, high], axis=-1).tolist() for key, (low, high) in intervals.items()}
    result["bootstrap"] = {"method": method, "n_resamples": n_resamples, "seed": seed,
                           "confidence_level": confidence_level}
    return result


def compare(metric: str | Any, predictions_a: Sequence, predictions_b: Sequence,
            references: Sequence | None = None, *, n_resamples: int = 1000, method: str = "percentile",
            seed: int | None = 0, confidence_level: float = 0.95, **config: Any) -> dict[str, Any]:
    """Paired bootstrap of system A against system B on the same examples, score by score.

    Returns ``{score: {"a", "b", "difference", "low", "high", "p_value"}}``; see
    :func:`hubkit.metrics.bootstrap.paired_test` for how the p-value is defined.
    """
    module = load(metric) if isinstance(metric, str) else metric
    stat_a, _ = statistic(module, predictions_a, references, config)
    stat_b, _ = statistic(module, predictions_b, references, config)
    tested = bootstrap.paired_test(stat_a, stat_b, n_resamples, seed, method, confidence_level)
    point_a, point_b = stat_a.point(), stat_b.point()
    return {key: {"a": _plain(point_a[key]), "b": _plain(point_b[key]),
                  **{field: _plain(value) for field, value in fields.items()}}
            for key, fields in tested.items()}
