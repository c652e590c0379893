"""`evaluate.load(path)` of every bundled metric in a fresh process with HF_HUB_OFFLINE=1."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from hubkit import metrics

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


def test_every_metric_loads_by_path_offline_and_matches_the_library(tmp_path):
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_EVALUATE_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               HF_HOME=str(tmp_path / "hf_home"), HF_ENDPOINT="http://127.0.0.1:9")  # nothing listens there
    completed = subprocess.run([sys.executable, "-c", SCRIPT, str(metrics.metrics_dir()), json.dumps(EXAMPLES)],
                               capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr[-3000:]
    loaded = json.loads(completed.stdout.strip().splitlines()[-1])
    for name, kwargs in EXAMPLES.items():
        module = metrics.load(name)
        assert loaded[name] == module._compute(**kwargs), name
    expected = metrics.compare("accuracy", [1, 1, 0, 1], [0, 1, 0, 0], [1, 1, 0, 1], n_resamples=100)
    assert loaded["paired_bootstrap"]["accuracy"]["difference"] == expected["accuracy"]["difference"]
    assert loaded["paired_bootstrap"]["accuracy"]["p_value"] == expected["accuracy"]["p_value"]
