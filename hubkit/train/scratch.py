"""A tokenizer trained on the corpus and a model built from a config: pre-training from scratch.

The two tokenizers are the ones their model families were pre-trained with: WordPiece for BERT
(lower-cased, BERT's normalizer and pre-tokenizer, ``[CLS] … [SEP]`` around each text), byte-level
BPE for GPT-2 (no unknown tokens, whitespace and newlines kept, ``<|endoftext|>`` between
documents, plus a ``<pad>`` so batches and later fine-tuning need no pad = eos trick). Both are
trained by the ``tokenizers`` library on the *training* documents only, then wrapped in the
transformers tokenizer class of their family so that ``AutoTokenizer`` and ``pipeline`` load them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hubkit.train.errors import TrainingError

# Sizes as in the BERT miniatures (Turc et al. 2019): tiny is L-2/H-128, small here L-4/H-256.
SIZES: dict[str, dict[str, int]] = {
    "tiny": {"layers": 2, "hidden": 128, "heads": 2},
    "small": {"layers": 4, "hidden": 256, "heads": 4},
}
WORDPIECE_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
BPE_SPECIALS = ["<|endoftext|>", "<pad>"]
BYTE_ALPHABET = 256
ALGORITHMS = {"mlm": "wordpiece", "clm": "byte-level-bpe"}


def minimum_vocab_size(objective: str) -> int:
    """The smallest vocabulary worth asking for: byte-level BPE starts from its 256 byte tokens."""
    return BYTE_ALPHABET + len(BPE_SPECIALS) if objective == "clm" else len(WORDPIECE_SPECIALS) + 1


def train_tokenizer(texts: Iterable[str], objective: str, vocab_size: int, max_length: int):
    """A WordPiece (mlm) or byte-level BPE (clm) tokenizer with at most ``vocab_size`` tokens.

    ``texts`` is read once, as an iterator: a corpus larger than memory is passed as a lazy (capped)
    sample, never as a list.

    A small corpus may run out of merges before reaching ``vocab_size``; the tokenizer is then
    smaller (``len(tokenizer)`` says by how much). A vocabulary smaller than the corpus's
    alphabet is refused: the trainer would silently exceed it.
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    if vocab_size < minimum_vocab_size(objective):
        raise TrainingError(f"vocab size {vocab_size} is too small for {ALGORITHMS[objective]}: it needs at least "
                            f"{minimum_vocab_size(objective)} tokens (a few thousand is usual)")
    if objective == "mlm":
        backend = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        backend.normalizer = normalizers.BertNormalizer(lowercase=True)
        backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=WORDPIECE_SPECIALS,
                                            show_progress=False)
    else:
        backend = Tokenizer(models.BPE())
        backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        backend.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=BPE_SPECIALS, show_progress=False,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    backend.train_from_iterator(texts, trainer, length=len(texts) if hasattr(texts, "__len__") else None)
    if backend.get_vocab_size() > vocab_size:
        raise TrainingError(f"vocab size {vocab_size} is too small for this corpus: its characters alone need "
                            f"{backend.get_vocab_size()} tokens")
    return _wrap(backend, objective, max_length)


def _wrap(backend, objective: str, max_length: int):
    """The trained vocabulary in its family's transformers tokenizer class (same pipeline)."""
    import json

    if objective == "mlm":
        from transformers import BertTokenizer

        return BertTokenizer(vocab=backend.get_vocab(), do_lower_case=True, model_max_length=max_length)
    from transformers import GPT2Tokenizer

    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in
              json.loads(backend.to_str())["model"]["merges"]]
    return GPT2Tokenizer(vocab=backend.get_vocab(), merges=merges, pad_token="<pad>", model_max_length=max_length)


def positions_for(block_size: int) -> int:
    """Position embeddings: 512 (BERT's) or the block size if longer, so fine-tuning has room."""
    return max(512, block_size)


def build_model(objective: str, size: str, tokenizer, block_size: int, seed: int):
    """A randomly initialised BERT (mlm) or GPT-2 (clm) of ``size``, seeded for reproducibility."""
    import torch

    if size not in SIZES:
        raise TrainingError(f"size must be one of {', '.join(SIZES)}, got {size!r}")
    shape = SIZES[size]
    torch.manual_seed(seed)
    if objective == "mlm":
        from transformers import BertConfig, BertForMaskedLM

        config = BertConfig(vocab_size=len(tokenizer), hidden_size=shape["hidden"],
                            num_hidden_layers=shape["layers"], num_attention_heads=shape["heads"],
                            intermediate_size=4 * shape["hidden"], max_position_embeddings=positions_for(block_size),
                            pad_token_id=tokenizer.pad_token_id)
        return BertForMaskedLM(config)
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(vocab_size=len(tokenizer), n_positions=positions_for(block_size), n_embd=shape["hidden"],
                        n_layer=shape["layers"], n_head=shape["heads"], bos_token_id=tokenizer.eos_token_id,
                        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    return GPT2LMHeadModel(config)


def save_initial(model, tokenizer, folder: Path) -> dict[str, Any]:
    """Save the untrained model and its tokenizer where the training loop loads them from."""
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return {"model_type": model.config.model_type, "parameters": sum(p.numel() for p in model.parameters())}
