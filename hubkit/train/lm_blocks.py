"""Texts into fixed-size token blocks, and the masking and padding of those blocks.

Language models train on a stream, not on sentences: run_mlm/run_clm concatenate the tokenized
texts and cut them into blocks of ``block_size`` tokens, so no compute goes to padding and the
model sees long contexts. hubkit does the same, with three differences that matter for honest
numbers:

- the stream is cut once over the whole split (run_clm cuts per batch of 1,000 texts, so a piece
  of every batch is dropped), and the last, shorter block is *kept* when it has at least two
  tokens, so validation perplexity covers every token of the split;
- each block is wrapped in the tokenizer's own special tokens (``[CLS] … [SEP]`` for BERT,
  nothing for GPT-2), so a block looks like what the model saw in pre-training, and documents are
  separated by ``[SEP]`` (MLM) or the end-of-text token (CLM);
- validation blocks for MLM are masked once, with a fixed seed, when they are built: every
  evaluation (at every epoch, for every training seed, before and after training) scores the same
  masked tokens, so perplexities are reproducible and comparable.

Memory does not grow with the corpus: texts are tokenized by ``datasets.map`` into Arrow files on
disk (in parallel for a large corpus), and blocks are cut from that token stream a batch at a time,
carrying the remainder of one batch into the next, and written to an Arrow file that is memory-mapped
for training (:func:`build_block_file`). A streamed corpus (``datasets.IterableDataset``) is cut the
same way, lazily, as it is read (:func:`stream_blocks`). The blocks are the same as cutting one
stream of the whole split at once (:func:`token_stream` and :func:`cut_blocks`, kept as the rule's
plain statement).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hubkit.train.errors import TrainingError

# The masking of evaluation blocks: fixed, and independent of the training seed on purpose.
EVAL_MASK_SEED = 20_240_617
# BERT's recipe: of the tokens chosen for prediction, 80% become [MASK], 10% a random token, 10% stay.
MASK_REPLACE, RANDOM_REPLACE = 0.8, 0.1
TOKENIZE_BATCH = 1000
MIN_TAIL = 2
# Blocks are masked and written in chunks of this many (the fixed evaluation masks depend on it).
BLOCK_CHUNK = 1024
# Tokenized rows per record batch of the token-id files, which is what is read back per step when
# cutting blocks: bounds memory whatever the corpus size.
CUT_BATCH = 10_000
# Tokens per record batch of a block file (whole BLOCK_CHUNKs): large, because opening the file
# maps the pages around every batch's header (see hubkit.train.arrow_files), yet bounded in bytes.
BLOCK_BATCH_TOKENS = 4 * 2**20
# Below this many documents a single process tokenizes faster than starting workers.
PARALLEL_MIN_DOCS = 100_000


def special_wrapping(tokenizer) -> tuple[list[int], list[int]]:
    """The token ids the tokenizer puts before and after a single text (``[CLS]``/``[SEP]`` for BERT).

    Found by encoding a word with and without special tokens, which works for any tokenizer whose
    post-processor wraps single texts, whatever its class.
    """
    bare = tokenizer("hello", add_special_tokens=False)["input_ids"]
    wrapped = tokenizer("hello")["input_ids"]
    for start in range(len(wrapped) - len(bare) + 1):
        if wrapped[start:start + len(bare)] == bare:
            return list(wrapped[:start]), list(wrapped[start + len(bare):])
    return [], []


def document_separator(tokenizer, objective: str) -> int | None:
    """The token between two documents of the stream: [SEP] for MLM, end-of-text for CLM."""
    first, second = ((tokenizer.sep_token_id, tokenizer.eos_token_id) if objective == "mlm"
                     else (tokenizer.eos_token_id, tokenizer.sep_token_id))
    return first if first is not None else second


def token_stream(tokenizer, texts: Iterable[str], separator: int | None) -> np.ndarray:
    """All texts tokenized (no special tokens) and concatenated, ``separator`` after each one."""
    pieces: list[np.ndarray] = []
    batch: list[str] = []

    def flush() -> None:
        encoded = tokenizer(batch, add_special_tokens=False, verbose=False)["input_ids"]
        for ids in encoded:
            pieces.append(np.asarray(ids + ([separator] if separator is not None else []), dtype=np.int64))
        batch.clear()

    for text in texts:
        if text and text.strip():
            batch.append(text)
            if len(batch) == TOKENIZE_BATCH:
                flush()
    if batch:
        flush()
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)


def content_size(block_size: int, prefix: Sequence[int], suffix: Sequence[int]) -> int:
    """Text tokens per block once the special tokens are in; refused when nothing would fit."""
    content = block_size - len(prefix) - len(suffix)
    if content < MIN_TAIL:
        raise TrainingError(f"block size {block_size} leaves no room for text after the tokenizer's "
                            f"{len(prefix) + len(suffix)} special tokens; use a larger --block-size")
    return content


def _wrap(rows: np.ndarray, prefix: Sequence[int], suffix: Sequence[int]) -> np.ndarray:
    """Each row of a 2-D array of text tokens with the special tokens around it."""
    head = np.tile(np.asarray(prefix, dtype=np.int64), (len(rows), 1))
    tail = np.tile(np.asarray(suffix, dtype=np.int64), (len(rows), 1))
    return np.concatenate([head, rows, tail], axis=1)


def cut_blocks(stream: np.ndarray, block_size: int, prefix: Sequence[int], suffix: Sequence[int]) -> list[np.ndarray]:
    """The stream in blocks of ``block_size`` tokens, special tokens included; the tail is kept
    as a shorter last block when it holds at least ``MIN_TAIL`` tokens."""
    return list(iter_blocks([stream], block_size, prefix, suffix))


def iter_blocks(pieces: Iterable[np.ndarray], block_size: int, prefix: Sequence[int],
                suffix: Sequence[int]) -> Iterator[np.ndarray]:
    """The blocks of the stream that ``pieces`` make end to end, cut as they arrive.

    Only one piece and the remainder of the previous one are held at a time, so the stream can be
    any length; the blocks are those :func:`cut_blocks` gives for the whole stream at once.
    """
    content = content_size(block_size, prefix, suffix)
    carry = np.zeros(0, dtype=np.int64)
    for piece in pieces:
        stream = np.concatenate([carry, np.asarray(piece, dtype=np.int64)]) if len(carry) else np.asarray(
            piece, dtype=np.int64)
        n_full = len(stream) // content
        if n_full:
            yield from _wrap(stream[:n_full * content].reshape(n_full, content), prefix, suffix)
        carry = stream[n_full * content:]
    if len(carry) >= MIN_TAIL:
        yield np.concatenate([np.asarray(prefix, dtype=np.int64), carry, np.asarray(suffix, dtype=np.int64)])


def mask_tokens(ids, maskable, probability: float, mask_id: int, vocab_size: int, generator=None):
    """BERT's masking of a padded batch: returns (masked input ids, labels with -100 elsewhere).

    Each maskable token is chosen with ``probability``; a row with maskable tokens gets at least
    one, so that no block (a short last block, say) has nothing to score: a batch of such rows
    would otherwise have a loss of 0/0.
    """
    import torch

    chosen = (torch.rand(ids.shape, generator=generator) < probability) & maskable
    empty = maskable.any(dim=1) & ~chosen.any(dim=1)
    if empty.any():
        scores = torch.rand(ids.shape, generator=generator).masked_fill(~maskable, -1.0)
        pick = scores.argmax(dim=1)
        chosen[empty.nonzero(as_tuple=True)[0], pick[empty]] = True
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    roll = torch.rand(ids.shape, generator=generator)
    random_ids = torch.randint(vocab_size, ids.shape, generator=generator, dtype=ids.dtype)
    masked = ids.clone()
    masked[chosen & (roll < MASK_REPLACE)] = mask_id
    swap = chosen & (roll >= MASK_REPLACE) & (roll < MASK_REPLACE + RANDOM_REPLACE)
    masked[swap] = random_ids[swap]
    return masked, labels


def pad_rows(rows: Sequence[Sequence[int]], pad_id: int):
    """Rows of token ids as one right-padded LongTensor, and its attention mask."""
    import torch

    longest = max(len(r) for r in rows)
    ids = torch.full((len(rows), longest), pad_id, dtype=torch.long)
    attention = torch.zeros((len(rows), longest), dtype=torch.long)
    for index, row in enumerate(rows):
        ids[index, :len(row)] = torch.as_tensor(np.asarray(row), dtype=torch.long)
        attention[index, :len(row)] = 1
    return ids, attention


class BlockCollator:
    """Pads blocks into a batch and sets the labels the objective needs.

    - CLM: labels are the inputs (the model shifts them), -100 on padding only. transformers'
      collator sets -100 wherever the input equals the pad id, which, with GPT-2's usual
      pad = end-of-text, silently stops the model from learning where documents end.
    - MLM: blocks that already carry labels (validation, masked once at build time) are only
      padded; training blocks are masked afresh in every batch, from the global torch RNG that
      the Trainer seeds (and restores on resume).
    """

    def __init__(self, tokenizer, objective: str, mlm_probability: float):
        import torch

        self.objective = objective
        self.mlm_probability = mlm_probability
        self.pad_id = next((i for i in (tokenizer.pad_token_id, tokenizer.eos_token_id, 0) if i is not None))
        self.mask_id = tokenizer.mask_token_id
        self.vocab_size = len(tokenizer)
        self.special_ids = torch.tensor(sorted(set(tokenizer.all_special_ids)), dtype=torch.long)

    def maskable(self, ids, attention):
        import torch

        return (attention == 1) & ~torch.isin(ids, self.special_ids)

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        ids, attention = pad_rows([f["input_ids"] for f in features], self.pad_id)
        if "labels" in features[0]:
            labels, _ = pad_rows([f["labels"] for f in features], -100)
        else:
            if self.objective == "clm":
                labels = ids.masked_fill(attention == 0, -100)
            else:
                ids, labels = mask_tokens(ids, self.maskable(ids, attention), self.mlm_probability, self.mask_id,
                                          self.vocab_size)
        return {"input_ids": ids, "attention_mask": attention, "labels": labels}


def blocks_dataset(blocks: list[np.ndarray], labels: list[np.ndarray] | None = None):
    """A ``datasets.Dataset`` of blocks with the ``length`` column the runner groups batches by."""
    import datasets
    import pyarrow as pa

    def column(rows: list[np.ndarray]) -> pa.Array:
        offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int32)
        values = np.concatenate(rows).astype(np.int32) if rows else np.zeros(0, dtype=np.int32)
        return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values))

    table = {"input_ids": column(blocks), "length": pa.array([len(b) for b in blocks], pa.int32())}
    if labels is not None:
        table["labels"] = column(labels)
    return datasets.Dataset(datasets.table.InMemoryTable(pa.table(table)))


class EvalMasker:
    """Masks validation blocks once, deterministically (``EVAL_MASK_SEED``), keeping their labels.

    Blocks are masked in chunks of ``BLOCK_CHUNK`` as they are cut, from one generator, so a split
    written a chunk at a time gets the very masks it would get masked all at once.
    """

    def __init__(self, collator: BlockCollator):
        import torch

        self.collator = collator
        self.generator = torch.Generator().manual_seed(EVAL_MASK_SEED)

    def __call__(self, chunk: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        collator = self.collator
        ids, attention = pad_rows(chunk, collator.pad_id)
        masked, labels = mask_tokens(ids, collator.maskable(ids, attention), collator.mlm_probability,
                                     collator.mask_id, collator.vocab_size, generator=self.generator)
        return ([masked[row, :len(block)].numpy() for row, block in enumerate(chunk)],
                [labels[row, :len(block)].numpy() for row, block in enumerate(chunk)])


def mask_eval_blocks(blocks: list[np.ndarray], collator: BlockCollator) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Mask validation blocks once, deterministically (``EVAL_MASK_SEED``), keeping their labels."""
    masker = EvalMasker(collator)
    masked_rows: list[np.ndarray] = []
    label_rows: list[np.ndarray] = []
    for start in range(0, len(blocks), BLOCK_CHUNK):
        masked, labels = masker(blocks[start:start + BLOCK_CHUNK])
        masked_rows.extend(masked)
        label_rows.extend(labels)
    return masked_rows, label_rows


