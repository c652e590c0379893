"""The language-modeling task family: blocks, masking, objectives, per-token losses, and
``hubkit train wikitext2`` on a small real WikiText-2 copy with a tiny BERT."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from hubkit.cli import main
from hubkit.datasets.spec import TaskSpec
from hubkit.train.errors import TrainingError
from hubkit.train.lm import LanguageModelingTask, infer_objective, token_losses
from hubkit.train.lm_blocks import BlockCollator, cut_blocks, special_wrapping, token_stream
from hubkit.train.recipes import Recipe

SPEC = TaskSpec("language-modeling", {"text": "text"})


def features():
    import datasets

    return datasets.Features({"text": datasets.Value("string")})


def texts_dataset(texts: list[str], split: str = "validation"):
    import datasets

    return datasets.Dataset.from_dict({"text": texts}, features=features(), split=split)


def sample_texts(n: int = 60, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    words = ["the", "river", "ran", "past", "old", "mill", "and", "a", "heron", "stood", "still", "in", "reeds",
             "while", "rain", "fell", "on", "stone", "bridge", "children", "watched", "from", "window"]
    return [" ".join(rng.choice(words) for _ in range(rng.randint(3, 25))) for _ in range(n)]


@pytest.fixture(scope="module")
def bert_tokenizer(tiny_bert):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_bert))


@pytest.fixture(scope="module")
def tiny_gpt2(tmp_path_factory) -> Path:
    """A 2-layer GPT-2 built from a config with a byte-level BPE trained here (pad = eos, as GPT-2's often is)."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from hubkit.train.scratch import train_tokenizer

    tokenizer = train_tokenizer(sample_texts(200), "clm", 300, 512)
    tokenizer.pad_token = tokenizer.eos_token
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), n_positions=128, n_embd=32, n_layer=2, n_head=2,
                                       eos_token_id=tokenizer.eos_token_id, bos_token_id=tokenizer.eos_token_id))
    folder = tmp_path_factory.mktemp("tiny-gpt2")
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_blocks_cover_the_whole_stream_wrapped_in_special_tokens(bert_tokenizer):
    texts = sample_texts(40)
    stream = token_stream(bert_tokenizer, texts + ["", "   "], bert_tokenizer.sep_token_id)
    separators = int((stream == bert_tokenizer.sep_token_id).sum())
    assert separators == len(texts)  # one per non-empty document, none for blank rows
    prefix, suffix = special_wrapping(bert_tokenizer)
    assert prefix == [bert_tokenizer.cls_token_id] and suffix == [bert_tokenizer.sep_token_id]
    blocks = cut_blocks(stream, 32, prefix, suffix)
    assert all(len(b) == 32 for b in blocks[:-1]) and 2 < len(blocks[-1]) <= 32
    assert all(b[0] == bert_tokenizer.cls_token_id and b[-1] == bert_tokenizer.sep_token_id for b in blocks)
    # The tail is kept: the blocks' contents are the stream, every token of it, in order.
    assert np.array_equal(np.concatenate([b[1:-1] for b in blocks]), stream[:sum(len(b) - 2 for b in blocks)])
    assert sum(len(b) - 2 for b in blocks) in (len(stream), len(stream) - 1)
    with pytest.raises(TrainingError, match="block size"):
        cut_blocks(stream, 3, prefix, suffix)


