"""Pre-training whose memory does not grow with the corpus: blocks cut from a token stream on disk a
batch at a time (the same blocks as one cut of the whole stream), the on-disk block cache, the
tokenizer trained on a capped iterator, and a streamed corpus trained for ``--max-steps``."""

from __future__ import annotations

import json
import random
from pathlib import Path

import datasets
import numpy as np
import pytest
from click.testing import CliRunner

from hubkit.cli import main
from hubkit.datasets.spec import TaskSpec
from hubkit.train import lm_blocks
from hubkit.train.lm import LanguageModelingTask, block_hashes
from hubkit.train.lm_blocks import cut_blocks, document_separator, mask_eval_blocks, special_wrapping, token_stream
from hubkit.train.recipes import Recipe
from helpers.data import write_corpus

SPEC = TaskSpec("language-modeling", {"text": "text"})
FEATURES = datasets.Features({"text": datasets.Value("string")})
CLM_ARGS = ["--objective", "clm", "--size", "tiny", "--vocab-size", 400, "--block-size", 32, "--learning-rate", 2e-3]


def texts(n: int = 90, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    words = ["the", "river", "ran", "past", "old", "mill", "and", "a", "heron", "stood", "still", "in", "reeds"]
    rows = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 40))) for _ in range(n)]
    rows[5] = rows[17] = "   "  # blank documents are skipped, as before
    return rows


def dataset(rows: list[str]):
    return datasets.Dataset.from_dict({"text": rows}, features=FEATURES, split="validation")


def as_arrays(blocks, column: str = "input_ids") -> list[np.ndarray]:
    return [np.asarray(row) for row in blocks[column]]


@pytest.fixture(scope="module")
def bert_tokenizer(tiny_bert):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_bert))