def document_encoder(tokenizer, text_column: str, separator: int | None) -> Callable[[dict], dict]:
    """A batched ``datasets.map`` function: each non-blank text as token ids, ``separator`` after it."""
    tail = [separator] if separator is not None else []

    def encode(batch: dict[str, list]) -> dict[str, list]:
        texts = [text for text in batch[text_column] if text and text.strip()]
        ids = tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"] if texts else []
        return {"ids": [row + tail for row in ids]}

    return encode


def _ids_features():
    import datasets

    return datasets.Features({"ids": datasets.List(datasets.Value("int32"))})


def _block_schema(with_labels: bool):
    import pyarrow as pa

    fields = [("input_ids", pa.list_(pa.int32())), ("length", pa.int32())]
    if with_labels:
        fields.append(("labels", pa.list_(pa.int32())))
    return pa.schema(fields)


def _list_column(rows: Sequence[np.ndarray]):
    import pyarrow as pa

    offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int32)
    values = np.concatenate(rows).astype(np.int32) if len(rows) else np.zeros(0, dtype=np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values))


def write_blocks(blocks: Iterable[np.ndarray], path: Path, masker: EvalMasker | None = None) -> int:
    """Write blocks to an Arrow stream file (masked ``BLOCK_CHUNK`` at a time when ``masker``, written
    about ``BLOCK_BATCH_TOKENS`` tokens to a record batch); how many."""
    import pyarrow as pa

    schema = _block_schema(masker is not None)
    count = 0
    pending: list[pa.RecordBatch] = []
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, schema) as writer:
        iterator = iter(blocks)
        while chunk := list(itertools.islice(iterator, BLOCK_CHUNK)):
            columns = {"length": pa.array([len(b) for b in chunk], pa.int32())}
            if masker is None:
                columns["input_ids"] = _list_column(chunk)
            else:
                masked, labels = masker(chunk)
                columns["input_ids"], columns["labels"] = _list_column(masked), _list_column(labels)
            pending.append(pa.record_batch([columns[name] for name in schema.names], schema=schema))
            count += len(chunk)
            if sum(len(batch.column(0).values) for batch in pending) >= BLOCK_BATCH_TOKENS:
                writer.write_batch(pa.Table.from_batches(pending).combine_chunks().to_batches()[0])
                pending = []
        if pending:
            writer.write_batch(pa.Table.from_batches(pending).combine_chunks().to_batches()[0])
    return count


