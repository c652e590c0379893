"""`hubkit metrics push` against the real hub server, then `evaluate.load("ns/name")` from it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hubkit import metrics
from hubkit.cli import main


@pytest.mark.parametrize("name, kwargs", [
    ("f1", {"predictions": [0, 1, 1, 0, 1], "references": [0, 1, 0, 0, 1], "average": "macro"}),
    ("seqeval", {"predictions": [["B-PER", "I-PER", "O", "I-LOC"]], "references": [["B-PER", "I-PER", "O", "B-LOC"]]}),
])
def test_push_then_evaluate_load_from_the_hub(hub, name, kwargs):
    import evaluate
    from huggingface_hub import HfApi

    repo_id = f"{hub.user}/hubkit_{name}"
    result = CliRunner().invoke(main, ["metrics", "push", name, "--repo", repo_id])
    assert result.exit_code == 0, result.output
    assert f'evaluate.load("{repo_id}")' in result.output

    files = set(HfApi(endpoint=hub.endpoint, token=hub.token).list_repo_files(repo_id, repo_type="space"))
    assert {f"hubkit_{name}.py", "README.md", "app.py", "requirements.txt", "_classification.py"} <= files

    loaded = evaluate.load(repo_id, download_mode="force_redownload")
    assert loaded.compute(**kwargs) == metrics.load(name)._compute(**kwargs)


def test_push_unknown_metric_is_a_one_line_error(hub):
    result = CliRunner().invoke(main, ["metrics", "push", "nope", "--repo", f"{hub.user}/nope"])
    assert result.exit_code == 1 and "unknown metric 'nope'" in result.output
