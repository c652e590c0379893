"""``hubkit baselines``: the CI smoke sweep (schema, resume after a kill, the pushed leaderboard), its
bad-input rules, the SQuAD / WikiText-2 split plans, divergence, and one dataset per device.

Real SST-2 and MRPC files, a tiny BERT, a few dozen training examples: these runs check the
machinery, never the quality (that comes from bench/ and the closing note).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from helpers.published_files import assert_nothing_machine_local

SMOKE = ["--max-train-samples", "32", "--max-eval-samples", "48", "--bootstrap-resamples", "50"]


def baselines_command(*args: object) -> list[str]:
    return [sys.executable, "-m", "hubkit.cli", "baselines", *map(str, args)]


def glue(real_data: Path) -> list[str]:
    return ["--data-dir", f"sst2={real_data / 'glue' / 'SST-2'}", "--data-dir", f"mrpc={real_data / 'glue' / 'MRPC'}"]


def test_smoke_sweep_resumes_after_a_kill_without_retraining_and_writes_a_valid_file(tmp_path, tiny_bert, real_data):
    from hubkit.baselines import record

    out = tmp_path / "sweep"
    # Three epochs whatever the table's recipes say, so that a unit has a checkpoint to be killed after.
    epochs = tmp_path / "three-epochs.yaml"
    epochs.write_text("epochs: 3\n")
    args = ["sst2", "mrpc", *glue(real_data), "--output-dir", out, "--model", tiny_bert, "--seeds", "1,2",
            "--recipe-file", epochs, *SMOKE]
    first = subprocess.Popen(baselines_command(*args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             env=os.environ.copy())
    marker = out / "sst2" / "seed-1.done.json"
    # Killed once the first unit finished and the second saved a checkpoint (after its first epoch).
    checkpoint_state = out / "sst2" / "seed-2" / "checkpoints" / "checkpoint-2" / "trainer_state.json"
    deadline = time.monotonic() + 600
    while not checkpoint_state.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    os.kill(first.pid, signal.SIGKILL)  # by pid
    first.wait(timeout=60)
    assert marker.exists() and checkpoint_state.exists(), first.communicate()[0].decode()[-3000:]
    assert not (out / "sst2" / "seed-2.done.json").exists(), "the second unit finished before the kill"
    assert not (out / record.JSON_FILE).exists()
    # The killed attempt ran at least from its start to the checkpoint it saved.
    killed_attempt_floor = checkpoint_state.stat().st_mtime - json.loads(
        (out / "sst2" / "seed-2.attempts.json").read_text())["started_at"]
    finished = {path: path.stat().st_mtime_ns for path in
                [marker, out / "sst2" / "seed-1" / "results.json", out / "sst2" / "seed-1" / "train_log.jsonl",
                 checkpoint_state]}

    # A rerun without --resume refuses, in one line, to mix into the killed sweep.
    refused = subprocess.run(baselines_command(*args), capture_output=True, text=True, env=os.environ.copy())
    assert refused.returncode != 0 and "pass --resume" in refused.stderr and "Traceback" not in refused.stderr

    # The resumed run also gets an unknown dataset and a --data-dir for one not listed: one line
    # each, the rest runs, the exit status says something was not run.
    resumed = subprocess.run(baselines_command(*args[:2], "nosuch", *args[2:], "--data-dir",
                                               f"rte={real_data}", "--resume"),
                             capture_output=True, text=True, env=os.environ.copy(), timeout=900)
    assert resumed.returncode == 1, resumed.stderr[-3000:]
    problems = [line for line in resumed.stderr.splitlines() if line.startswith(("skipped:", "failed:", "Error"))]
    assert "Traceback" not in resumed.stderr
    assert [line.split(":")[:2] for line in problems] == [["skipped", " nosuch"], ["skipped", " rte"]], problems
    assert "sst2 seed 1: finished earlier, skipped" in resumed.stdout
    assert "sst2 seed 2: resume" in resumed.stdout
    # Not retrained: the finished unit's files, and the checkpoint the interrupted one continued from.
    assert {path: path.stat().st_mtime_ns for path in finished} == finished
    log = (out / "sst2" / "seed-2" / "train_log.jsonl").read_text().splitlines()
    logged = [json.loads(line)["step"] for line in log if line.strip()]
    assert logged[0] == 1 and max(logged) > 2  # the rows up to the checkpoint kept, then the steps after it
    # Its wall time counts the killed attempt too, not only the one that finished it.
    resumed_unit = json.loads((out / "sst2" / "seed-2.done.json").read_text())
    assert len(resumed_unit["attempts_s"]) == 2 and resumed_unit["attempts_s"][0] >= killed_attempt_floor > 0
    assert resumed_unit["wall_time_s"] == pytest.approx(sum(resumed_unit["attempts_s"]))

    doc = record.load(out)  # valid against its schema, or this raises naming the problem
    assert doc["schema_version"] == record.SCHEMA_VERSION
    rows = {(row["dataset"], row["split"], row["metric"]): row for row in doc["rows"]}
    # MRPC is reported in F1 and accuracy (its published figure names no metric), on both labelled splits.
    assert set(rows) == {("sst2", "validation", "accuracy"), ("mrpc", "validation", "accuracy"),
                         ("mrpc", "validation", "f1"), ("mrpc", "test", "accuracy"), ("mrpc", "test", "f1")}
    for row in rows.values():
        assert row["status"] == "ok" and row["seeds"] and sorted(row["seeds"]) == [1, 2]
        best = row["values"][row["seeds"].index(row["best_seed"])]
        assert len(row["values"]) == 2 and row["ci95"][0] <= best <= row["ci95"][1]
        assert row["eval_examples"] == 48 and row["train_examples"] == 32 and row["hardware"]
        assert row["wall_time_s"] > 0 and row["recipe"]["epochs"] == 3
    sst2 = rows[("sst2", "validation", "accuracy")]
    assert sst2["reference"]["value"] == 91.5 and "unilm" in sst2["reference"]["source"]
    assert sst2["gap_points"] == pytest.approx(sst2["mean"] * 100 - 91.5)
    assert rows[("mrpc", "test", "f1")]["reference"] is None  # the published MRPC figure is on dev
    mrpc_f1 = rows[("mrpc", "validation", "f1")]
    assert mrpc_f1["reference"]["value"] == 88.9 and mrpc_f1["gap_points"] == pytest.approx(mrpc_f1["mean"] * 100 - 88.9)
    assert [p.split(":")[0] for p in doc["problems"]] == ["nosuch", "rte"]
    table = (out / record.MARKDOWN_FILE).read_text()
    assert "| sst2 | validation | accuracy |" in table and "| mrpc | test | accuracy |" in table
    assert "nosuch: unknown dataset" in table

    # The model folder holds the best seed, with every seed's scores for its card.
    combined = json.loads((out / "sst2" / "model" / "results.json").read_text())
    assert sorted(combined["seeds"]) == [1, 2] and combined["per_seed"][0]["seed"] == sst2["best_seed"]
    assert combined["aggregate"]["validation"]["accuracy"]["mean"] == pytest.approx(sst2["mean"])


def test_a_dataset_without_a_labelled_split_is_named_and_the_others_still_run_one_per_device(tmp_path, tiny_bert,
                                                                                              real_data):
    """Also the multi-GPU path end to end on the CPU: each dataset in its own child process (devices
    "0" and "1" are only names here), and the parent assembles their units."""
    from hubkit.baselines import record
    from hubkit.baselines.sweep import SweepRequest, run_sweep

    train_only = tmp_path / "wikitext-2-train-only"  # real WikiText-2 lines, as a train file with no valid/test
    train_only.mkdir()
    lines = (real_data / "wikitext-2" / "wiki.valid.tokens").read_text().splitlines(keepends=True)
    (train_only / "wiki.train.tokens").write_text("".join(lines[:200]))
    said = []
    outcome = run_sweep(SweepRequest(datasets=("wikitext2", "mrpc"), output=tmp_path / "out", seeds=(3,),
                                     data_dirs={"wikitext2": str(train_only), "mrpc": str(real_data / "glue" / "MRPC")},
                                     model=str(tiny_bert), max_train_samples=16, max_eval_samples=24, n_resamples=20,
                                     devices=("0", "1")), say=said.append)
    assert outcome.problems == ["wikitext2: no labelled evaluation split (validation or test with labels); splits: "
                                "train"]
    assert f"failed: {outcome.problems[0]}" in said
    assert {row["dataset"] for row in outcome.doc["rows"]} == {"mrpc"}
    assert not (tmp_path / "out" / "wikitext2" / "source.json").exists()
    assert (tmp_path / "out" / "mrpc" / "seed-3.done.json").is_file()
    assert "mrpc seed 3: ok" in (tmp_path / "out" / "logs" / "mrpc.log").read_text()
    assert record.load(tmp_path / "out")["problems"] == outcome.problems


def test_a_diverging_seed_is_reported_as_diverged_and_the_sweep_goes_on(tmp_path, tiny_bert, real_data):
    from hubkit.baselines import record
    from hubkit.baselines.sweep import SweepRequest, run_sweep

    outcome = run_sweep(SweepRequest(datasets=("sst2", "mrpc"), output=tmp_path / "out", seeds=(1,),
                                     data_dirs={"sst2": str(real_data / "glue" / "SST-2"),
                                                "mrpc": str(real_data / "glue" / "MRPC")},
                                     recipe_overrides={"model": str(tiny_bert), "learning_rate": 1e30,
                                                       "warmup_ratio": 0.0, "batch_size": 4},
                                     max_train_samples=16, max_eval_samples=16, n_resamples=20))
    assert outcome.problems == []
    # sst2 diverged first, and mrpc still ran (and diverged too, at that learning rate).
    assert [row["dataset"] for row in outcome.doc["rows"]] == ["sst2", "mrpc"]
    for row in outcome.doc["rows"]:
        assert row["status"] == "diverged" and row["diverged_seeds"] == [1] and row["mean"] is None
    assert "non-finite" in json.loads((tmp_path / "out" / "mrpc" / "seed-1.done.json").read_text())["message"]
    assert record.load(tmp_path / "out")["rows"][0]["status"] == "diverged"
    assert "diverged (every seed)" in (tmp_path / "out" / record.MARKDOWN_FILE).read_text()


def test_squad_is_carved_by_article_and_wikitext2_trains_on_valid(real_data):
    from hubkit.baselines.splits import plan_splits
    from hubkit.datasets.prepare import prepare

    squad = prepare("squad", None, real_data / "squad-v1.1")
    plan = plan_splits("squad", squad.dataset, squad.task)
    articles = json.loads((real_data / "squad-v1.1" / "dev-v1.1.json").read_text())["data"]
    titles = [article["title"] for article in articles]
    assert len(titles) == 48
    assert list(dict.fromkeys(plan.dataset["train"]["title"])) == titles[:38]
    assert list(dict.fromkeys(plan.dataset["validation"]["title"])) == titles[38:]
    assert len(plan.dataset["train"]) + len(plan.dataset["validation"]) == len(squad.dataset["validation"])
    assert "first 38 articles" in plan.note and "last 10" in plan.note

    wikitext = prepare("wikitext2", None, real_data / "wikitext-2")
    plan = plan_splits("wikitext2", wikitext.dataset, wikitext.task)
    assert set(plan.dataset) == {"train", "test"}
    assert plan.dataset["train"]["text"] == wikitext.dataset["validation"]["text"]
    assert "validation" in plan.note and "test" in plan.note

    from hubkit.baselines.references import reference_for, references_for, reported_metrics

    assert references_for("wikitext2") == ()
    assert reference_for("conll2003", "validation", "overall_f1").value == 94.95
    assert reference_for("conll2003", "test", "overall_f1").value == 91.35
    assert "BERT-base" in reference_for("conll2003", "test", "overall_f1").note
    assert reported_metrics("squad", "f1") == ["f1", "exact_match"]
    assert reported_metrics("mrpc", "accuracy") == ["accuracy", "f1"]


def test_one_dataset_per_device_at_once(tmp_path):
    """The multi-GPU scheduler with real processes: each job sees only its device, a device runs one job
    at a time, and the devices run at once."""
    from hubkit.baselines.devices import run_one_per_device

    script = ("import os, sys, time, json; start = time.time(); time.sleep(1.0); "
              "open(sys.argv[1], 'w').write(json.dumps([os.environ['CUDA_VISIBLE_DEVICES'], start, time.time()]))")

    def launch(job, env):
        return subprocess.Popen([sys.executable, "-c", script + ("; sys.exit(3)" if job == "c" else ""),
                                 str(tmp_path / f"{job}.json")], env=env)

    statuses = run_one_per_device(["a", "b", "c", "d"], ["0", "1"], launch, poll_seconds=0.05)
    assert statuses == {"a": 0, "b": 0, "c": 3, "d": 0}
    runs = {job: json.loads((tmp_path / f"{job}.json").read_text()) for job in "abcd"}
    assert {runs["a"][0], runs["b"][0]} == {"0", "1"}
    for device in ("0", "1"):
        spans = sorted((start, end) for dev, start, end in runs.values() if dev == device)
        assert all(earlier[1] <= later[0] for earlier, later in zip(spans, spans[1:]))  # one at a time
    assert runs["a"][1] < runs["b"][2] and runs["b"][1] < runs["a"][2]  # both devices busy at once


def test_baselines_json_checks_refuse_what_a_reader_cannot_trust(tmp_path):
    from hubkit.baselines import record

    good = {"schema_version": 1, "sweep": {"seeds": [1]}, "rows": [], "problems": [], "leaderboards": {}}
    assert record.problems(good) == []
    assert "newer than this hubkit reads" in record.problems({**good, "schema_version": 2})[0]
    row = {key: None for key in record.ROW_FIELDS}
    assert any("rows[0].dataset" in p for p in record.problems({**good, "rows": [row]}))
    (tmp_path / record.JSON_FILE).write_text(json.dumps({**good, "rows": "x"}))
    with pytest.raises(record.BaselinesFileError, match="baselines.json: 'rows' is missing or not a list"):
        record.load(tmp_path)


def test_push_publishes_the_best_seed_with_mean_and_std_and_the_benchmark_leaderboards(tmp_path, tiny_bert,
                                                                                       real_data, hub):
    from huggingface_hub import HfApi, ModelCard

    from hubkit.baselines import record

    namespace = "acme"
    out = tmp_path / "pushed"
    result = subprocess.run(baselines_command("sst2", *glue(real_data)[:2], "--output-dir", out, "--model", tiny_bert,
                                              "--seeds", "1,2", "--push-to", namespace, *SMOKE),
                            capture_output=True, text=True, env=os.environ.copy(), timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    doc = record.load(out)
    (row,) = doc["rows"]
    model_repo = f"{namespace}/{tiny_bert.name}-sst2"
    assert row["model_repo"] == model_repo and row["dataset_repo"] == f"{namespace}/sst2-default"

    api = HfApi()
    card = ModelCard.load(model_repo)
    best_value = row["values"][row["seeds"].index(row["best_seed"])]
    # The claim is the pushed model's own score (the best seed), so `hub verify` can reproduce it;
    # the mean ± std over seeds stands beside it.
    assert (f"validation accuracy: {best_value:.4f}** (this model: seed {row['best_seed']}, the best of 2)"
            in card.text), card.text
    assert f"mean ± std over 2 seeds {row['mean']:.4f} ± {row['std']:.4f}" in card.text and "## Baselines" in card.text
    claimed = card.data.to_dict()["model-index"][0]["results"]
    assert {r["metrics"][0]["value"] for r in claimed
            if r["dataset"]["split"] == "validation" and r["metrics"][0]["type"] == "accuracy"} == {round(best_value, 4)}
    files = api.list_repo_files(model_repo)
    assert (api.hf_hub_download(model_repo, "best_seed.txt") and
            open(api.hf_hub_download(model_repo, "best_seed.txt")).read().strip() == str(row["best_seed"]))
    entries = [e for name in files if name.startswith(".eval_results/")
               for e in yaml.safe_load(open(api.hf_hub_download(model_repo, name)))]
    assert entries and {e["dataset"]["id"] for e in entries} == {row["dataset_repo"]}
    assert [e["value"] for e in entries] == [round(best_value, 4)] and "mean ± std over them" in entries[0]["notes"]
    board = api.get_dataset_leaderboard(row["dataset_repo"], base_model_only=False)
    assert model_repo in {entry.model_id for entry in board}

    space = f"{namespace}/sst2-default-leaderboard"
    built = json.loads(open(api.hf_hub_download(space, "leaderboard.json", repo_type="space")).read())
    assert model_repo in json.dumps(built)
    assert doc["leaderboards"]["sst2"]["space"].endswith(space)
    assert_nothing_machine_local([("dataset", row["dataset_repo"]), ("model", model_repo), ("space", space)],
                                 [tmp_path, real_data, tiny_bert])


def test_the_published_command_keeps_the_dataset_name_of_a_named_data_dir(tmp_path):
    """`--data-dir sst2=PATH` is published as `sst2=DATA_DIR`: the path is machine-local, the name is not."""
    from hubkit.portable import command

    local = str(tmp_path / "SST-2")
    published = command(["hubkit", "baselines", "sst2", "mrpc", "--data-dir", f"sst2={local}", "--data-dir", local])
    assert published == ["hubkit", "baselines", "sst2", "mrpc", "--data-dir", "sst2=DATA_DIR", "--data-dir", "DATA_DIR"]


def test_a_recipe_file_is_a_recorded_search_point_and_a_bad_one_is_one_line(tmp_path, tiny_bert, real_data):
    """``--recipe-file`` changes every listed dataset's recipe, and the table says which recipe ran."""
    from hubkit.baselines import record

    recipe = tmp_path / "lr3e-4.yaml"
    recipe.write_text("learning_rate: 3.0e-4\nepochs: 2\n")
    out = tmp_path / "search"
    args = ["sst2", *glue(real_data)[:2], "--output-dir", out, "--model", tiny_bert, "--seeds", "1", *SMOKE]
    subprocess.run(baselines_command(*args, "--recipe-file", recipe), check=True, capture_output=True,
                   env=os.environ.copy())
    doc = record.load(out)
    assert doc["sweep"]["recipe_overrides"] == {"learning_rate": 3.0e-4, "epochs": 2}
    assert {row["recipe"]["learning_rate"] for row in doc["rows"]} == {3.0e-4}
    assert {row["recipe"]["epochs"] for row in doc["rows"]} == {2}
    assert "- sst2: " in (markdown := (out / record.MARKDOWN_FILE).read_text())
    assert "learning_rate 0.0003, epochs 2" in markdown

    # Resuming the sweep with another recipe would mix two setups in one table: refused.
    recipe.write_text("learning_rate: 1.0e-4\n")
    mixed = subprocess.run(baselines_command(*args, "--recipe-file", recipe, "--resume"), capture_output=True,
                           text=True, env=os.environ.copy())
    assert mixed.returncode != 0 and "recipe_overrides" in mixed.stderr and "Traceback" not in mixed.stderr

    bad = tmp_path / "bad.yaml"
    bad.write_text("learning_rat: 1e-4\n")
    never = tmp_path / "never"
    refused = subprocess.run(baselines_command("sst2", *glue(real_data)[:2], "--output-dir", never, "--model", tiny_bert,
                                               "--recipe-file", bad, *SMOKE),
                             capture_output=True, text=True, env=os.environ.copy())
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    line = refused.stderr.strip().splitlines()[-1]
    assert line.startswith(f"Error: {bad}: unknown recipe field(s) learning_rat; known: ") and "learning_rate" in line
    assert not never.exists()
