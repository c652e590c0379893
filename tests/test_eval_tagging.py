"""Evaluation, comparison and cards go through the task-adapter interface, so token classification
works without code of its own: a tiny BERT trained on CoNLL-format data, evaluated twice, compared
with itself, and carded with an entity-type F1 figure."""

from __future__ import annotations

import json

from click.testing import CliRunner

from hubkit.cli import main
from helpers.data import write_conll
from helpers.training import tagging_request


def test_ner_eval_is_reproducible_comparable_and_carded(tiny_bert, tmp_path, one_thread):
    from hubkit.train.fine_tune import fine_tune

    data = write_conll(tmp_path / "conll", n_train=48, n_eval=12)
    fine_tune(tagging_request(data, tmp_path / "model", tiny_bert, epochs=2))
    runner = CliRunner()
    outputs = []
    for name in ("one", "two"):
        result = runner.invoke(main, ["eval", str(tmp_path / "model"), "conll2003", "--data-dir", str(data),
                                      "--output", str(tmp_path / name), "--bootstrap-resamples", "100"])
        assert result.exit_code == 0, result.output
        outputs.append(json.loads((tmp_path / name / "results.json").read_text()))
    first, second = outputs
    assert (tmp_path / "one/predictions.parquet").read_bytes() == (tmp_path / "two/predictions.parquet").read_bytes()
    assert first["metrics"] == second["metrics"] and "overall_f1" in first["metrics"]
    assert first["task"]["family"] == "token-classification" and "seqeval" in first["provenance"]["metric_modules"]
    assert set(first["details"]["f1_per_type"]) == {"PER", "ORG", "LOC"}
    verified = runner.invoke(main, ["eval", "--verify", str(tmp_path / "one/results.json")])
    assert verified.exit_code == 0, verified.output
    compared = runner.invoke(main, ["compare", str(tmp_path / "one/results.json"), str(tmp_path / "two/results.json"),
                                    "--json", "--bootstrap-resamples", "100"])
    assert compared.exit_code == 0, compared.output
    test = json.loads(compared.output)["paired_bootstrap"]["overall_f1"]
    assert test["difference"] == 0 and test["p_value"] == 1
    carded = runner.invoke(main, ["card", "model", str(tmp_path / "model"), "--data-dir", str(data)])
    assert carded.exit_code == 0, carded.output
    card = (tmp_path / "model/README.md").read_text()
    assert "pipeline_tag: token-classification" in card and "| B-PER |" in card
    assert (tmp_path / "model/plots/entity_type_f1_validation.png").read_bytes()[:4] == b"\x89PNG"
    assert "plots/entity_type_f1_validation.png" in card