def tokenize_to_disk(dataset, encode: Callable[[dict], dict], folder: Path,
                     num_proc: int | None = None) -> Iterator[Any]:
    """The split's documents as token ids, by a batched ``datasets.map`` into Arrow files in ``folder``:
    on-disk datasets of ids, in order, each deleted once the next is asked for.

    ``num_proc`` defaults to the CPU count (at most 8) for a split of ``PARALLEL_MIN_DOCS`` documents
    or more; smaller splits are tokenized in this process, in one piece. With workers, an on-disk
    split is mapped a slice at a time (:func:`hubkit.train.arrow_files.map_in_slices`), so what a
    worker reads of the corpus and what the ids take on disk do not grow with the corpus.
    """
    import os

    import datasets

    from hubkit.train.arrow_files import map_in_slices

    if num_proc is None:
        num_proc = min(os.cpu_count() or 1, 8) if len(dataset) >= PARALLEL_MIN_DOCS else 1
    shown = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    options = {"batch_size": TOKENIZE_BATCH, "writer_batch_size": CUT_BATCH, "remove_columns": dataset.column_names,
               "features": _ids_features(), "load_from_cache_file": False, "desc": "Tokenizing"}
    try:
        if num_proc > 1 and dataset.cache_files and len(dataset):
            yield from map_in_slices(dataset, encode, folder, num_proc, **options)
        else:
            yield dataset.map(encode, batched=True, cache_file_name=str(folder / "ids.arrow"), **options)
    finally:
        if shown:
            datasets.enable_progress_bars()


