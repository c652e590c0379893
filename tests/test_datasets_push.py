"""Publishing to the session's real hub server, then loading with plain ``datasets.load_dataset`` in a
fresh process: same rows, features and label names, no remote code, one commit per push."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from click.testing import CliRunner
from huggingface_hub import HfApi

from hubkit.cli import main
from hubkit.datasets.card_check import check_card
from hubkit.datasets.prepare import prepare

from helpers.builder_fixtures import tiny_conll2002, tiny_sst2

LOADER = """
import json, sys
import datasets
out = {}
for repo, config, revision in json.loads(sys.argv[1]):
    loaded = datasets.load_dataset(repo, config, revision=revision)
    out[f"{repo}|{config}|{revision}"] = {
        "rows": {split: loaded[split].to_list() for split in loaded},
        "features": loaded[next(iter(loaded))].features.to_dict()}
print(json.dumps(out))
"""


def push(*args):
    return CliRunner().invoke(main, ["datasets", "push", *map(str, args)])


def load_in_fresh_process(requests):
    result = subprocess.run([sys.executable, "-c", LOADER, json.dumps(requests)], env=os.environ,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


def expected(name, data_dir, config=None):
    prepared = prepare(name, config=config, data_dir=data_dir)
    return {"rows": {split: dataset.to_list() for split, dataset in prepared.dataset.items()},
            "features": prepared.features.to_dict()}


def test_pushed_datasets_load_with_plain_load_dataset_in_a_fresh_process(hub, tmp_path):
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    sst2 = tiny_sst2(tmp_path / "SST-2")
    conll = tiny_conll2002(tmp_path / "conll2002")
    sst2_repo, conll_repo = f"{hub.user}/sst2-mini", f"{hub.user}/conll2002-mini"

    result = push("sst2", "--data-dir", sst2, "--repo", sst2_repo)
    assert result.exit_code == 0, result.output
    commits = api.list_repo_commits(sst2_repo, repo_type="dataset")
    files = set(api.list_repo_files(sst2_repo, repo_type="dataset"))
    assert {"README.md", "data/train-00000-of-00001.parquet", "data/validation-00000-of-00001.parquet",
            "data/test-00000-of-00001.parquet"} <= files
    assert commits[0].title == "Publish sst2 (default) with hubkit"
    before = set(api.list_repo_files(sst2_repo, repo_type="dataset", revision=commits[1].commit_id)) \
        if len(commits) > 1 else set()
    assert not before & {"README.md", "data/train-00000-of-00001.parquet"}  # card and data came in one commit
    card = open(api.hf_hub_download(sst2_repo, "README.md", repo_type="dataset"), encoding="utf-8").read()
    assert check_card(card) == []

    for config in ("es", "nl"):
        result = push("conll2002", "--config", config, "--data-dir", conll, "--repo", conll_repo)
        assert result.exit_code == 0, result.output
    result = push("sst2", "--data-dir", sst2, "--repo", sst2_repo, "--revision", "candidate")
    assert result.exit_code == 0, result.output
    assert {ref.name for ref in api.list_repo_refs(sst2_repo, repo_type="dataset").branches} >= {"main", "candidate"}

    loaded = load_in_fresh_process([[sst2_repo, None, None], [sst2_repo, None, "candidate"],
                                    [conll_repo, "es", None], [conll_repo, "nl", None]])
    assert loaded[f"{sst2_repo}|None|None"] == expected("sst2", sst2)
    assert loaded[f"{sst2_repo}|None|candidate"] == expected("sst2", sst2)
    assert loaded[f"{conll_repo}|es|None"] == expected("conll2002", conll, "es")
    assert loaded[f"{conll_repo}|nl|None"] == expected("conll2002", conll, "nl")
    label = loaded[f"{sst2_repo}|None|None"]["features"]["label"]
    assert label["names"] == ["negative", "positive"]


def test_a_failed_push_leaves_no_repo_behind(hub, tmp_path):
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    broken = tiny_sst2(tmp_path / "SST-2")
    (broken / "dev.tsv").write_text("sentence\tlabel\nsharp\tunknown\n")
    result = push("sst2", "--data-dir", broken, "--repo", f"{hub.user}/never-made")
    assert result.exit_code == 1
    assert "dev.tsv:2: field 'label': unknown label 'unknown'" in result.stderr
    assert not api.repo_exists(f"{hub.user}/never-made", repo_type="dataset")


def test_a_push_that_fails_after_creating_the_repo_removes_it(hub, tmp_path):
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    data = tiny_sst2(tmp_path / "SST-2")
    result = push("sst2", "--data-dir", data, "--repo", f"{hub.user}/bad-branch", "--revision", "a..b")
    assert result.exit_code == 1
    assert "pushing to" in result.stderr and "failed" in result.stderr
    assert not api.repo_exists(f"{hub.user}/bad-branch", repo_type="dataset")