def test_validation_masks_are_fixed_while_training_masks_change(bert_tokenizer):
    import torch

    adapter = LanguageModelingTask(SPEC, features(), Recipe(block_size=48, objective="mlm"))
    raw = texts_dataset(sample_texts(80))
    first = adapter.tokenize(bert_tokenizer, raw, training=False)
    second = adapter.tokenize(bert_tokenizer, raw, training=False)
    assert first["input_ids"] == second["input_ids"] and first["labels"] == second["labels"]
    plain = adapter.tokenize(bert_tokenizer, raw, training=True)
    assert "labels" not in plain.column_names
    plain = {"input_ids": [row["input_ids"] for row in plain]}  # training blocks are read a row at a time
    masked_share = []
    for ids, labels, original in zip(first["input_ids"], first["labels"], plain["input_ids"]):
        labels, ids, original = np.asarray(labels), np.asarray(ids), np.asarray(original)
        chosen = labels != -100
        assert chosen.any()  # every block has something to score
        assert np.array_equal(labels[chosen], original[chosen])  # labels are the hidden tokens
        assert not np.isin(original[chosen], bert_tokenizer.all_special_ids).any()
        assert (ids[chosen] == bert_tokenizer.mask_token_id).mean() > 0.5
        assert np.array_equal(ids[~chosen], original[~chosen])
        masked_share.append(chosen.mean())
    assert 0.10 < float(np.mean(masked_share)) < 0.20
    collator = adapter.collator(bert_tokenizer)
    rows = [{"input_ids": ids} for ids in plain["input_ids"][:8]]
    torch.manual_seed(1)
    one = collator(rows)["labels"]
    torch.manual_seed(2)
    two = collator(rows)["labels"]
    assert not torch.equal(one, two)


def test_clm_labels_keep_end_of_text_even_when_it_is_the_pad_token(tiny_gpt2):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_gpt2))
    assert tokenizer.pad_token_id == tokenizer.eos_token_id
    collator = BlockCollator(tokenizer, "clm", 0.15)
    eos = tokenizer.eos_token_id
    batch = collator([{"input_ids": [5, 6, eos, 7, 8]}, {"input_ids": [9, eos]}])
    assert batch["labels"].tolist() == [[5, 6, eos, 7, 8], [9, eos, -100, -100, -100]]
    assert batch["attention_mask"].tolist() == [[1] * 5, [1, 1, 0, 0, 0]]


def test_per_token_losses_agree_with_the_models_own_loss(tiny_gpt2):
    import torch
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_gpt2))
    adapter = LanguageModelingTask(SPEC, features(), Recipe(block_size=40))
    model = adapter.load_model(str(tiny_gpt2))
    assert adapter.objective == "clm" and adapter.pipeline_tag == "text-generation"
    blocks = adapter.tokenize(tokenizer, texts_dataset(sample_texts(30)), training=False)
    result = token_losses(model, blocks, adapter.collator(tokenizer), 4, causal=True)
    assert result["tokens"] == [n - 1 for n in blocks["length"]]  # the first token of a block has no context
    with torch.no_grad():
        for index in (0, len(blocks) - 1):
            ids = torch.tensor([blocks[index]["input_ids"]])
            expected = model(input_ids=ids, labels=ids).loss.item()
            assert np.mean(result["token_losses"][index]) == pytest.approx(expected, rel=1e-4)
    scores = adapter.score(result, n_resamples=50, seed=0)
    total = sum(sum(x) for x in result["token_losses"])
    assert scores["perplexity"] == pytest.approx(math.exp(total / sum(result["tokens"])), rel=1e-9)
    low, high = scores["confidence_intervals"]["perplexity"]
    assert low <= scores["perplexity"] <= high


def test_the_objective_follows_the_model_and_a_wrong_head_is_refused(tiny_bert, tiny_gpt2):
    from transformers import AutoConfig, BertConfig

    assert infer_objective(AutoConfig.from_pretrained(tiny_bert)) == "mlm"
    assert infer_objective(AutoConfig.from_pretrained(tiny_gpt2)) == "clm"
    assert infer_objective(BertConfig(architectures=["BertLMHeadModel"])) == "clm"
    adapter = LanguageModelingTask(SPEC, features(), Recipe(objective="mlm"))
    with pytest.raises(TrainingError, match="no MLM head"):
        adapter.load_model(str(tiny_gpt2))
    with pytest.raises(TrainingError, match="objective"):
        LanguageModelingTask(SPEC, features(), Recipe(objective="seq2seq"))
    with pytest.raises(TrainingError, match="block size 600"):
        LanguageModelingTask(SPEC, features(), Recipe(block_size=600)).load_model(str(tiny_bert))


