"""Sequence classification through ``hubkit train``: single texts and pairs (cross- and bi-encoder),
determinism, resume after a real interruption, several seeds, bad input, and the push."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hubkit.train.fine_tune import TrainRequest, fine_tune
from hubkit.train.recipes import Recipe

from helpers.data import write_mrpc, write_sst2
from helpers.training import losses


def request(tmp_path: Path, data: Path, model: Path, dataset: str = "sst2", **recipe) -> TrainRequest:
    values = {"model": str(model), "epochs": 8, "batch_size": 16, "learning_rate": 1e-3, "early_stopping_patience": 0,
              **recipe}
    return TrainRequest(dataset=dataset, data_dir=str(data), output_dir=tmp_path / "out",
                        recipe=Recipe().override(values), n_resamples=100, progress=False)


def test_single_text_classification_learns_and_saves_label_names(tmp_path, tiny_bert):
    data = write_sst2(tmp_path / "sst2")
    results = fine_tune(request(tmp_path, data, tiny_bert))
    out = tmp_path / "out"
    logged = losses(out)
    assert len(logged) >= 4 and sum(logged[-2:]) / 2 < sum(logged[:2]) / 2
    assert set(results["per_seed"][0]["metrics"]) == {"validation"}, "the unlabelled GLUE test split is not scored"
    validation = results["per_seed"][0]["metrics"]["validation"]
    assert validation["accuracy"] > 0.7
    low, high = validation["confidence_intervals"]["accuracy"]
    assert low <= validation["accuracy"] <= high
    config = json.loads((out / "config.json").read_text())
    assert config["id2label"] == {"0": "negative", "1": "positive"}
    predictions = [json.loads(line) for line in (out / "predictions_validation.jsonl").read_text().splitlines()]
    assert len(predictions) == 60
    accuracy = sum(p["predictions"] == p["references"] for p in predictions) / 60
    assert accuracy == pytest.approx(validation["accuracy"])


def test_same_seed_gives_identical_metrics(tmp_path, tiny_bert):
    data = write_sst2(tmp_path / "sst2", n_train=96, n_dev=32)
    first = fine_tune(request(tmp_path / "a", data, tiny_bert, epochs=1))
    second = fine_tune(request(tmp_path / "b", data, tiny_bert, epochs=1))
    assert first["per_seed"][0]["metrics"] == second["per_seed"][0]["metrics"]
    assert losses(tmp_path / "a" / "out") == losses(tmp_path / "b" / "out")


@pytest.mark.parametrize("pair_mode", ["cross-encoder", "bi-encoder"])
def test_pair_classification_both_ways_saves_and_loads(tmp_path, tiny_bert, pair_mode):
    data = write_mrpc(tmp_path / "mrpc")
    results = fine_tune(request(tmp_path, data, tiny_bert, dataset="mrpc", pair_mode=pair_mode, epochs=10))
    assert results["per_seed"][0]["metrics"]["validation"]["accuracy"] > 0.6
    out = tmp_path / "out"
    if pair_mode == "bi-encoder":
        from hubkit.train.bi_encoder import load_bi_encoder

        model = load_bi_encoder(str(out))  # saved as a sentence-transformers model plus its head
        assert model.classifier.in_features == 3 * 32
    else:
        from transformers import AutoModelForSequenceClassification

        model = AutoModelForSequenceClassification.from_pretrained(out)
    assert model.config.id2label == {0: "not_equivalent", 1: "equivalent"}  # the builder's names, both ways


def test_several_seeds_report_mean_and_std(tmp_path, tiny_bert):
    data = write_sst2(tmp_path / "sst2", n_train=64, n_dev=32)
    req = request(tmp_path, data, tiny_bert, epochs=1)
    req.seeds = (1, 2)
    results = fine_tune(req)
    accuracy = results["aggregate"]["validation"]["accuracy"]
    values = [run["metrics"]["validation"]["accuracy"] for run in results["per_seed"]]
    assert accuracy["values"] == values and accuracy["mean"] == pytest.approx(sum(values) / 2)
    assert (tmp_path / "out" / "seed-1" / "config.json").exists() and (tmp_path / "out" / "best_seed.txt").exists()


def _train_command(data: Path, model: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "hubkit.cli", "train", "sst2", "--data-dir", str(data), "--model", str(model),
            "--output-dir", str(out), "--epochs", "3", "--batch-size", "8", "--learning-rate", "1e-3",
            "--early-stopping-patience", "0", "--bootstrap-resamples", "50", "--no-progress", *extra]


# Runs the real CLI in a child that SIGKILLs itself at a fixed optimizer step: a genuine hard
# interruption (nothing flushed, no clean-up) at the same point on a slow or a fast machine, where
# killing from outside on a timer raced with how quickly the run finished.
_KILLED_AT_STEP = """
import os, signal, sys
from transformers import trainer_callback
from hubkit.cli import main

step_end = trainer_callback.CallbackHandler.on_step_end