def token_pieces(tokenized_parts: Iterable[Any]) -> Iterator[np.ndarray]:
    """The token stream of on-disk tokenized parts, one record batch at a time, as flat arrays read
    from the Arrow files with ordinary reads (no Python list per document, and no memory map left
    holding every page it was read through)."""
    from hubkit.train.arrow_files import record_batches

    for part in tokenized_parts:
        for batch in record_batches(part, ["ids"]):
            yield batch.column(0).flatten().to_numpy(zero_copy_only=False)


def build_block_file(dataset, tokenizer, text_column: str, objective: str, block_size: int, folder: Path,
                     masker: EvalMasker | None = None, num_proc: int | None = None) -> Path:
    """Tokenize a map-style split and cut it into blocks in ``folder/blocks.arrow``; the token ids in
    between are deleted. Memory holds one batch of documents and one chunk of blocks at a time."""
    prefix, suffix = special_wrapping(tokenizer)
    content_size(block_size, prefix, suffix)  # a block size with no room for text is refused before any work
    encode = document_encoder(tokenizer, text_column, document_separator(tokenizer, objective))
    path = folder / "blocks.arrow"
    pieces = token_pieces(tokenize_to_disk(dataset, encode, folder, num_proc))
    write_blocks(iter_blocks(pieces, block_size, prefix, suffix), path, masker)
    del pieces
    for leftover in [*folder.glob("ids*.arrow"), *folder.glob("part-*.arrow")]:
        leftover.unlink()
    return path


