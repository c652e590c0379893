"""``hubkit leaderboard build`` on three tiny BERTs trained here on the same SST-2-format data.

The models are trained once per session with ``hubkit train --push-to`` (two strong ones with
different seeds, one weak one), then two of them push a full ``hubkit eval`` record. So the board
has models with per-example predictions (paired bootstrap) and one with only its training card
(interval overlap): every expected value below is recomputed from those pushed files.
"""

from __future__ import annotations

import csv
import json
import urllib.request
import warnings
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from huggingface_hub import HfApi

from helpers.cli import hubkit
from helpers.leaderboard import N_RESAMPLES, Published, build, published
from helpers.published_files import assert_nothing_machine_local

KEY = "sst2-default-validation"


@pytest.fixture(scope="module")
def models(hub, tiny_bert, tmp_path_factory) -> Published:
    return published(hub, tiny_bert, tmp_path_factory.mktemp("leaderboard-models"))


def record_of(repo_id: str) -> tuple[dict, list, list]:
    """A pushed hubkit eval record: results, predictions, references."""
    api = HfApi()
    results = json.loads(Path(api.hf_hub_download(repo_id, f"evaluations/{KEY}/results.json")).read_text())
    table = pq.read_table(api.hf_hub_download(repo_id, f"evaluations/{KEY}/predictions.parquet"))
    return results, table.column("predictions").to_pylist(), table.column("references").to_pylist()


def notes_interval(repo_id: str) -> list[float]:
    path = HfApi().hf_hub_download(repo_id, f".eval_results/hubkit-{KEY}.yaml")
    notes = yaml.safe_load(Path(path).read_text())[0]["notes"]
    low, high = notes.split("95% bootstrap CI [")[1].split("]")[0].split(", ")
    return [float(low), float(high)]


def expected_groups(entries: list[dict], tied) -> list[int]:
    """The leader rule, re-done here: join the current group while tied with its first model."""
    groups, leader = [], None
    for entry in entries:
        if leader is None or not tied(leader, entry):
            leader = entry
            groups.append(len(set(groups)) + 1)
        else:
            groups.append(groups[entries.index(leader)])
    return groups


def test_ranking_intervals_and_tie_groups_from_the_hub(models, tmp_path):
    from hubkit import metrics

    doc = build(tmp_path / "lb", "--search", models.prefix)
    by_id = {e["model"]["id"]: e for e in doc["entries"]}
    assert set(by_id) == set(models.ids)
    assert doc["schema_version"] == 1 and doc["kind"] == "leaderboard"
    assert doc["metric"] == {"name": "accuracy", "greater_is_better": True, "confidence_level": 0.95}
    assert (doc["dataset"]["name"], doc["dataset"]["config"], doc["dataset"]["split"]) == ("sst2", "default", "validation")

    # Scores and intervals: exact values of the pushed records; the training-only model's card claim.
    truth, predictions = {}, {}
    for repo_id in (models.strong1, models.weak):
        results, preds, refs = record_of(repo_id)
        accuracy = sum(p == r for p, r in zip(preds, refs)) / len(refs)
        assert by_id[repo_id]["score"] == pytest.approx(accuracy) == results["metrics"]["accuracy"]
        assert by_id[repo_id]["ci"] == results["confidence_intervals"]["accuracy"]
        assert by_id[repo_id]["score_source"] == "evaluation record"
        truth[repo_id], predictions[repo_id] = accuracy, (preds, refs)
    trained = json.loads((models.local[models.strong2] / "results.json").read_text())
    truth[models.strong2] = trained["per_seed"][0]["metrics"]["validation"]["accuracy"]
    strong2 = by_id[models.strong2]
    assert strong2["score"] == round(truth[models.strong2], 4) and strong2["score_source"] == "claim"
    assert strong2["ci"] == notes_interval(models.strong2) and strong2["ci"][0] <= strong2["score"] <= strong2["ci"][1]
    assert all(e["status"] == "self-reported" and e["model"]["revision"] == HfApi().model_info(e["model"]["id"]).sha
               for e in doc["entries"])

    # Ranking: by score, best first, with the model id breaking exact ties.
    expected = sorted(models.ids, key=lambda m: (-by_id[m]["score"], m))
    assert [e["model"]["id"] for e in doc["entries"]] == expected
    assert truth[models.weak] < min(truth[models.strong1], truth[models.strong2]), "the weak model should be worse"

    # Tie groups: re-run each test the board says it used and re-apply the leader rule.
    def tied(a: dict, b: dict) -> bool:
        ids = a["model"]["id"], b["model"]["id"]
        if all(i in predictions for i in ids):
            test = metrics.compare("accuracy", predictions[ids[0]][0], predictions[ids[1]][0], predictions[ids[0]][1],
                                   n_resamples=N_RESAMPLES, seed=0)["accuracy"]
            assert b["tie_test"] is None or (b["tie_test"]["method"] == "paired-bootstrap"
                                            and b["tie_test"]["p_value"] == pytest.approx(test["p_value"]))
            return test["low"] <= 0 <= test["high"]
        return a["ci"][0] <= b["ci"][1] and b["ci"][0] <= a["ci"][1]

    assert [e["group"] for e in doc["entries"]] == expected_groups(doc["entries"], tied)
    assert by_id[models.weak]["group"] > 1 and by_id[models.strong1]["group"] == by_id[models.strong2]["group"] == 1
    methods = [c["method"] for c in doc["comparisons"]]
    assert methods == ["paired-bootstrap" if c["a"] in predictions and c["b"] in predictions else "ci-overlap"
                       for c in doc["comparisons"]]
    assert doc["method"]["ties"]["method"] == ("mixed" if len(set(methods)) == 2 else methods[0])
    assert all(c["why_not_paired"] for c in doc["comparisons"] if c["method"] == "ci-overlap")

    # The other outputs say the same.
    rows = list(csv.DictReader((tmp_path / "lb/leaderboard.csv").open()))
    assert [(r["model"], float(r["score"]), int(r["group"])) for r in rows] == [
        (e["model"]["id"], e["score"], e["group"]) for e in doc["entries"]]
    readme = (tmp_path / "lb/README.md").read_text()
    from hubkit.repocard.validate import validate_card

    meta = validate_card(readme, "space")
    assert meta["title"] == doc["title"] and meta["sdk"] == "static" and meta["app_file"] == "index.html"
    assert all(f"| {e['rank']} | {e['group']} | {e['model']['id']}" in readme for e in doc["entries"])
    assert "paired bootstrap" in readme and "overlapping 95%" in readme
    page = (tmp_path / "lb/index.html").read_text()
    assert page.count("<tr class=") == 3 and "Content-Security-Policy" in page
    assert "http://" not in page.split("<body>")[0] and "<link" not in page and " src=" not in page


