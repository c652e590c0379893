"""Correlations and McNemar against scipy; SQuAD and perplexity against their definitions; bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from hubkit import metrics

TOL = 1e-9


@pytest.fixture(scope="module")
def m():
    return {name: metrics.load(name) for name in ("pearsonr", "spearmanr", "mcnemar", "squad", "perplexity")}


def test_correlations_agree_with_scipy_on_random_cases(m):
    rng = np.random.default_rng(21)
    for _ in range(300):
        n = int(rng.integers(3, 60))
        x = rng.normal(size=n)
        if rng.uniform() < 0.5:  # ties, to exercise average ranks
            x = np.round(x * 2)
        y = x * rng.uniform(-1, 1) + rng.normal(size=n)
        if np.ptp(x) == 0 or np.ptp(y) == 0:
            continue
        for name, function in (("pearsonr", stats.pearsonr), ("spearmanr", stats.spearmanr)):
            ours = m[name]._compute(x.tolist(), y.tolist(), return_pvalue=True)
            theirs = function(x, y)
            assert abs(ours[name] - theirs.statistic) < TOL
            assert abs(ours["p-value"] - theirs.pvalue) < TOL


def test_correlation_edge_cases(m):
    assert m["pearsonr"]._compute([1, 2, 3], [2, 4, 6], return_pvalue=True) == {"pearsonr": 1.0, "p-value": 0.0}
    assert m["spearmanr"]._compute([1, 2, 3], [3, 2, 1])["spearmanr"] == pytest.approx(-1.0, abs=TOL)
    with pytest.raises(ValueError, match="constant"):
        m["pearsonr"]._compute([1, 1, 1], [1, 2, 3])
    with pytest.raises(ValueError, match="at least 2"):
        m["spearmanr"]._compute([1], [1])
    with pytest.raises(ValueError, match="differ in length"):
        m["pearsonr"]._compute([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="NaN"):
        m["pearsonr"]._compute([1, float("nan"), 3], [1, 2, 3])


def test_mcnemar_agrees_with_scipy(m):
    rng = np.random.default_rng(22)
    for _ in range(300):
        n = int(rng.integers(1, 80))
        refs = rng.integers(0, 2, n)
        p1 = np.where(rng.uniform(size=n) < rng.uniform(), refs, 1 - refs)
        p2 = np.where(rng.uniform(size=n) < rng.uniform(), refs, 1 - refs)
        b = int(np.sum((p1 == refs) & (p2 != refs)))
        c = int(np.sum((p1 != refs) & (p2 == refs)))
        chi = m["mcnemar"]._compute(p1.tolist(), p2.tolist(), refs.tolist())
        exact = m["mcnemar"]._compute(p1.tolist(), p2.tolist(), refs.tolist(), exact=True)
        corrected = m["mcnemar"]._compute(p1.tolist(), p2.tolist(), refs.tolist(), correction=True)
        assert (chi["only_1_correct"], chi["only_2_correct"]) == (b, c)
        if b + c == 0:
            assert (chi["statistic"], chi["p_value"], exact["p_value"]) == (0.0, 1.0, 1.0)
            continue
        assert abs(chi["p_value"] - stats.chi2.sf((b - c) ** 2 / (b + c), 1)) < TOL
        assert abs(corrected["p_value"] - stats.chi2.sf(max(abs(b - c) - 1, 0) ** 2 / (b + c), 1)) < TOL
        assert abs(exact["p_value"] - stats.binomtest(b, b + c, 0.5).pvalue) < TOL


def test_squad_official_normalisation_and_max_over_gold(m):
    refs = [{"id": "1", "answers": {"text": ["The Eiffel Tower!", "Paris"], "answer_start": [0, 5]}},
            {"id": "2", "answers": {"text": ["in 1889"], "answer_start": [0]}},
            {"id": "3", "answers": {"text": ["blue whale"], "answer_start": [0]}}]
    preds = [{"id": "1", "prediction_text": "eiffel  tower"},      # equal after normalisation
             {"id": "2", "prediction_text": "1889, an exhibition"},  # "an" dropped: 1 of 2 tokens shared
             {"id": "3", "prediction_text": "shark"}]
    result = m["squad"]._compute(preds, refs)
    f1_second = 2 * (1 / 2) * (1 / 2) / (1 / 2 + 1 / 2)  # precision 1/2 ('1889', 'exhibition'), recall 1/2
    assert result["exact_match"] == pytest.approx(100 / 3, abs=TOL)
    assert result["f1"] == pytest.approx(100 * (1 + f1_second + 0) / 3, abs=TOL)
    unanswered = m["squad"]._compute(preds[:1], refs)
    assert unanswered["unanswered"] == 2 and unanswered["exact_match"] == pytest.approx(100 / 3, abs=TOL)


@pytest.mark.parametrize("preds, refs, message", [
    ([{"id": "9", "prediction_text": "x"}], [{"id": "1", "answers": {"text": ["x"], "answer_start": [0]}}], "not in references"),
    ([], [{"id": "1", "answers": {"text": [], "answer_start": []}}], "no gold answer"),
    ([], [], "empty"),
])
def test_squad_bad_input(m, preds, refs, message):
    with pytest.raises(ValueError, match=message):
        m["squad"]._compute(preds, refs)


def test_perplexity_matches_its_definition(m):
    rng = np.random.default_rng(23)
    losses = [rng.exponential(2.0, int(rng.integers(1, 30))).tolist() for _ in range(50)]
    result = m["perplexity"]._compute(losses)
    flat = [x for seq in losses for x in seq]
    assert result["perplexity"] == pytest.approx(math.exp(math.fsum(flat) / len(flat)), rel=1e-12)
    per_sequence = [math.exp(math.fsum(seq) / len(seq)) for seq in losses]
    assert result["mean_perplexity"] == pytest.approx(math.fsum(per_sequence) / len(losses), rel=1e-12)
    in_bits = [[x / math.log(2) for x in seq] for seq in losses]
    assert m["perplexity"]._compute(in_bits, base=2)["perplexity"] == pytest.approx(result["perplexity"], rel=1e-12)
    for bad, message in (([[]], "no token losses"), ([[-0.1]], "negative"), ([], "empty")):
        with pytest.raises(ValueError, match=message):
            m["perplexity"]._compute(bad)
