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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from hubkit.train.errors import TrainingError

# The masking of evaluation blocks: fixed, and independent of the training seed on purpose.
EVAL_MASK_SEED = 20_240_617
# BERT's recipe: of the tokens chosen for prediction, 80% become [MASK], 10% a random token, 10% stay.
MASK_REPLACE, RANDOM_REPLACE = 0.8, 0.1
TOKENIZE_BATCH = 1000
MIN_TAIL = 2


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


def cut_blocks(stream: np.ndarray, block_size: int, prefix: Sequence[int], suffix: Sequence[int]) -> list[np.ndarray]:
    """The stream in blocks of ``block_size`` tokens, special tokens included; the tail is kept
    as a shorter last block when it holds at least ``MIN_TAIL`` tokens."""
    content = block_size - len(prefix) - len(suffix)
    if content < MIN_TAIL:
        raise TrainingError(f"block size {block_size} leaves no room for text after the tokenizer's "
                            f"{len(prefix) + len(suffix)} special tokens; use a larger --block-size")
    n_full = len(stream) // content
    full = stream[:n_full * content].reshape(n_full, content)
    head = np.tile(np.asarray(prefix, dtype=np.int64), (n_full, 1))
    tail_ids = np.asarray(suffix, dtype=np.int64)
    blocks = list(np.concatenate([head, full, np.tile(tail_ids, (n_full, 1))], axis=1))
    rest = stream[n_full * content:]
    if len(rest) >= MIN_TAIL:
        blocks.append(np.concatenate([np.asarray(prefix, dtype=np.int64), rest, tail_ids]))
    return blocks


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


def mask_eval_blocks(blocks: list[np.ndarray], collator: BlockCollator) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Mask validation blocks once, deterministically (``EVAL_MASK_SEED``), keeping their labels."""
    import torch

    generator = torch.Generator().manual_seed(EVAL_MASK_SEED)
    masked_rows: list[np.ndarray] = []
    label_rows: list[np.ndarray] = []
    for start in range(0, len(blocks), 1024):
        chunk = blocks[start:start + 1024]
        ids, attention = pad_rows(chunk, collator.pad_id)
        masked, labels = mask_tokens(ids, collator.maskable(ids, attention), collator.mlm_probability,
                                     collator.mask_id, collator.vocab_size, generator=generator)
        for row, block in enumerate(chunk):
            masked_rows.append(masked[row, :len(block)].numpy())
            label_rows.append(labels[row, :len(block)].numpy())
    return masked_rows, label_rows
