"""Training on a dataset repo ``NS/NAME``: the task from the card or the flags, and one-line refusals."""

from __future__ import annotations

import json
import uuid

import datasets
from huggingface_hub import HfApi

from helpers.cli import hubkit


def plain_repo(hub) -> tuple[str, str]:
    """A Parquet dataset repo pushed by ``datasets`` itself: string labels, no train-eval-index."""
    repo_id = f"{hub.user}/plain-{uuid.uuid4().hex[:6]}"
    rows = {"review": [f"a {'good' if i % 2 else 'bad'} film number {i}" for i in range(40)],
            "verdict": ["pos" if i % 2 else "neg" for i in range(40)]}
    split = datasets.Dataset.from_dict(rows)
    datasets.DatasetDict({"train": split.select(range(32)), "validation": split.select(range(32, 40))}).push_to_hub(repo_id)
    return repo_id, HfApi().dataset_info(repo_id).sha


def test_a_repo_without_task_metadata_or_flags_is_refused_in_one_line(hub, tmp_path):
    repo_id, _ = plain_repo(hub)
    result = hubkit("train", repo_id, "--output-dir", tmp_path / "out")
    assert result.exit_code != 0
    message = result.output.strip()
    assert len(message.splitlines()) == 1 and "--task" in message and "--text-column" in message
    assert not (tmp_path / "out").exists()


def test_a_revision_that_does_not_exist_is_named(hub, tmp_path):
    repo_id, _ = plain_repo(hub)
    for command in (["train", repo_id, "--output-dir", tmp_path / "out"],
                    ["eval", "acme/whatever", repo_id, "--output", tmp_path / "out"]):
        result = hubkit(*command, "--dataset-revision", "no-such-branch", "--task", "text-classification",
                     "--text-column", "review", "--label-column", "verdict")
        assert result.exit_code != 0 and "no-such-branch" in result.output
        assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_train_on_a_plain_repo_with_flags_records_the_repo_and_its_sha(hub, tiny_bert, tmp_path):
    repo_id, sha = plain_repo(hub)
    result = hubkit("train", repo_id, "--task", "text-classification", "--text-column", "review", "--label-column",
                 "verdict", "--model", tiny_bert, "--output-dir", tmp_path / "out", "--epochs", "1",
                 "--bootstrap-resamples", "20", "--no-progress")
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "out/results.json").read_text())
    assert results["dataset"]["repo_id"] == repo_id and results["dataset"]["revision"] == sha
    assert results["task"]["labels"] == ["neg", "pos"]
    card = (tmp_path / "out/README.md").read_text()
    assert f"- {repo_id}" in card.split("---")[1] and f"--dataset-revision {sha}" in card
