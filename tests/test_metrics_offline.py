"""`evaluate.load(path)` of every bundled metric in a fresh process with HF_HUB_OFFLINE=1, checked
against values computed another way: by hand for the small cases, or by scikit-learn and SciPy."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from hubkit import metrics

from helpers.numbers import mismatches

EXAMPLES = {
    "accuracy": {"predictions": [0, 1, 1], "references": [0, 1, 0]},
    "f1": {"predictions": [0, 1, 1], "references": [0, 1, 0]},
    "precision": {"predictions": ["a", "b", "b"], "references": ["a", "b", "a"], "average": "macro"},
    "recall": {"predictions": [0, 1, 1], "references": [0, 1, 0]},
    "matthews_correlation": {"predictions": [0, 1, 1, 2], "references": [0, 1, 0, 2]},
    "seqeval": {"predictions": [["B-PER", "I-PER", "O"]], "references": [["B-PER", "O", "O"]]},
    "squad": {"predictions": [{"id": "1", "prediction_text": "the cat"}],
              "references": [{"id": "1", "answers": {"text": ["a cat sat"], "answer_start": [0]}}]},
    "perplexity": {"predictions": [[0.5, 1.5], [2.0]]},
    "pearsonr": {"predictions": [1.0, 2.0, 3.5], "references": [1.0, 3.0, 2.0]},
    "spearmanr": {"predictions": [1.0, 2.0, 3.5], "references": [1.0, 3.0, 2.0]},
    "mcnemar": {"predictions1": [1, 1, 0], "predictions2": [0, 1, 0], "references": [1, 1, 1]},
}



def expected_scores() -> dict[str, dict]:
    """What each example in ``EXAMPLES`` must score, not computed by hubkit's metric modules."""
    from scipy.stats import chi2, pearsonr, spearmanr
    from sklearn.metrics import matthews_corrcoef

    correlation = EXAMPLES["pearsonr"]
    return {
        "accuracy": {"accuracy": 2 / 3},
        "f1": {"f1": 2 / 3},  # positive class 1: tp 1, fp 1, fn 0
        "precision": {"precision": (1 / 1 + 1 / 2) / 2},  # a: 1 of 1 right, b: 1 of 2 right
        "recall": {"recall": 1.0},
        "matthews_correlation": {"matthews_correlation": matthews_corrcoef([0, 1, 0, 2], [0, 1, 1, 2])},
        "seqeval": {"PER": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "number": 1}, "overall_precision": 0.0,
                    "overall_recall": 0.0, "overall_f1": 0.0, "overall_accuracy": 2 / 3},
        # "the cat" vs "a cat sat": articles dropped, 1 shared token of 1 predicted and 2 reference ones.
        "squad": {"exact_match": 0.0, "f1": 100 * 2 * (1 * 0.5) / (1 + 0.5)},
        "perplexity": {"perplexity": math.exp((0.5 + 1.5 + 2.0) / 3), "mean_perplexity": (math.exp(1.0) + math.exp(2.0)) / 2,
                       "perplexities": [math.exp(1.0), math.exp(2.0)]},
        "pearsonr": {"pearsonr": pearsonr(correlation["predictions"], correlation["references"])[0]},
        "spearmanr": {"spearmanr": spearmanr(correlation["predictions"], correlation["references"])[0]},
        # Only model 1 right once, never only model 2: chi-square (1 - 0)^2 / (1 + 0), one degree of freedom.
        "mcnemar": {"statistic": 1.0, "p_value": chi2.sf(1.0, 1), "only_1_correct": 1, "only_2_correct": 0},
    }


SCRIPT = """
import json, sys
import evaluate
root, examples = sys.argv[1], json.loads(sys.argv[2])
out = {}
for name, kwargs in examples.items():
    module = evaluate.load(f"{root}/{name}")
    out[name] = module.compute(**kwargs)
paired = evaluate.load(f"{root}/paired_bootstrap")
out["paired_bootstrap"] = paired.compute(predictions1=[1, 1, 0, 1], predictions2=[0, 1, 0, 0],
    references=[1, 1, 0, 1], metric=f"{root}/accuracy", n_resamples=100)
print(json.dumps(out))
"""


def test_every_metric_loads_by_path_offline_and_scores_what_it_should(tmp_path):
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_EVALUATE_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               HF_HOME=str(tmp_path / "hf_home"), HF_ENDPOINT="http://127.0.0.1:9")  # nothing listens there
    completed = subprocess.run([sys.executable, "-c", SCRIPT, str(metrics.metrics_dir()), json.dumps(EXAMPLES)],
                               capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr[-3000:]
    loaded = json.loads(completed.stdout.strip().splitlines()[-1])
    expected = expected_scores()
    assert set(expected) == set(EXAMPLES)
    for name in EXAMPLES:
        assert mismatches(loaded[name], expected[name]) == [], name
    paired = metrics.compare("accuracy", [1, 1, 0, 1], [0, 1, 0, 0], [1, 1, 0, 1], n_resamples=100)
    assert loaded["paired_bootstrap"]["accuracy"]["difference"] == pytest.approx(4 / 4 - 2 / 4)  # model 1 is always right
    assert loaded["paired_bootstrap"]["accuracy"]["difference"] == paired["accuracy"]["difference"]
    assert loaded["paired_bootstrap"]["accuracy"]["p_value"] == paired["accuracy"]["p_value"]