@pytest.mark.parametrize("objective", ["mlm", "clm"])
def test_blocks_cut_a_batch_at_a_time_are_the_blocks_of_one_whole_stream(bert_tokenizer, monkeypatch, objective):
    """Small batches force the remainder of every batch to be carried into the next; the blocks (and the
    fixed validation masks, chunk by chunk) must be those of the whole split cut at once."""
    rows = texts()
    prefix, suffix = special_wrapping(bert_tokenizer)
    whole = cut_blocks(token_stream(bert_tokenizer, rows, document_separator(bert_tokenizer, objective)), 24, prefix,
                       suffix)
    assert len(whole) > 40
    monkeypatch.setattr(lm_blocks, "CUT_BATCH", 7)
    monkeypatch.setattr(lm_blocks, "BLOCK_CHUNK", 16)
    adapter = LanguageModelingTask(SPEC, FEATURES, Recipe(block_size=24, objective=objective))
    built = adapter.tokenize(bert_tokenizer, dataset(rows), training=False)
    assert built.cache_files, "blocks are memory-mapped from disk, not held in memory"
    if objective == "clm":
        assert all(np.array_equal(a, b) for a, b in zip(as_arrays(built), whole, strict=True))
        return
    masked, labels = mask_eval_blocks(whole, adapter.collator(bert_tokenizer))
    assert all(np.array_equal(a, b) for a, b in zip(as_arrays(built), masked, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(as_arrays(built, "labels"), labels, strict=True))


def test_blocks_tokenized_by_workers_a_slice_at_a_time_are_those_of_one_process(bert_tokenizer, tmp_path,
                                                                               monkeypatch):
    """A corpus on disk tokenized by two workers, a small slice at a time, into small record batches,
    gives the same block file as one process; only blocks.arrow is left in the folder."""
    from hubkit.train import arrow_files

    rows = texts(400)
    on_disk = dataset(rows)
    on_disk.save_to_disk(str(tmp_path / "corpus"))
    on_disk = datasets.load_from_disk(str(tmp_path / "corpus"))
    assert on_disk.cache_files  # memory-mapped from a file, as a local corpus is
    monkeypatch.setattr(arrow_files, "SLICE_BYTES", 4_000)  # about 60 documents a slice
    monkeypatch.setattr(lm_blocks, "CUT_BATCH", 9)
    monkeypatch.setattr(lm_blocks, "BLOCK_BATCH_TOKENS", 100)  # a few blocks a record batch
    built = {}
    for num_proc in (1, 2):
        folder = tmp_path / f"procs-{num_proc}"
        folder.mkdir()
        path = lm_blocks.build_block_file(on_disk, bert_tokenizer, "text", "clm", 24, folder, num_proc=num_proc)
        assert sorted(p.name for p in folder.iterdir()) == ["blocks.arrow"]
        built[num_proc] = as_arrays(datasets.Dataset.from_file(str(path)))
    whole = cut_blocks(token_stream(bert_tokenizer, rows, document_separator(bert_tokenizer, "clm")), 24,
                       *special_wrapping(bert_tokenizer))
    assert len(whole) > 100
    for num_proc, blocks in built.items():
        assert len(blocks) == len(whole) and all(np.array_equal(a, b) for a, b in zip(blocks, whole)), num_proc


def test_a_streamed_split_gives_the_same_blocks_lazily(bert_tokenizer):
    rows = texts()
    adapter = LanguageModelingTask(SPEC, FEATURES, Recipe(block_size=24, objective="mlm"))
    on_disk = adapter.tokenize(bert_tokenizer, dataset(rows), training=True)
    streamed = adapter.tokenize(bert_tokenizer, dataset(rows).to_iterable_dataset(), training=True)
    assert not hasattr(streamed, "__len__")
    assert [row["input_ids"] for row in streamed] == [row["input_ids"].tolist() for row in on_disk]
    # A streamed validation split is written to disk once: it is scored at every evaluation.
    validation = adapter.tokenize(bert_tokenizer, dataset(rows).to_iterable_dataset(), training=False)
    assert block_hashes(validation) == block_hashes(adapter.tokenize(bert_tokenizer, dataset(rows), training=False))


def test_the_tokenizer_is_trained_on_a_capped_lazy_sample():
    from hubkit.train.pretrain import tokenizer_sample

    rows = [f"document {i}" if i % 3 else " " for i in range(10_000)]
    sample = tokenizer_sample(dataset(rows).to_iterable_dataset(), 5)
    assert not isinstance(sample, list)
    assert list(sample) == ["document 1", "document 2", "document 4", "document 5", "document 7"]


def pretrain(*args) -> object:
    return CliRunner().invoke(main, ["pretrain", *map(str, args), "--no-progress", "--bootstrap-resamples", "50"])


def results(folder: Path) -> dict:
    return json.loads((folder / "results.json").read_text())


def test_a_second_run_reads_the_blocks_from_the_cache(tmp_path):
    from hubkit.train.block_cache import cache_root

    corpus = write_corpus(tmp_path / "corpus.txt", n_docs=60, seed=3)
    first = pretrain(corpus, *CLM_ARGS, "--max-steps", 3, "--output-dir", tmp_path / "one")
    assert first.exit_code == 0, first.output
    entries = sorted(p for p in cache_root().iterdir() if p.is_dir() and not p.name.startswith("."))
    second = pretrain(corpus, *CLM_ARGS, "--max-steps", 3, "--output-dir", tmp_path / "two")
    assert second.exit_code == 0, second.output
    one, two = results(tmp_path / "one"), results(tmp_path / "two")
    assert one["blocks"]["cache"] == {"train": "built", "validation": "built"}
    assert two["blocks"]["cache"] == {"train": "hit", "validation": "hit"}
    assert sorted(p for p in cache_root().iterdir() if p.is_dir() and not p.name.startswith(".")) == entries
    # Same blocks: the validation predictions name the same block hashes, and the figures agree.
    hashes = [[json.loads(line)["example_sha256"] for line in (tmp_path / name / "predictions_validation.jsonl")
               .read_text().splitlines()] for name in ("one", "two")]
    assert hashes[0] == hashes[1] and len(hashes[0]) > 3
    assert one["per_seed"][0]["metrics"] == two["per_seed"][0]["metrics"]
    # Another block size is another entry, built afresh.
    third = pretrain(corpus, *CLM_ARGS[:-4], "--block-size", 48, *CLM_ARGS[-2:], "--max-steps", 2, "--output-dir",
                     tmp_path / "three")
    assert third.exit_code == 0, third.output
    assert results(tmp_path / "three")["blocks"]["cache"] == {"train": "built", "validation": "built"}


def test_a_streamed_corpus_trains_for_max_steps_and_is_refused_without_them(tmp_path):
    corpus = write_corpus(tmp_path / "corpus.txt", n_docs=60, seed=4)
    refused = pretrain(corpus, *CLM_ARGS, "--streaming", "--output-dir", tmp_path / "no")
    assert refused.exit_code == 1 and "--max-steps" in refused.output
    assert len(refused.output.strip().splitlines()) == 1 and not (tmp_path / "no").exists()
    out = tmp_path / "streamed"
    result = pretrain(corpus, *CLM_ARGS, "--streaming", "--max-steps", 6, "--output-dir", out)
    assert result.exit_code == 0, result.output
    logged = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert max(row["step"] for row in logged) == 6
    record = results(out)
    assert record["corpus"]["streaming"] is True and record["recipe"]["max_steps"] == 6
    scores = record["per_seed"][0]["metrics"]["validation"]
    assert scores["perplexity"] < scores["perplexity_at_init"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.txt", "streamed"]


def test_a_trained_tokenizer_is_trained_once_per_run_and_read_back(tmp_path):
    """WordPiece training differs from one process to the next; ranks and resumed runs must share one."""
    from hubkit.train.pretrain import shared_trained_tokenizer
    from hubkit.train.scratch import train_tokenizer

    calls = []

    def train():
        calls.append(len(calls))
        return train_tokenizer(texts(), "mlm", 60, 512)

    first = shared_trained_tokenizer(tmp_path, train)
    again = shared_trained_tokenizer(tmp_path, train)
    assert calls == [0] and first.get_vocab() == again.get_vocab() and len(first) > 20
    assert first("the heron stood")["input_ids"] == again("the heron stood")["input_ids"]
    assert [p.name for p in tmp_path.iterdir()] == ["trained-tokenizer"]
