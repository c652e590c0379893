"""Classification metrics against scikit-learn on random cases, edge cases, and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

from hubkit import metrics

TOL = 1e-9
N_RANDOM = 300


@pytest.fixture(scope="module")
def modules():
    return {name: metrics.load(name) for name in ("accuracy", "f1", "precision", "recall", "matthews_correlation")}


def _random_case(rng: np.random.Generator):
    n_classes = int(rng.integers(1, 6))
    n = int(rng.integers(1, 40))
    refs = rng.integers(0, n_classes, n)
    # mostly right, sometimes skewed towards one class, to hit empty classes and ties
    preds = np.where(rng.uniform(size=n) < rng.uniform(), refs, rng.integers(0, n_classes, n))
    if rng.uniform() < 0.3:
        preds = np.full(n, rng.integers(0, n_classes))
    return preds.tolist(), refs.tolist()


def _sklearn(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


@pytest.mark.parametrize("average", ["binary", "micro", "macro", "weighted", None])
def test_prf_agree_with_sklearn_on_random_cases(modules, average):
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(N_RANDOM):
        preds, refs = _random_case(rng)
        if average == "binary" and not set(preds) | set(refs) <= {0, 1}:
            preds, refs = [min(p, 1) for p in preds], [min(r, 1) for r in refs]
        for zero_division in (0, 1):
            for name, function in (("f1", skm.f1_score), ("precision", skm.precision_score),
                                   ("recall", skm.recall_score)):
                ours = modules[name]._compute(preds, refs, average=average, zero_division=zero_division)[name]
                theirs = _sklearn(function, refs, preds, average=average, zero_division=zero_division)
                np.testing.assert_allclose(ours, theirs, atol=TOL, rtol=0)
                checked += 1
    assert checked == N_RANDOM * 6


def test_accuracy_and_mcc_agree_with_sklearn_on_random_cases(modules):
    rng = np.random.default_rng(12)
    for _ in range(N_RANDOM):
        preds, refs = _random_case(rng)
        assert abs(modules["accuracy"]._compute(preds, refs)["accuracy"] - skm.accuracy_score(refs, preds)) < TOL
        assert modules["accuracy"]._compute(preds, refs, normalize=False)["accuracy"] == \
            skm.accuracy_score(refs, preds, normalize=False)
        ours = modules["matthews_correlation"]._compute(preds, refs)["matthews_correlation"]
        assert abs(ours - _sklearn(skm.matthews_corrcoef, refs, preds)) < TOL


def test_string_labels_and_declared_label_order(modules):
    rng = np.random.default_rng(13)
    names = np.array(["neg", "neu", "pos"])
    refs, preds = names[rng.integers(0, 3, 60)].tolist(), names[rng.integers(0, 3, 60)].tolist()
    declared = ["pos", "neg", "neu"]
    ours = modules["f1"]._compute(preds, refs, average=None, labels=declared)
    assert ours["labels"] == declared
    np.testing.assert_allclose(ours["f1"], skm.f1_score(refs, preds, average=None, labels=declared), atol=TOL)
    assert abs(modules["matthews_correlation"]._compute(preds, refs)["matthews_correlation"]
               - skm.matthews_corrcoef(refs, preds)) < TOL


@pytest.mark.parametrize("preds, refs", [
    ([0, 0, 0, 0], [0, 1, 1, 0]),      # no positive predictions
    ([1, 1, 1], [1, 1, 1]),            # one class only, all right
    ([0, 0, 0], [0, 0, 0]),            # one class, and it is the negative one
    ([1, 0, 1, 0], [0, 1, 0, 1]),      # all wrong
    ([2, 2, 2], [0, 1, 0]),            # multiclass, all wrong, predicted class never true
])
def test_edge_cases_match_sklearn(modules, preds, refs):
    for average in (["binary"] if len(set(preds) | set(refs)) <= 2 else []) + ["micro", "macro", "weighted"]:
        for name, function in (("f1", skm.f1_score), ("precision", skm.precision_score),
                               ("recall", skm.recall_score)):
            for zero_division in (0, 1):
                ours = modules[name]._compute(preds, refs, average=average, zero_division=zero_division)[name]
                assert abs(ours - _sklearn(function, refs, preds, average=average,
                                           zero_division=zero_division)) < TOL, (name, average)
    assert abs(modules["matthews_correlation"]._compute(preds, refs)["matthews_correlation"]
               - _sklearn(skm.matthews_corrcoef, refs, preds)) < TOL


@pytest.mark.parametrize("call, message", [
    (lambda m: m["f1"]._compute([0, 1], [0]), "differ in length"),
    (lambda m: m["accuracy"]._compute([], []), "empty"),
    (lambda m: m["f1"]._compute([0, 1, 2], [0, 1, 2]), "at most 2 classes"),
    (lambda m: m["f1"]._compute([0, 1, 3], [0, 1, 1], average="macro", labels=[0, 1]), "outside the declared set"),
    (lambda m: m["precision"]._compute(["a", "b"], ["a", "b"]), "pos_label"),
    (lambda m: m["accuracy"]._compute([0.7, 1], [0, 1]), "not a class label"),
    (lambda m: m["recall"]._compute([0, 1], ["0", "1"]), "mix string and integer"),
    (lambda m: m["f1"]._compute([0, 1], [0, 1], average="samples"), "average must be one of"),
    (lambda m: m["f1"]._compute([0, 1], [0, 1], zero_division=0.5), "zero_division"),
])
def test_bad_input_raises_clear_errors(modules, call, message):
    with pytest.raises(ValueError, match=message):
        call(modules)


def test_evaluate_compute_path_refuses_fractional_labels(modules):
    # evaluate stores inputs through its declared features; an int feature would truncate 0.7 to 0
    with pytest.raises(ValueError, match="not a class label"):
        modules["accuracy"].compute(predictions=[0.7, 1.0], references=[0, 1])
    assert modules["f1"].compute(predictions=["a", "b"], references=["a", "a"], pos_label="a")["f1"] == \
        pytest.approx(skm.f1_score(["a", "a"], ["a", "b"], pos_label="a"), abs=TOL)
