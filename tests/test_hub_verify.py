"""``hubkit hub verify``: the hub re-runs claimed results and signs what it finds (issue 14, item 7)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest
import yaml
from huggingface_hub import HfApi

from hubkit.evaluation.errors import EvaluationError
from hubkit.evaluation.reverify import worker_lock
from helpers.hubserver import unique_name

TASK = "default-validation-accuracy"


def hubkit(*args, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "hubkit.cli", *map(str, args)], capture_output=True, text=True,
                            timeout=900)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def benchmark(hub) -> str:
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    features = Features({"sentence": Value("string"), "label": ClassLabel(names=["negative", "positive"])})
    words = ["good", "bad", "great", "awful", "fine", "poor", "nice", "sad", "happy", "dull", "superb", "weak"]
    rows = {"sentence": [f"a {w} film number {i}" for i, w in enumerate(words * 3)],
            "label": [i % 2 for i in range(len(words) * 3)]}
    repo_id = f"{hub.user}/{unique_name('verify-bench')}"
    DatasetDict({"train": Dataset.from_dict(rows, features=features),
                 "validation": Dataset.from_dict(rows, features=features)}).push_to_hub(repo_id)
    definition = {"name": "verify bench", "evaluation_framework": "hubkit",
                  "tasks": [{"id": TASK, "config": "default", "split": "validation"}]}
    HfApi().upload_file(path_or_fileobj=yaml.safe_dump(definition).encode(), path_in_repo="eval.yaml",
                        repo_id=repo_id, repo_type="dataset")
    return repo_id


@pytest.fixture(scope="module")
def classifier(hub, tiny_bert, tmp_path_factory):
    """A tiny (random-weight) sentiment classifier pushed as a model repo; its true accuracy."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    folder = tmp_path_factory.mktemp("verify-model")
    config = BertConfig.from_pretrained(tiny_bert, num_labels=2, id2label={0: "negative", 1: "positive"},
                                        label2id={"negative": 0, "positive": 1})
    torch.manual_seed(3)
    BertForSequenceClassification(config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(tiny_bert).save_pretrained(folder)
    return folder


def publish(hub, folder, claim: float, benchmark: str) -> str:
    api = HfApi()
    repo_id = f"{hub.user}/{unique_name('claimant')}"
    api.create_repo(repo_id)
    api.upload_folder(folder_path=folder, repo_id=repo_id)
    entries = [{"dataset": {"id": benchmark, "task_id": TASK}, "value": claim}]
    api.upload_file(path_or_fileobj=yaml.safe_dump(entries).encode(), path_in_repo=".eval_results/verify.yaml",
                    repo_id=repo_id)
    return repo_id


def test_verify_marks_honest_doctored_and_broken_claims(hub, benchmark, classifier, tmp_path):
    honest_model = publish(hub, classifier, 0.0, benchmark)  # the claim is fixed below, once measured
    hubkit("eval", honest_model, benchmark, "--output", tmp_path / "eval", "--split", "validation")
    accuracy = json.loads((tmp_path / "eval" / "results.json").read_text())["metrics"]["accuracy"]
    honest = publish(hub, classifier, round(accuracy, 4), benchmark)
    doctored = publish(hub, classifier, round(accuracy + 0.1, 4), benchmark)
    broken_folder = tmp_path / "broken"
    broken_folder.mkdir()
    (broken_folder / "config.json").write_text('{"model_type": "no-such-architecture"}')
    broken = publish(hub, broken_folder, 0.5, benchmark)

    run = hubkit("hub", "verify", "--data-dir", hub.data_dir, "--once")
    assert f"{honest}@" in run.stdout and "reproduced" in run.stdout
    assert "could not be re-run" in run.stderr

    board = {e.model_id: e for e in HfApi().get_dataset_leaderboard(benchmark, base_model_only=False)}
    assert board[honest].verified is True
    assert board[honest].verification["measuredValue"] == pytest.approx(accuracy)
    assert board[doctored].verified is False and board[doctored].verification["status"] == "failed"
    assert board[doctored].verification["measuredValue"] == pytest.approx(accuracy)
    assert board[broken].verified is False and board[broken].verification["status"] == "error"
    results = HfApi().model_info(honest, expand=["evalResults"]).eval_results
    assert [(r.dataset_id, r.task_id) for r in results] == [(benchmark, TASK)]

    # Nothing was committed to the model repos (the sha the hub vouches for is unchanged) ...
    assert len(HfApi().list_repo_commits(honest)) == 3
    # ... and nothing is evaluated twice.
    again = hubkit("hub", "verify", "--data-dir", hub.data_dir, "--once")
    assert f"{honest}@" not in again.stdout and f"{doctored}@" not in again.stdout

    # The benchmark's page shows its leaderboard with the badges; each model's page its results.
    page = urllib.request.urlopen(f"{hub.endpoint}/datasets/{benchmark}").read().decode()
    assert "Benchmark" in page and "id='leaderboard'" in page and "✓ verified" in page
    assert "✗ not reproduced: hub measured" in page and "could not re-run" in page
    model_page = urllib.request.urlopen(f"{hub.endpoint}/{doctored}").read().decode()
    assert "id='eval-results'" in model_page and "✗ not reproduced" in model_page
    for name, url in (("benchmark-page", f"{hub.endpoint}/datasets/{benchmark}"),
                      ("model-page", f"{hub.endpoint}/{honest}")):
        screenshot(url, tmp_path / f"{name}.png")


def screenshot(url: str, path) -> None:
    """The page as headless Chromium renders it, kept for people to look at (skipped without Chromium)."""
    chromium = os.environ.get("HUBKIT_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        return
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                    f"--user-data-dir={path.parent / 'chromium-profile'}", "--window-size=1280,900",
                    f"--screenshot={path}", url], capture_output=True, timeout=120, check=True)
    from PIL import Image

    image = Image.open(path).convert("L")
    assert image.size == (1280, 900) and len(image.getcolors(maxcolors=1 << 16) or []) > 20, "a blank page"
    shutil.copyfile(path, Path(os.environ.get("HUBKIT_SCREENSHOT_DIR", tempfile.gettempdir())) / path.name)


def test_one_worker_per_data_dir(hub):
    with worker_lock(hub.data_dir):
        with pytest.raises(EvaluationError, match="already working"):
            with worker_lock(hub.data_dir):
                pass
        second = hubkit("hub", "verify", "--data-dir", hub.data_dir, "--once", check=False)
    assert second.returncode == 1 and "already working over" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1


def test_verify_refuses_a_folder_that_is_not_a_hub(tmp_path):
    result = hubkit("hub", "verify", "--data-dir", tmp_path, "--once", check=False)
    assert result.returncode == 1 and "not a hub data dir" in result.stderr
