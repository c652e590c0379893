"""Bootstrap intervals and paired tests: agreement with scipy and with a plain loop, determinism."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import f1_score

from hubkit import metrics
from hubkit.metrics import bootstrap


def _mean_statistic(x: np.ndarray) -> bootstrap.SumStatistic:
    return bootstrap.SumStatistic(np.stack([x, np.ones_like(x)], axis=1), lambda t: {"mean": t[..., 0] / t[..., 1]})


@pytest.mark.parametrize("method, scipy_method", [("percentile", "percentile"), ("bca", "BCa")])
@pytest.mark.parametrize("discrete", [True, False])
def test_intervals_equal_scipy_bootstrap_given_the_same_generator(method, scipy_method, discrete):
    # scipy draws its resamples as rng.integers(0, n, (n_resamples, n)), as we do, so with the
    # same seed both see the same resamples and the intervals must agree exactly.
    rng = np.random.default_rng(31)
    x = (rng.uniform(size=300) < 0.7).astype(float) if discrete else rng.lognormal(size=300)
    ours = bootstrap.confidence_intervals(_mean_statistic(x), 1000, 7, method, 0.9)["mean"]
    theirs = stats.bootstrap((x,), np.mean, n_resamples=1000, rng=np.random.default_rng(7),
                             method=scipy_method, confidence_level=0.9).confidence_interval
    np.testing.assert_allclose(ours, [theirs.low, theirs.high], atol=1e-9, rtol=0)


def test_vectorised_resampling_equals_a_plain_loop_over_the_same_resamples():
    rng = np.random.default_rng(32)
    refs = rng.integers(0, 3, 200)
    preds = np.where(rng.uniform(size=200) < 0.6, refs, rng.integers(0, 3, 200))
    stat, _ = metrics.statistic(metrics.load("f1"), preds.tolist(), refs.tolist(), {"average": "macro"})
    indices = next(bootstrap.resample_indices(200, 50, seed=3))
    vectorised = stat.resampled(indices)["f1"]
    looped = [f1_score(refs[row], preds[row], average="macro", labels=[0, 1, 2], zero_division=0) for row in indices]
    np.testing.assert_allclose(vectorised, looped, atol=1e-12)


def test_spearman_resampler_ranks_each_resample_like_scipy():
    rng = np.random.default_rng(33)
    x, y = np.round(rng.normal(size=80)), rng.normal(size=80)
    stat, _ = metrics.statistic(metrics.load("spearmanr"), x.tolist(), y.tolist())
    indices = next(bootstrap.resample_indices(80, 20, seed=4))
    expected = [stats.spearmanr(x[row], y[row]).statistic for row in indices]
    np.testing.assert_allclose(stat.resampled(indices)["spearmanr"], expected, atol=1e-12)
    jack = stat.jackknife()["spearmanr"]
    assert jack[5] == pytest.approx(stats.spearmanr(np.delete(x, 5), np.delete(y, 5)).statistic, abs=1e-12)


def test_seeded_results_are_reproducible_and_depend_on_the_seed():
    rng = np.random.default_rng(34)
    refs = rng.integers(0, 2, 150).tolist()
    preds = [r if rng.uniform() < 0.8 else 1 - r for r in refs]
    first = metrics.compute("accuracy", preds, refs, ci=True, n_resamples=300, seed=1, method="bca")
    again = metrics.compute("accuracy", preds, refs, ci=True, n_resamples=300, seed=1, method="bca")
    other = metrics.compute("accuracy", preds, refs, ci=True, n_resamples=300, seed=2, method="bca")
    assert first == again
    assert first["confidence_intervals"] != other["confidence_intervals"]
    low, high = first["confidence_intervals"]["accuracy"]
    assert low <= first["accuracy"] <= high


def test_paired_bootstrap_detects_a_real_difference_and_not_a_null_one():
    rng = np.random.default_rng(35)
    refs = rng.integers(0, 2, 400).tolist()
    strong = [r if rng.uniform() < 0.9 else 1 - r for r in refs]
    weak = [r if rng.uniform() < 0.7 else 1 - r for r in refs]
    better = metrics.compare("accuracy", strong, weak, refs, n_resamples=500)["accuracy"]
    assert better["difference"] == pytest.approx(np.mean(np.equal(strong, refs)) - np.mean(np.equal(weak, refs)))
    assert better["low"] > 0 and better["p_value"] < 0.01
    same = metrics.compare("accuracy", strong, strong, refs, n_resamples=500)["accuracy"]
    assert same["difference"] == 0 and same["p_value"] == 1.0


def test_paired_bootstrap_module_matches_the_library():
    rng = np.random.default_rng(36)
    refs = rng.integers(0, 3, 100).tolist()
    a = [r if rng.uniform() < 0.8 else 0 for r in refs]
    b = [r if rng.uniform() < 0.6 else 0 for r in refs]
    module = metrics.load("paired_bootstrap")
    via_module = module._compute(a, b, refs, metric=metrics.load("f1"), metric_config={"average": "macro"},
                                 n_resamples=200, seed=5)
    via_library = metrics.compare("f1", a, b, refs, n_resamples=200, seed=5, average="macro")
    for key in ("difference", "low", "high", "p_value"):
        assert via_module["f1"][key] == pytest.approx(via_library["f1"][key], abs=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    ({"method": "studentized"}, "method must be one of"),
    ({"confidence_level": 1.5}, "confidence_level"),
    ({"n_resamples": 0}, "n_resamples"),
])
def test_bad_bootstrap_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        metrics.compute("accuracy", [0, 1], [0, 1], ci=True, **kwargs)