def test_verify_flags_a_doctored_model_index_value(models, tmp_path):
    api = HfApi()
    card = Path(api.hf_hub_download(models.weak, "README.md")).read_text()
    results, _, _ = record_of(models.weak)
    true_value = round(results["metrics"]["accuracy"], 4)
    doctored = round(min(0.9999, true_value + 0.3), 4)
    _, header, body = card.split("---\n", 2)
    metadata = yaml.safe_load(header)
    edited = 0
    for result in metadata["model-index"][0]["results"]:
        for metric in result["metrics"]:
            if result["dataset"]["type"] == "nyu-mll/glue" and metric["type"] == "accuracy":
                assert metric["value"] == true_value
                metric["value"], edited = doctored, edited + 1
    assert edited == 1, "the test's edit of model-index did not apply"
    front = "---\n" + yaml.safe_dump(metadata, sort_keys=False)
    api.upload_file(path_or_fileobj=(front + "---\n" + body).encode(), path_in_repo="README.md", repo_id=models.weak,
                    commit_message="better numbers")

    plain = build(tmp_path / "plain", "--search", models.prefix)
    weak = next(e for e in plain["entries"] if e["model"]["id"] == models.weak)
    assert weak["score"] == doctored and weak["status"] == "self-reported" and weak["score_source"] == "claim"
    assert any("evaluation record says" in w for w in weak["warnings"])

    verified = build(tmp_path / "verified", "--search", models.prefix, "--verify", "--data-dir", models.data)
    by_id = {e["model"]["id"]: e for e in verified["entries"]}
    assert by_id[models.weak]["status"] == "failed reproduction"
    assert by_id[models.weak]["verification"]["reported"] == doctored
    assert by_id[models.weak]["score"] == pytest.approx(results["metrics"]["accuracy"])
    assert by_id[models.strong1]["status"] == by_id[models.strong2]["status"] == "reproduced"
    # Re-runs with the record's settings give byte-identical predictions.
    assert by_id[models.strong1]["verification"]["same_predictions_as_record"] is True
    assert by_id[models.weak]["verification"]["same_predictions_as_record"] is True
    for entry in verified["entries"]:
        folder = tmp_path / "verified" / Path(entry["evaluation"]["results"]).parent
        rerun = json.loads((folder / "results.json").read_text())
        assert rerun["metrics"]["accuracy"] == entry["score"] and rerun["model"]["revision"] == entry["model"]["revision"]
    assert verified["method"]["ties"]["method"] == "paired-bootstrap"  # every model now has predictions here
    assert [e["model"]["id"] for e in verified["entries"]][-1] == models.weak
    page = (tmp_path / "verified/index.html").read_text()
    assert page.count("✗ failed reproduction") == 1 and page.count("✓ reproduced") == 2
    # Restore the honest card for later tests.
    api.upload_file(path_or_fileobj=card.encode(), path_in_repo="README.md", repo_id=models.weak)


