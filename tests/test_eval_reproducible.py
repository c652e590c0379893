"""``hubkit eval``, ``--verify`` and ``hubkit compare`` on real tiny models trained on SST-2-format data.

Two models are trained once per module (tiny BERT, 48 sentences): A for one epoch, B for four at
a higher learning rate, so their predictions differ and a comparison has something to find.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from helpers.cli import hubkit
from helpers.data import write_small_sst2
from helpers.training import fine_tune_sst2


@pytest.fixture(scope="module")
def sst2(tmp_path_factory) -> Path:
    return write_small_sst2(tmp_path_factory.mktemp("sst2"))


@pytest.fixture(scope="module")
def model_a(tiny_bert, sst2, tmp_path_factory) -> Path:
    return fine_tune_sst2(tiny_bert, sst2, tmp_path_factory.mktemp("model-a") / "out", epochs=1, learning_rate=2e-4)


@pytest.fixture(scope="module")
def model_b(tiny_bert, sst2, tmp_path_factory) -> Path:
    return fine_tune_sst2(tiny_bert, sst2, tmp_path_factory.mktemp("model-b") / "out", epochs=4, learning_rate=2e-3)


def evaluate(model: Path, sst2: Path, out: Path, *extra: str):
    result = hubkit("eval", model, "sst2", "--data-dir", sst2, "--output", out, "--bootstrap-resamples", "300", *extra)
    assert result.exit_code == 0, result.output
    return json.loads((out / "results.json").read_text())


def test_same_eval_twice_is_byte_identical_and_fully_recorded(model_a, sst2, tmp_path):
    first = evaluate(model_a, sst2, tmp_path / "one")
    second = evaluate(model_a, sst2, tmp_path / "two")
    assert (tmp_path / "one/predictions.parquet").read_bytes() == (tmp_path / "two/predictions.parquet").read_bytes()
    assert first["metrics"] == second["metrics"] and first["confidence_intervals"] == second["confidence_intervals"]
    table = pq.read_table(tmp_path / "one/predictions.parquet")
    assert table.num_rows == 32 == first["dataset"]["num_examples"]
    assert table.column("row").to_pylist() == list(range(32))
    references = [int(line.split("\t")[1]) for line in (sst2 / "dev.tsv").read_text().splitlines()[1:]]
    assert table.column("references").to_pylist() == references  # input order restored after length batching
    accuracy = sum(p == r for p, r in zip(table.column("predictions").to_pylist(), references)) / 32
    assert first["metrics"]["accuracy"] == pytest.approx(accuracy)
    low, high = first["confidence_intervals"]["accuracy"]
    assert low <= accuracy <= high
    p = first["provenance"]
    assert first["schema_version"] == 1 and first["kind"] == "evaluation"
    assert len(first["model"]["content_sha256"]) == 64 and first["model"]["source"] == "local"
    assert {s["location"] for s in first["dataset"]["sources"]} == {"train.tsv", "dev.tsv", "test.tsv"}
    assert first["dataset"]["builder_version"] == "1.0.0" and first["dataset"]["split"] == "validation"
    assert {"accuracy", "f1", "matthews_correlation"} <= set(p["metric_modules"])
    assert all(len(m["sha256"]) == 64 for m in p["metric_modules"].values())
    assert {"hubkit", "transformers", "torch", "datasets", "evaluate"} <= set(p["versions"])
    assert p["device"]["device"] == "cpu" and p["dtype"] == "float32" and p["batch_size"] == 32 and p["seed"] == 42
    assert p["command"] and all(isinstance(arg, str) for arg in p["command"])  # this process's argv
    assert first["request"]["revision"] is None and first["request"]["split"] == "validation"
    assert (tmp_path / "one/README.md").is_file() and (tmp_path / "one/.eval_results").is_dir()


def test_verify_passes_on_a_real_result_and_fails_on_a_doctored_one(model_a, sst2, tmp_path):
    evaluate(model_a, sst2, tmp_path / "real")
    ok = hubkit("eval", "--verify", tmp_path / "real/results.json")
    assert ok.exit_code == 0, ok.output
    assert "reproduces" in ok.output and "MISMATCH" not in ok.output
    results = json.loads((tmp_path / "real/results.json").read_text())
    results["metrics"]["accuracy"] = round(results["metrics"]["accuracy"] + 0.05, 6)
    (tmp_path / "real/results.json").write_text(json.dumps(results))
    bad = hubkit("eval", "--verify", tmp_path / "real/results.json")
    assert bad.exit_code == 1
    assert any(line.startswith("MISMATCH accuracy ") for line in bad.output.splitlines())
    assert "does not reproduce" in bad.output
    loose = hubkit("eval", "--verify", tmp_path / "real/results.json", "--tolerance", "0.1")
    assert loose.exit_code == 0, loose.output


def test_compare_pairs_examples_and_reports_differences_with_tests(model_a, model_b, sst2, tmp_path):
    a = evaluate(model_a, sst2, tmp_path / "a")
    b = evaluate(model_b, sst2, tmp_path / "b")
    result = hubkit("compare", tmp_path / "a/results.json", tmp_path / "b/results.json", "--json",
                 "--bootstrap-resamples", "500")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["shared_examples"] == 32 and report["only_a"] == report["only_b"] == 0
    accuracy = report["paired_bootstrap"]["accuracy"]
    assert accuracy["a"] == pytest.approx(a["metrics"]["accuracy"]) and accuracy["b"] == pytest.approx(b["metrics"]["accuracy"])
    assert accuracy["difference"] == pytest.approx(a["metrics"]["accuracy"] - b["metrics"]["accuracy"])
    assert accuracy["low"] <= accuracy["difference"] <= accuracy["high"] and 0 < accuracy["p_value"] <= 1
    pa_, pb = (pq.read_table(tmp_path / x / "predictions.parquet") for x in ("a", "b"))
    refs = pa_.column("references").to_pylist()
    only_a = sum(x == r != y for x, y, r in zip(pa_.column("predictions").to_pylist(), pb.column("predictions").to_pylist(), refs))
    only_b = sum(y == r != x for x, y, r in zip(pa_.column("predictions").to_pylist(), pb.column("predictions").to_pylist(), refs))
    assert (report["mcnemar"]["only_a_correct"], report["mcnemar"]["only_b_correct"]) == (only_a, only_b)
    assert only_a + only_b > 0, "the two models should disagree somewhere"
    text = hubkit("compare", tmp_path / "a/results.json", tmp_path / "b/results.json")
    assert "McNemar" in text.output and "accuracy" in text.output


def test_compare_uses_only_shared_examples(model_a, model_b, sst2, tmp_path):
    evaluate(model_a, sst2, tmp_path / "a", "--max-samples", "20")
    evaluate(model_b, sst2, tmp_path / "b")
    report = json.loads(hubkit("compare", tmp_path / "a/results.json", tmp_path / "b/results.json", "--json").output)
    assert (report["shared_examples"], report["only_a"], report["only_b"]) == (20, 0, 12)


def test_compare_takes_the_results_json_that_train_wrote(model_a, model_b, sst2, tmp_path):
    """Train's own predictions pair with an evaluation's by example hash: the same model scored by
    train and by eval agrees on every example, and a train result compares with another model."""
    evaluate(model_a, sst2, tmp_path / "a")
    evaluate(model_b, sst2, tmp_path / "b")
    trained = json.loads((model_a / "results.json").read_text())
    same = hubkit("compare", model_a / "results.json", tmp_path / "a/results.json", "--json")
    assert same.exit_code == 0, same.output
    same = json.loads(same.output)
    assert (same["shared_examples"], same["only_a"], same["only_b"]) == (32, 0, 0)
    assert same["mcnemar"]["only_a_correct"] == same["mcnemar"]["only_b_correct"] == 0
    accuracy = same["paired_bootstrap"]["accuracy"]
    assert accuracy["a"] == pytest.approx(trained["per_seed"][0]["metrics"]["validation"]["accuracy"])
    assert accuracy["difference"] == 0
    versus = json.loads(hubkit("compare", model_a / "results.json", model_b / "results.json", "--json",
                               "--split", "validation").output)
    plain = json.loads(hubkit("compare", tmp_path / "a/results.json", tmp_path / "b/results.json", "--json").output)
    assert versus["paired_bootstrap"] == plain["paired_bootstrap"] and versus["mcnemar"] == plain["mcnemar"]
    for args, message in [(["--split", "test"], "scored no split 'test'"), (["--train-seed", "7"], "no seed 7"),
                          (["--split", "train"], "scored no split 'train'")]:
        refused = hubkit("compare", model_a / "results.json", tmp_path / "b/results.json", *args)
        assert refused.exit_code == 1 and message in refused.output, refused.output
    wrong_split = hubkit("compare", tmp_path / "a/results.json", tmp_path / "b/results.json", "--split", "test")
    assert wrong_split.exit_code == 1 and "scored split 'validation', not 'test'" in wrong_split.output


def test_bad_input_is_one_line_nonzero_and_writes_nothing(model_a, sst2, tmp_path):
    cases = [
        (["eval", model_a, "nosuchset", "--output", tmp_path / "x"], "unknown dataset"),
        (["eval", model_a, "sst2", "--data-dir", tmp_path / "missing", "--output", tmp_path / "x"], "--data-dir"),
        (["eval", model_a, "sst2", "--data-dir", sst2, "--split", "test", "--output", tmp_path / "x"], "unlabelled"),
        (["eval", model_a, "sst2", "--data-dir", sst2, "--split", "dev", "--output", tmp_path / "x"], "no split 'dev'"),
        (["eval", tmp_path / "no-model", "sst2", "--data-dir", sst2, "--output", tmp_path / "x"], "neither"),
        (["eval", "--verify", tmp_path / "nothing.json"], "no such results file"),
        (["compare", tmp_path / "nothing.json", tmp_path / "nothing.json"], "no such results file"),
    ]
    for args, message in cases:
        result = hubkit(*args)
        assert result.exit_code == 1, (args, result.output)
        error_lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(error_lines) == 1 and message in error_lines[0], result.output
        assert not (tmp_path / "x").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".x")], "a staging folder was left behind"


def test_an_existing_output_needs_overwrite_and_a_local_model_cannot_be_pushed(model_a, sst2, tmp_path):
    evaluate(model_a, sst2, tmp_path / "out")
    again = hubkit("eval", model_a, "sst2", "--data-dir", sst2, "--output", tmp_path / "out")
    assert again.exit_code == 1 and "--overwrite" in again.output
    pushed = hubkit("eval", model_a, "sst2", "--data-dir", sst2, "--output", tmp_path / "p", "--push")
    assert pushed.exit_code == 1 and "local folder" in pushed.output


def test_a_doctored_predictions_file_is_caught_by_compare_and_verify(model_a, sst2, tmp_path):
    import pyarrow as pa

    evaluate(model_a, sst2, tmp_path / "a")
    table = pq.read_table(tmp_path / "a/predictions.parquet")
    flipped = table.set_column(table.column_names.index("predictions"), "predictions",
                               pa.array([1 - p for p in table.column("predictions").to_pylist()]))
    pq.write_table(flipped, tmp_path / "a/predictions.parquet")
    compared = hubkit("compare", tmp_path / "a/results.json", tmp_path / "a/results.json")
    assert compared.exit_code == 1 and "changed after the run" in compared.output
    verified = hubkit("eval", "--verify", tmp_path / "a/results.json")
    assert verified.exit_code == 1 and "MISMATCH predictions file" in verified.output