def on_step_end(self, args, state, control):
    if state.global_step == int(os.environ["KILL_AT_STEP"]):
        os.kill(os.getpid(), signal.SIGKILL)
    return step_end(self, args, state, control)

trainer_callback.CallbackHandler.on_step_end = on_step_end
sys.argv = ["hubkit", *sys.argv[1:]]
main()
"""


def test_interrupted_run_resumed_matches_an_uninterrupted_one(tmp_path, tiny_bert):
    data = write_sst2(tmp_path / "sst2", n_train=128, n_dev=32)
    straight = subprocess.run(_train_command(data, tiny_bert, tmp_path / "straight"), capture_output=True, text=True)
    assert straight.returncode == 0, straight.stderr[-2000:]

    out = tmp_path / "interrupted"
    steps_per_epoch = 128 // 8
    killed_command = [sys.executable, "-c", _KILLED_AT_STEP, *_train_command(data, tiny_bert, out)[3:]]
    killed = subprocess.run(killed_command, capture_output=True, text=True,
                            env={**os.environ, "KILL_AT_STEP": str(steps_per_epoch + steps_per_epoch // 2)})
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert (out / "checkpoints" / f"checkpoint-{steps_per_epoch}" / "trainer_state.json").exists()
    assert not (out / "results.json").exists()

    refused = subprocess.run(_train_command(data, tiny_bert, out), capture_output=True, text=True)
    assert refused.returncode != 0 and "--resume" in refused.stderr
    resumed = subprocess.run(_train_command(data, tiny_bert, out, "--resume"), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    a = json.loads((tmp_path / "straight" / "results.json").read_text())["per_seed"][0]["metrics"]
    b = json.loads((out / "results.json").read_text())["per_seed"][0]["metrics"]
    assert a == b


def test_bad_input_is_one_clear_line_and_nothing_is_pushed(tmp_path, tiny_bert, hub):
    from huggingface_hub import HfApi

    data = write_sst2(tmp_path / "sst2", n_train=32, n_dev=8)
    unknown = subprocess.run([sys.executable, "-m", "hubkit.cli", "train", "no-such-dataset", "--output-dir",
                              str(tmp_path / "x")], capture_output=True, text=True)
    assert unknown.returncode != 0 and "no-such-dataset" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
    missing_model = subprocess.run(_train_command(data, tmp_path / "nowhere", tmp_path / "y", "--push-to",
                                                  f"{hub.user}/never-pushed"), capture_output=True, text=True)
    assert missing_model.returncode != 0 and "nowhere" in missing_model.stderr
    nan = subprocess.run(_train_command(data, tiny_bert, tmp_path / "z", "--learning-rate", "1e30", "--push-to",
                                        f"{hub.user}/never-pushed"), capture_output=True, text=True)
    assert nan.returncode != 0 and "loss became non-finite" in nan.stderr, nan.stderr[-1500:]
    assert not HfApi().repo_exists(f"{hub.user}/never-pushed")


def test_head_that_does_not_fit_the_task_is_refused(tmp_path, tiny_bert):
    from transformers import AutoModelForSequenceClassification

    three = tmp_path / "three-labels"
    model = AutoModelForSequenceClassification.from_pretrained(tiny_bert, num_labels=3,
                                                               id2label={0: "a", 1: "b", 2: "c"})
    model.save_pretrained(three)
    from transformers import AutoTokenizer

    AutoTokenizer.from_pretrained(tiny_bert).save_pretrained(three)
    data = write_sst2(tmp_path / "sst2", n_train=16, n_dev=8)
    result = subprocess.run(_train_command(data, three, tmp_path / "out"), capture_output=True, text=True)
    assert result.returncode != 0 and "['a', 'b', 'c']" in result.stderr


def test_push_then_pipeline_in_a_fresh_process(tmp_path, tiny_bert, hub):
    data = write_sst2(tmp_path / "sst2", n_train=96, n_dev=24)
    repo_id = f"{hub.user}/tiny-sst2"
    result = subprocess.run(_train_command(data, tiny_bert, tmp_path / "out", "--push-to", repo_id),
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1].startswith(f"{hub.endpoint}/{repo_id}/commit/")
    code = textwrap.dedent(f"""
        import json
        from transformers import pipeline
        classify = pipeline("text-classification", model="{repo_id}")
        print(json.dumps(classify(["a wonderful film", "a boring plot"])))
    """)
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy())
    assert fresh.returncode == 0, fresh.stderr[-2000:]
    labels = [row["label"] for row in json.loads(fresh.stdout.strip().splitlines()[-1])]
    assert set(labels) <= {"negative", "positive"}
    from huggingface_hub import HfApi

    files = HfApi().list_repo_files(repo_id)
    assert {"results.json", "training_args.json", "README.md", "tokenizer.json", "model.safetensors"} <= set(files)
    assert not any(f.startswith("checkpoints/") for f in files)