def test_evaluate_local_folders_and_push_to_a_leaderboard_repo(models, hub, tmp_path):
    folders = ",".join(str(models.local[m]) for m in (models.strong1, models.weak))
    repo_id = f"{hub.user}/{models.prefix}-board"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        doc = build(tmp_path / "lb", "--models", folders, "--evaluate", "--data-dir", models.data, "--push-to", repo_id)
    # The board's evaluations/*/predictions.parquet belong in the Space: the client's guess that a
    # dataset went to the wrong repo type is not shown to the user.
    assert not [w for w in caught if "commit a data file" in str(w.message)]
    assert [e["status"] for e in doc["entries"]] == ["evaluated", "evaluated"]
    assert doc["method"]["ties"]["method"] == "paired-bootstrap" and doc["method"]["verification"]["mode"] == "evaluate"
    assert all(len(e["model"]["revision"]) == 64 for e in doc["entries"])  # local folders pinned by content hash
    files = set(HfApi().list_repo_files(repo_id, repo_type="space"))
    assert {"leaderboard.json", "leaderboard.csv", "README.md", "index.html"} <= files
    assert sum(f.startswith("evaluations/") and f.endswith("predictions.parquet") for f in files) == 2
    card = HfApi().space_info(repo_id).card_data
    assert card.sdk == "static"  # a static Space: huggingface.co renders index.html as the page
    with urllib.request.urlopen(f"{hub.endpoint}/spaces/{repo_id}/resolve/main/index.html") as response:
        served = response.read().decode()
    assert served == (tmp_path / "lb/index.html").read_text()
    from hubkit.leaderboard.schema import load_leaderboard

    pushed = load_leaderboard(HfApi().hf_hub_download(repo_id, "leaderboard.json", repo_type="space"))
    assert pushed["entries"] == doc["entries"]
    # What train --push-to, eval --push and leaderboard build --push-to published names no local folder.
    assert_nothing_machine_local([("space", repo_id), ("model", models.strong1), ("model", models.weak)],
                                 [tmp_path, models.data, *models.local.values()])


def test_the_printed_page_is_the_space(models, hub, tmp_path):
    repo_id = f"{hub.user}/{models.prefix}-printed"
    result = hubkit("leaderboard", "build", "sst2", "--output", tmp_path / "lb", "--search", models.prefix,
                 "--bootstrap-resamples", 50, "--push-to", repo_id)
    assert result.exit_code == 0, result.output
    assert f"page: {hub.endpoint}/spaces/{repo_id}" in result.output


def test_bad_input_is_one_line_nonzero_and_writes_or_pushes_nothing(models, hub, tmp_path):
    out = tmp_path / "x"
    bob_repo = "bob/not-yours"
    cases = [
        (["nosuchset", "--output", out], "no model"),
        (["sst2", "--output", out, "--evaluate"], "--evaluate scores the models you list"),
        (["sst2", "--output", out, "--models", models.weak, "--search", "x"], "not both"),
        (["sst2", "--output", out, "--search", models.prefix, "--push-to", bob_repo], "cannot push to bob/not-yours"),
        (["sst2", "--output", out, "--search", models.prefix, "--push-to", "a/b/c"], "is not NAME or NAMESPACE/NAME"),
        (["sst2", "--output", out, "--models", f"{hub.user}/does-not-exist"], "is not on"),
        (["sst2", "--output", out, "--search", models.prefix, "--verify", "--data-dir", tmp_path / "missing",
          "--push-to", f"{hub.user}/{models.prefix}-never"], "failed"),
        (["sst2", "--output", out, "--search", models.prefix, "--tolerance", "0.1"], "--tolerance only applies"),
    ]
    for args, message in cases:
        result = hubkit("leaderboard", "build", *args)
        assert result.exit_code != 0, (args, result.output)
        errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and message in errors[0], (args, result.output)
        assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".x")], "a staging folder was left behind"
    assert not HfApi().repo_exists(f"{hub.user}/{models.prefix}-never", repo_type="dataset")
    (out / "keep.txt").parent.mkdir()
    (out / "keep.txt").write_text("mine")
    again = hubkit("leaderboard", "build", "sst2", "--output", out, "--search", models.prefix)
    assert again.exit_code == 1 and "--overwrite" in again.output and (out / "keep.txt").read_text() == "mine"
