"""``hubkit transfer-curve`` with a tiny BERT on a synthetic SST-2-format folder: subsets, structure,
determinism, the files (the PNG opens), the card section through ``hubkit card``, and bad input.

The real claim (pre-trained above random initialisation on SST-2) is in
``test_transfer_curve_real.py``; here the model is too small and too untrained for that, so these
tests check the machinery with real training runs that take seconds.
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from hubkit.cli import main
from hubkit.train.recipes import Recipe
from hubkit.transfer_curve.subsets import apportion, optimizer_steps, repeats_for, stratified_subsets

from helpers.data import FILLER, NEGATIVE, POSITIVE, write_sst2

# Skewed classes (70 % positive): the stratified subsets must keep that share at every size.
CURVE_DATA = {"n_train": 300, "n_dev": 60, "positive_share": 0.7, "filler": (2, 6), "n_test": 1}


def curve_args(data: Path, model: Path, out: Path, *extra: str) -> list[str]:
    return ["transfer-curve", "sst2", "--data-dir", str(data), "--model", str(model), "--sizes", "16,128",
            "--seeds", "2", "--epochs", "4", "--learning-rate", "3e-3", "--batch-size", "16", "--min-steps", "60",
            "--output", str(out), "--no-progress", *extra]


def invoke(args: list[str]):
    return CliRunner().invoke(main, args, catch_exceptions=False)


# --- subsets -------------------------------------------------------------------------------------

def test_apportion_is_proportional_capped_and_monotone():
    sizes = [700, 250, 50]
    previous = [0, 0, 0]
    for n in range(1, 1001):
        counts = apportion(sizes, n)
        assert sum(counts) == n
        assert all(abs(c - n * s / 1000) < 1 for c, s in zip(counts, sizes)), (n, counts)
        assert all(c >= p for c, p in zip(counts, previous)), "growing a subset took an example away from a class"
        previous = counts
    assert apportion([1, 100], 60) == [1, 59]  # a class never gives more than it has...
    assert apportion([1, 2], 3) == [1, 2]  # ...even when all of the split is asked for


def test_stratified_subsets_are_nested_stratified_and_seeded():
    labels = [0] * 600 + [1] * 300 + [2] * 100
    random.Random(1).shuffle(labels)
    a = stratified_subsets(labels, 3, [10, 100, 500], seed=0)
    assert Counter(labels[i] for i in a[100]) == {0: 60, 1: 30, 2: 10}
    assert Counter(labels[i] for i in a[500]) == {0: 300, 1: 150, 2: 50}
    assert set(a[10]) <= set(a[100]) <= set(a[500])
    assert len(set(a[500])) == 500
    assert a == stratified_subsets(labels, 3, [10, 100, 500], seed=0)
    assert a[100] != stratified_subsets(labels, 3, [100], seed=1)[100]


@pytest.mark.parametrize("epochs, batch_size", [(3.0, 16), (1.0, 16), (2.5, 8)])
def test_small_subsets_are_cycled_to_the_minimum_steps_and_no_further(epochs, batch_size):
    recipe = Recipe(epochs=epochs, batch_size=batch_size)
    for size in (2, 7, 16, 32, 100, 128, 512, 2048):
        repeats = repeats_for(size, recipe, 50)
        assert optimizer_steps(size, recipe, 50) >= 50
        if repeats > 1:  # one repeat fewer would fall short of the minimum
            assert (repeats - 1) * size / batch_size * epochs < 50
    assert repeats_for(2048, recipe, 50) == 1 and repeats_for(32, recipe, 0) == 1
    assert optimizer_steps(32, Recipe(epochs=3, batch_size=16), 0) == 6


# --- the command, end to end ---------------------------------------------------------------------

def test_curve_files_structure_determinism_and_card(tmp_path, tiny_bert, one_thread):
    data = write_sst2(tmp_path / "sst2", **CURVE_DATA)
    # A `hubkit train` folder first: the curve goes into it, and its card must then show the curve.
    model_out = tmp_path / "model"
    trained = invoke(["train", "sst2", "--data-dir", str(data), "--model", str(tiny_bert), "--output-dir",
                      str(model_out), "--epochs", "1", "--bootstrap-resamples", "10", "--no-progress"])
    assert trained.exit_code == 0, trained.output
    result = invoke(curve_args(data, tiny_bert, model_out))
    assert result.exit_code == 0, result.output
    assert "hubkit card model" in result.output

    record = json.loads((model_out / "curve.json").read_text())
    assert record["sizes"] == [16, 128] and record["seeds"] == [0, 1] and record["metric"] == "accuracy"
    assert [v["name"] for v in record["variants"]] == ["pretrained", "random-init"]
    assert len(record["runs"]) == 2 * 2 * 2
    assert record["dataset"]["validation_examples"] == 60  # the full validation split
    train_counts = record["dataset"]["train_label_counts"]
    for seed in ("0", "1"):
        for size in (16, 128):
            expected = apportion([train_counts["negative"], train_counts["positive"]], size)
            assert list(record["subsets"][seed][str(size)]["label_counts"].values()) == expected
    assert record["subsets"]["0"]["128"]["digest"] != record["subsets"]["1"]["128"]["digest"]
    for variant, points in record["curve"].items():
        for point in points:
            values = [r["metrics"]["accuracy"] for r in record["runs"]
                      if r["variant"] == variant and r["train_examples"] == point["train_examples"]]
            assert point["values"] == values and point["mean"] == pytest.approx(sum(values) / 2)
    assert record["protocol"]["repeats"] == {"16": 15, "128": 2}  # 60 steps at 4 epochs of batch 16
    # The runs learnt the synthetic task (so the scores are of real predictions, not a constant).
    assert record["curve"]["pretrained"][-1]["mean"] > record["dataset"]["majority_baseline"] + 0.1
    # Random initialisation really starts elsewhere: same rows, same seed, a different training loss.
    by_key = {(r["variant"], r["train_examples"], r["seed"]): r for r in record["runs"]}
    for size in (16, 128):
        assert by_key[("pretrained", size, 0)]["train_loss"] != by_key[("random-init", size, 0)]["train_loss"]

    with open(model_out / "curve.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 8 and {"variant", "train_examples", "seed", "accuracy", "n_negative", "n_positive"} <= set(rows[0])
    assert [float(r["accuracy"]) for r in rows] == [r["metrics"]["accuracy"] for r in record["runs"]]

    from PIL import Image

    for png in (model_out / "curve.png", model_out / "card_sections" / "transfer_curve.png"):
        with Image.open(png) as image:
            image.verify()
            assert image.format == "PNG" and image.size == (700, 450)
    section = (model_out / "card_sections" / "transfer_curve.md").read_text()
    assert "](card_sections/transfer_curve.png)" in section and "| 128 |" in section

    carded = invoke(["card", "model", str(model_out)])
    assert carded.exit_code == 0, carded.output
    readme = (model_out / "README.md").read_text()
    assert "## Transfer learning curve" in readme and "card_sections/transfer_curve.png" in readme

    # The same command again gives the same subsets, losses and scores (and only the timings differ).
    again = tmp_path / "again"
    assert invoke(curve_args(data, tiny_bert, again)).exit_code == 0
    repeat = json.loads((again / "curve.json").read_text())
    strip = [{k: v for k, v in run.items() if k != "train_runtime_s"} for run in record["runs"]]
    assert [{k: v for k, v in run.items() if k != "train_runtime_s"} for run in repeat["runs"]] == strip
    assert repeat["subsets"] == record["subsets"]
    assert (again / "curve.png").read_bytes() == (model_out / "curve.png").read_bytes()
    assert not list(tmp_path.glob(".*transfer-curve*")), "a staging folder was left behind"


def test_domain_adapted_variant(tmp_path, tiny_bert, one_thread):
    data = write_sst2(tmp_path / "sst2", **CURVE_DATA)
    rng = random.Random(3)
    corpus = tmp_path / "reviews.txt"
    # Enough text for several optimizer steps: with 200 short lines MLM made one step, at the
    # warm-up's learning rate of 0, and "after" equalled "before" once both started from one init.
    corpus.write_text("\n".join(" ".join(rng.sample(FILLER + POSITIVE + NEGATIVE, 8)) for _ in range(1500)) + "\n")
    out = tmp_path / "out"
    args = curve_args(data, tiny_bert, out, "--pretrain-corpus", str(corpus), "--pretrain-epochs", "1")
    args[args.index("--sizes") + 1], args[args.index("--seeds") + 1] = "32", "1"
    result = invoke(args)
    assert result.exit_code == 0, result.output
    record = json.loads((out / "curve.json").read_text())
    assert [v["name"] for v in record["variants"]] == ["pretrained", "random-init", "domain-adapted"]
    pretrain = record["pretrain"]
    assert pretrain["corpus"]["documents"] == 1500
    # One epoch of MLM on the corpus must have taught the model something about it.
    assert pretrain["validation_perplexity_after"] < pretrain["validation_perplexity_before"]
    losses = {r["variant"]: r["train_loss"] for r in record["runs"]}
    assert losses["domain-adapted"] != losses["pretrained"]
    assert "domain-adapted" in (out / "card_sections" / "transfer_curve.md").read_text()
    assert sorted(p.name for p in out.iterdir()) == ["card_sections", "curve.csv", "curve.json", "curve.png"]


# --- bad input: one line, non-zero exit, nothing written ------------------------------------------

@pytest.mark.parametrize("sizes, message", [("16,400", "larger than the training split (300 examples)"),
                                            ("1,16", "smaller than the number of labels (2)")])
def test_sizes_the_data_cannot_give(tmp_path, tiny_bert, sizes, message):
    data = write_sst2(tmp_path / "sst2", **CURVE_DATA)
    out = tmp_path / "out"
    args = curve_args(data, tiny_bert, out)
    args[args.index("--sizes") + 1] = sizes
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sst2"]


@pytest.mark.parametrize("sizes", ["16,abc", "0,16", "16,16", ""])
def test_malformed_sizes(tmp_path, sizes):
    result = CliRunner().invoke(main, ["transfer-curve", "sst2", "--sizes", sizes, "--output", str(tmp_path / "o")])
    assert result.exit_code == 2 and "--sizes" in result.output
    assert not (tmp_path / "o").exists()


def test_refuses_to_overwrite_a_curve(tmp_path, tiny_bert):
    data = write_sst2(tmp_path / "sst2", **CURVE_DATA)
    out = tmp_path / "out"
    out.mkdir()
    (out / "curve.json").write_text("{}")
    result = CliRunner().invoke(main, curve_args(data, tiny_bert, out))
    assert result.exit_code == 1 and "already holds a transfer curve" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["curve.json"] and (out / "curve.json").read_text() == "{}"


def test_missing_dataset_files(tmp_path, tiny_bert):
    result = CliRunner().invoke(main, curve_args(tmp_path / "nowhere", tiny_bert, tmp_path / "out"))
    assert result.exit_code == 1 and result.output.startswith("Error: ")
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_unknown_model(tmp_path, hub):
    data = write_sst2(tmp_path / "sst2", **CURVE_DATA)
    result = CliRunner().invoke(main, curve_args(data, Path("acme/no-such-model"), tmp_path / "out"))
    assert result.exit_code == 1 and "acme/no-such-model" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sst2"]
