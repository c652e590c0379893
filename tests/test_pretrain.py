"""``hubkit pretrain``: causal and masked LMs from scratch with trained tokenizers, continued MLM
from a checkpoint, reproducibility, fine-tuning the result with ``hubkit train``, and bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from hubkit.cli import main
from helpers.data import write_corpus, write_sst2
from helpers.training import losses

def pretrain(*args) -> object:
    return CliRunner().invoke(main, ["pretrain", *map(str, args), "--no-progress", "--bootstrap-resamples", "100"])


def validation(folder: Path) -> dict:
    return json.loads((folder / "results.json").read_text())["per_seed"][0]["metrics"]["validation"]


CLM_ARGS = ["--objective", "clm", "--size", "tiny", "--vocab-size", 400, "--block-size", 32, "--epochs", 2,
            "--learning-rate", 2e-3]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus") / "corpus.txt")


@pytest.fixture(scope="module")
def clm_run(tmp_path_factory, corpus) -> Path:
    out = tmp_path_factory.mktemp("clm") / "out"
    result = pretrain(corpus, *CLM_ARGS, "--output-dir", out)
    assert result.exit_code == 0, result.output
    return out


def test_a_causal_lm_from_scratch_learns_the_corpus(clm_run):
    from transformers import AutoTokenizer

    results = json.loads((clm_run / "results.json").read_text())
    assert results["task"] == {"family": "language-modeling", "objective": "clm", "pipeline_tag": "text-generation",
                               "primary_metric": "perplexity", "labels": []}
    tokenizer = AutoTokenizer.from_pretrained(clm_run)
    assert len(tokenizer) == 400 == results["tokenizer"]["vocab_size"]  # the requested vocabulary, reached
    assert results["tokenizer"]["algorithm"] == "byte-level-bpe"
    assert tokenizer.decode(tokenizer("two  spaces\nand a line")["input_ids"]) == "two  spaces\nand a line"
    logged = losses(clm_run)
    assert len(logged) >= 4 and logged[-1] < logged[0] - 0.5
    scores = validation(clm_run)
    assert math.isfinite(scores["perplexity"])
    assert scores["perplexity"] < scores["perplexity_at_init"] / 2
    assert scores["perplexity"] < 400 / 4  # far better than a uniform guess over the vocabulary
    assert results["corpus"]["validation_documents"] >= 1 and results["corpus"]["train_documents_used"] > 60
    assert not list(clm_run.parent.glob(".*partial*")) and not (clm_run / "checkpoints").exists()


def test_the_saved_model_reproduces_the_reported_perplexity(clm_run, corpus):
    import datasets
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from hubkit.datasets.spec import TaskSpec
    from hubkit.train.corpus import open_corpus
    from hubkit.train.lm import LanguageModelingTask, token_losses
    from hubkit.train.recipes import Recipe

    held_out = list(open_corpus(corpus, validation_fraction=0.05).validation["text"])
    features = datasets.Features({"text": datasets.Value("string")})
    adapter = LanguageModelingTask(TaskSpec("language-modeling", {"text": "text"}), features,
                                   Recipe(block_size=32, objective="clm"))
    tokenizer = AutoTokenizer.from_pretrained(clm_run)
    blocks = adapter.tokenize(tokenizer, datasets.Dataset.from_dict({"text": held_out}, features=features), False)
    model = AutoModelForCausalLM.from_pretrained(clm_run)
    scores = adapter.score(token_losses(model, blocks, adapter.collator(tokenizer), 8, causal=True), 0, 0)
    assert scores["perplexity"] == pytest.approx(validation(clm_run)["perplexity"], rel=1e-4)


def test_the_same_seed_gives_the_same_perplexity(tmp_path, clm_run, corpus):
    again = tmp_path / "again"
    assert pretrain(corpus, *CLM_ARGS, "--output-dir", again).exit_code == 0
    assert validation(again)["perplexity"] == validation(clm_run)["perplexity"]
    assert losses(again) == losses(clm_run)


def test_masked_lm_from_scratch_then_fine_tuned_with_hubkit_train(tmp_path, corpus):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, BertForMaskedLM

    out = tmp_path / "mlm"
    result = pretrain(corpus, "--objective", "mlm", "--size", "tiny", "--train-tokenizer", "--vocab-size", 300,
                      "--block-size", 32, "--epochs", 2, "--learning-rate", 2e-3, "--output-dir", out)
    assert result.exit_code == 0, result.output
    assert "validation perplexity" in result.output
    results = json.loads((out / "results.json").read_text())
    assert results["task"]["pipeline_tag"] == "fill-mask" and results["tokenizer"]["algorithm"] == "wordpiece"
    assert len(AutoTokenizer.from_pretrained(out)) == 300
    scores = validation(out)
    assert scores["perplexity"] < scores["perplexity_at_init"] and scores["perplexity"] < 300
    logged = losses(out)
    assert logged[-1] < logged[0]

    sst2 = write_sst2(tmp_path / "sst2", n_train=96, n_dev=24, seed=1, n_test=1)
    tuned = tmp_path / "tuned"
    result = CliRunner().invoke(main, ["train", "sst2", "--data-dir", str(sst2), "--model", str(out), "--output-dir",
                                       str(tuned), "--epochs", "1", "--learning-rate", "1e-3", "--no-progress",
                                       "--bootstrap-resamples", "50"])
    assert result.exit_code == 0, result.output
    accuracy = json.loads((tuned / "results.json").read_text())["per_seed"][0]["metrics"]["validation"]["accuracy"]
    predictions = [json.loads(line) for line in (tuned / "predictions_validation.jsonl").read_text().splitlines()]
    assert len(predictions) == 24  # every dev row scored once
    assert accuracy == pytest.approx(sum(p["predictions"] == p["references"] for p in predictions) / 24)
    # The classifier starts from the pre-trained encoder, not from a fresh one.
    pretrained = BertForMaskedLM.from_pretrained(out).bert.embeddings.word_embeddings.weight.detach().numpy()
    classifier = AutoModelForSequenceClassification.from_pretrained(tuned)
    assert classifier.config.vocab_size == 300
    fine_tuned = classifier.bert.embeddings.word_embeddings.weight.detach().numpy()
    cosine = float((pretrained * fine_tuned).sum() / np.linalg.norm(pretrained) / np.linalg.norm(fine_tuned))
    assert cosine > 0.9


def test_continued_mlm_from_a_checkpoint_lowers_its_perplexity(tmp_path, tiny_bert, corpus):
    out = tmp_path / "adapted"
    result = pretrain(corpus, "--objective", "mlm", "--from", tiny_bert, "--block-size", 32, "--epochs", 1,
                      "--learning-rate", 3e-3, "--max-train-samples", 40, "--output-dir", out)
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    # Named relative to the output folder, as fine-tuning does: results.json travels with a pushed model.
    assert results["start"] == "checkpoint" and (out / results["base_model"]["id"]).resolve() == tiny_bert.resolve()
    assert str(tmp_path) not in (out / "results.json").read_text() + (out / "README.md").read_text()
    assert results["corpus"]["train_documents_used"] == 40
    scores = validation(out)
    assert scores["perplexity"] < scores["perplexity_at_init"]


def test_a_corpus_folder_is_read_in_order_and_split_at_its_end(tmp_path):
    from hubkit.train.corpus import open_corpus

    folder = tmp_path / "texts"
    (folder / "b").mkdir(parents=True)
    (folder / "a.txt").write_text("one per line\nsecond line\n")
    (folder / "b" / "c.txt").write_text("first para\nstill first\n\n\nsecond para\n")
    (folder / "ignored.md").write_text("not a text file")
    corpus = open_corpus(folder, validation_fraction=0.15)
    assert list(corpus.train["text"]) == ["one per line", "second line", "first para\nstill first"]
    assert list(corpus.validation["text"]) == ["second para"]
    assert [f["name"] for f in corpus.identity["files"]] == ["a.txt", "b/c.txt"]


@pytest.mark.parametrize("args, message", [
    (["--size", "tiny", "--from", "x"], "not both"),
    (["--size", "tiny", "--vocab-size", 100], "too small"),
    (["--from", "x", "--train-tokenizer"], "needs --size"),
    ([], "needs --from"),
])
def test_contradictory_options_are_refused_before_any_work(tmp_path, corpus, args, message):
    out = tmp_path / "out"
    result = pretrain(corpus, "--objective", "clm", *args, "--output-dir", out)
    assert result.exit_code == 1 and message in result.output and len(result.output.strip().splitlines()) == 1
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == []


def test_bad_corpora_and_outputs_fail_with_one_line(tmp_path, corpus):
    out = tmp_path / "out"
    cases = [(tmp_path / "missing.txt", "does not exist")]
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n\n")
    cases.append((empty, "holds no text"))
    binary = tmp_path / "latin1.txt"
    binary.write_bytes("caf\xe9 au lait\nsecond\n".encode("latin-1"))
    cases.append((binary, "not UTF-8"))
    for path, message in cases:
        result = pretrain(path, "--objective", "mlm", "--size", "tiny", "--output-dir", out)
        assert result.exit_code == 1 and message in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
    # WordPiece keeps every character of the corpus: 30 tokens cannot hold them.
    result = pretrain(corpus, "--objective", "mlm", "--size", "tiny", "--vocab-size", 30, "--output-dir", out)
    assert result.exit_code == 1 and "too small for this corpus" in result.output
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = pretrain(corpus, "--objective", "mlm", "--size", "tiny", "--output-dir", out)
    assert result.exit_code == 1 and "not empty" in result.output
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", "empty.txt", "latin1.txt"])


def test_a_diverging_loss_stops_the_run_and_leaves_nothing(tmp_path, corpus, clm_run):
    out = tmp_path / "out"
    result = pretrain(corpus, *CLM_ARGS[:-2], "--learning-rate", 1e30, "--max-train-samples", 60,
                      "--output-dir", out)
    error = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert result.exit_code == 1 and len(error) == 1, result.output
    assert "loss became" in error[0] and "nan" in error[0], error
    assert list(tmp_path.iterdir()) == []
    # A decoder has no masked-LM head.
    result = pretrain(corpus, "--objective", "mlm", "--from", clm_run, "--output-dir", out)
    assert result.exit_code == 1 and "no MLM head" in result.output, result.output
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_checkpoint_is_one_line(tmp_path, corpus, hub):
    out = tmp_path / "out"
    result = pretrain(corpus, "--objective", "mlm", "--from", "acme/no-such-model", "--output-dir", out)
    assert result.exit_code == 1 and "acme/no-such-model" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and list(tmp_path.iterdir()) == []
