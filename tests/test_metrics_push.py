"""`hubkit metrics push` against the real hub server, then `evaluate.load("ns/name")` from it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hubkit import metrics
from hubkit.cli import main

from helpers.numbers import mismatches


@pytest.mark.parametrize("name, kwargs, expected", [
    # Class 0: precision 1, recall 2/3; class 1: precision 2/3, recall 1. Both F1 0.8.
    ("f1", {"predictions": [0, 1, 1, 0, 1], "references": [0, 1, 0, 0, 1], "average": "macro"}, {"f1": 0.8}),
    # Default (conlleval) mode: a stray I-LOC starts a LOC entity, so both entities match; token
    # accuracy still counts I-LOC against B-LOC as wrong (3 of 4).
    ("seqeval", {"predictions": [["B-PER", "I-PER", "O", "I-LOC"]], "references": [["B-PER", "I-PER", "O", "B-LOC"]]},
     {"LOC": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "number": 1},
      "PER": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "number": 1},
      "overall_precision": 1.0, "overall_recall": 1.0, "overall_f1": 1.0, "overall_accuracy": 0.75}),
])
def test_push_then_evaluate_load_from_the_hub(hub, name, kwargs, expected):
    import evaluate
    from huggingface_hub import HfApi

    repo_id = f"{hub.user}/hubkit_{name}"
    result = CliRunner().invoke(main, ["metrics", "push", name, "--repo", repo_id])
    assert result.exit_code == 0, result.output
    assert f'evaluate.load("{repo_id}")' in result.output

    files = set(HfApi(endpoint=hub.endpoint, token=hub.token).list_repo_files(repo_id, repo_type="space"))
    assert {f"hubkit_{name}.py", "README.md", "app.py", "requirements.txt", "_classification.py"} <= files

    loaded = evaluate.load(repo_id, download_mode="force_redownload")
    assert mismatches(loaded.compute(**kwargs), expected) == []


def test_push_unknown_metric_is_a_one_line_error(hub):
    result = CliRunner().invoke(main, ["metrics", "push", "nope", "--repo", f"{hub.user}/nope"])
    assert result.exit_code == 1 and "unknown metric 'nope'" in result.output


def test_republishing_merges_the_card_and_keeps_notes_made_on_the_space(hub):
    from huggingface_hub import HfApi, ModelCard

    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    repo_id = f"{hub.user}/hubkit_accuracy"
    assert CliRunner().invoke(main, ["metrics", "push", "accuracy", "--repo", repo_id]).exit_code == 0
    readme = open(api.hf_hub_download(repo_id, "README.md", repo_type="space")).read()
    assert f'evaluate.load("{repo_id}")' in readme and "<!-- hubkit:begin metric-card -->" in readme
    note = "\n## Notes from the maintainers\n\nScores match sklearn on our data.\n"
    api.upload_file(path_or_fileobj=(readme.replace("pinned: false", "pinned: false\nlicense: mit") + note).encode(),
                    path_in_repo="README.md", repo_id=repo_id, repo_type="space")

    again = CliRunner().invoke(main, ["metrics", "push", "accuracy", "--repo", repo_id])
    assert again.exit_code == 0, again.output
    merged = open(api.hf_hub_download(repo_id, "README.md", repo_type="space", force_download=True)).read()
    assert note.strip() in merged and merged.count("<!-- hubkit:begin metric-card -->") == 1
    data = ModelCard(merged).data.to_dict()
    assert data["license"] == "mit" and data["sdk"] == "gradio" and {"evaluate", "metric"} <= set(data["tags"])


def test_a_metric_card_missing_what_the_hub_needs_is_refused_before_upload(hub, tmp_path, monkeypatch):
    from huggingface_hub import HfApi

    source = metrics.locate("accuracy").parent
    folder = tmp_path / "metrics" / "accuracy"
    folder.mkdir(parents=True)
    for file in source.iterdir():
        if file.suffix in (".py", ".md"):
            (folder / file.name).write_bytes(file.read_bytes())
    card = folder / "README.md"
    monkeypatch.setenv("HUBKIT_METRICS_DIR", str(tmp_path / "metrics"))
    repo_id = f"{hub.user}/never_published"
    original = card.read_text()
    for broken, named in ((original.replace("- metric\n", ""), "README.md: tags"),
                          (original.replace("colorFrom: blue", "colorFrom: teal"), "colorFrom"),
                          (original.replace("description:", "summary:"), "README.md: description")):
        card.write_text(broken)
        refused = CliRunner().invoke(main, ["metrics", "push", "accuracy", "--repo", repo_id])
        assert refused.exit_code == 1 and named in refused.output, refused.output
        assert len(refused.output.strip().splitlines()) == 1
    assert not HfApi(endpoint=hub.endpoint, token=hub.token).repo_exists(repo_id, repo_type="space")