def test_hubkit_train_wikitext2_with_a_tiny_bert(tmp_path, tiny_bert, real_data):
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    from hubkit.datasets.prepare import prepare

    source = real_data / "wikitext-2"
    valid = (source / "wiki.valid.tokens").read_text(encoding="utf-8").splitlines(keepends=True)
    test = (source / "wiki.test.tokens").read_text(encoding="utf-8").splitlines(keepends=True)
    data = tmp_path / "wikitext-2"
    data.mkdir()
    (data / "wiki.train.tokens").write_text("".join(valid[:100]), encoding="utf-8")
    (data / "wiki.valid.tokens").write_text("".join(valid[150:180]), encoding="utf-8")
    (data / "wiki.test.tokens").write_text("".join(test[:30]), encoding="utf-8")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("block_size: 64\nlearning_rate: 0.003\nepochs: 2\nbatch_size: 16\nwarmup_ratio: 0.0\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["train", "wikitext2", "--data-dir", str(data), "--model", str(tiny_bert),
                                       "--output-dir", str(out), "--recipe-file", str(recipe), "--no-progress",
                                       "--bootstrap-resamples", "100"])
    assert result.exit_code == 0, result.output
    assert "validation perplexity" in result.output
    results = json.loads((out / "results.json").read_text())
    assert results["task"]["family"] == "language-modeling" and results["task"]["pipeline_tag"] == "fill-mask"
    logged = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    losses = [row["loss"] for row in logged if "loss" in row]
    assert losses[-1] < losses[0] - 0.3

    # The same validation blocks (same fixed masks) scored by the untrained model, and by the saved one.
    adapter = LanguageModelingTask(SPEC, features(), Recipe(block_size=64))
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_bert))
    untrained = adapter.load_model(str(tiny_bert))
    blocks = adapter.tokenize(tokenizer, prepare("wikitext2", None, data).dataset["validation"], training=False)
    collator = adapter.collator(tokenizer)
    at_init = adapter.score(token_losses(untrained, blocks, collator, 16, causal=False), 0, 0)["perplexity"]
    reported = results["per_seed"][0]["metrics"]["validation"]
    assert math.isfinite(reported["perplexity"]) and reported["perplexity"] < 0.75 * at_init
    assert reported["tokens_scored"] == sum(np.sum(np.asarray(labels) != -100) for labels in blocks["labels"])
    saved = AutoModelForMaskedLM.from_pretrained(out)
    again = adapter.score(token_losses(saved, blocks, collator, 16, causal=False), 0, 0)["perplexity"]
    assert again == pytest.approx(reported["perplexity"], rel=1e-4)
    assert math.isfinite(results["per_seed"][0]["metrics"]["test"]["perplexity"])

    # hubkit eval scores the same blocks, and compare pairs two language models block by block.
    from hubkit.evaluation.compare import compare

    for name, model in (("trained", out), ("untrained", tiny_bert)):
        scored = CliRunner().invoke(main, ["eval", str(model), "wikitext2", "--data-dir", str(data), "--output",
                                           str(tmp_path / name), "--block-size", "64", "--bootstrap-resamples", "200"])
        assert scored.exit_code == 0, scored.output
    evaluated = json.loads((tmp_path / "trained" / "results.json").read_text())
    assert evaluated["metrics"]["perplexity"] == pytest.approx(reported["perplexity"], rel=1e-4)
    assert evaluated["predictions"]["rows"] == len(blocks)
    report = compare(tmp_path / "trained" / "results.json", tmp_path / "untrained" / "results.json", n_resamples=500)
    assert report["unit"] == "token blocks" and report["shared_examples"] == len(blocks)
    paired = report["paired_bootstrap"]["perplexity"]
    # (the untrained MLM head is freshly initialised on each load, so B is only near at_init)
    assert paired["a"] == pytest.approx(reported["perplexity"], rel=1e-4) and paired["b"] > 0.9 * at_init
    assert paired["difference"] < 0 and paired["high"] < 0 and paired["p_value"] < 0.05