def streamed_pieces(dataset, encode: Callable[[dict], dict]) -> Iterator[np.ndarray]:
    """The token stream of a streamed split, tokenized ``TOKENIZE_BATCH`` documents at a time as it is read."""
    for batch in dataset.iter(batch_size=TOKENIZE_BATCH):
        ids = encode(batch)["ids"]
        if ids:
            yield np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64)


def _stream_rows(dataset, tokenizer, text_column: str, objective: str, block_size: int) -> Iterator[dict]:
    prefix, suffix = special_wrapping(tokenizer)
    encode = document_encoder(tokenizer, text_column, document_separator(tokenizer, objective))
    for block in iter_blocks(streamed_pieces(dataset, encode), block_size, prefix, suffix):
        yield {"input_ids": block.astype(np.int32).tolist(), "length": len(block)}


def stream_blocks(dataset, tokenizer, text_column: str, objective: str, block_size: int):
    """Training blocks of a streamed split, as a lazy ``datasets.IterableDataset``: nothing is read
    until the Trainer iterates it, and the same stream gives the same blocks in the same order (which
    is what lets a resumed run skip the batches it has already trained on)."""
    import functools

    import datasets

    prefix, suffix = special_wrapping(tokenizer)
    content_size(block_size, prefix, suffix)
    features = datasets.Features({"input_ids": datasets.List(datasets.Value("int32")),
                                  "length": datasets.Value("int32")})
    generator = functools.partial(_stream_rows, dataset, tokenizer, text_column, objective, block_size)
    return datasets.IterableDataset.from_generator(generator, features=features)


def build_streamed_block_file(dataset, tokenizer, text_column: str, objective: str, block_size: int, folder: Path,
                              masker: EvalMasker | None = None) -> Path:
    """A streamed split's blocks written to ``folder/blocks.arrow`` (validation: scored several times)."""
    prefix, suffix = special_wrapping(tokenizer)
    encode = document_encoder(tokenizer, text_column, document_separator(tokenizer, objective))
    path = folder / "blocks.arrow"
    write_blocks(iter_blocks(streamed_pieces(dataset, encode), block_size, prefix, suffix), path, masker)
    return path
