"""Masked and causal language modelling: the pre-training objective, as a task family.

One adapter serves both objectives, because both are "predict tokens of a block of text" and
differ only in which tokens are hidden: MLM (BERT) hides ~15% of the tokens and lets the model
look both ways; CLM (GPT-2) predicts every token from the ones before it. The objective follows
the model unless the recipe names it: encoders get MLM, decoders CLM (see :func:`infer_objective`).

Scoring is perplexity, exp(mean loss per predicted token), computed by hubkit's ``perplexity``
metric from the per-token losses this adapter returns, with a bootstrap interval over blocks. For
MLM this is the masked-token perplexity of run_mlm (over the fixed evaluation masks of
:mod:`hubkit.train.lm_blocks`); for CLM the first token of each block, which has no context, is
not scored.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from hubkit.train.arrow_files import ArrowFileRows
from hubkit.train.errors import TrainingError
from hubkit.train.lm_blocks import (BlockCollator, EvalMasker, build_block_file, build_streamed_block_file,
                                    stream_blocks)
from hubkit.train.task import TaskAdapter, register

OBJECTIVES = ("auto", "mlm", "clm")
PIPELINE_TAGS = {"mlm": "fill-mask", "clm": "text-generation"}
# Logits of one eval batch are (batch, block, vocab) floats: keep them under ~128 MB on a CPU.
MAX_LOGITS = 2 ** 25


def infer_objective(config) -> str:
    """"mlm" for encoder checkpoints (BERT and kin), "clm" for decoders (GPT-2 and kin).

    The checkpoint's saved architecture decides when it names an LM head; otherwise the model
    type: BERT-like types have a masked-LM class in transformers, GPT-like ones only a causal one.
    """
    from transformers.models.auto.modeling_auto import (MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
                                                        MODEL_FOR_MASKED_LM_MAPPING_NAMES)

    architectures = getattr(config, "architectures", None) or []
    if any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in architectures) or getattr(config, "is_decoder", False):
        return "clm"
    if any(a.endswith(("ForMaskedLM", "ForPreTraining")) for a in architectures):
        return "mlm"
    if config.model_type in MODEL_FOR_MASKED_LM_MAPPING_NAMES:
        return "mlm"
    if config.model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        return "clm"
    raise TrainingError(f"cannot tell whether a {config.model_type} model is an encoder or a decoder; "
                        "set the objective to mlm or clm")


def max_positions(config) -> int | None:
    for name in ("max_position_embeddings", "n_positions", "max_seq_len"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


@register
class LanguageModelingTask(TaskAdapter):
    family = "language-modeling"
    primary_metric = "perplexity"
    greater_is_better = False
    # Checkpoints are selected on the validation loss (the log of perplexity, as the Trainer averages it).
    selection_metric = None
    # Every block has the block size (but the last): no length-grouped batches (hubkit.train.samplers).
    varied_lengths = False

    def __init__(self, spec, features, recipe):
        super().__init__(spec, features, recipe)
        self.label_names = []
        self.text_column = spec.columns["text"]
        if recipe.objective not in OBJECTIVES:
            raise TrainingError(f"objective must be mlm, clm or auto, got {recipe.objective!r}")
        if not 0.0 < recipe.mlm_probability < 1.0:
            raise TrainingError(f"the masking probability must be between 0 and 1, got {recipe.mlm_probability}")
        self.objective: str | None = None if recipe.objective == "auto" else recipe.objective
        # Set by ``hubkit pretrain``: the corpus's identity, which keys the on-disk block cache. Without
        # it (``hubkit train``, ``hubkit eval``) blocks are built for the run in a temporary folder.
        self.corpus_fingerprint: str | None = None
        # Per split name: "hit" when its blocks came from the cache, "built" when tokenized by this run.
        self.cache_events: dict[str, str] = {}
        self._scratch: tempfile.TemporaryDirectory | None = None

    @property
    def pipeline_tag(self) -> str:  # type: ignore[override]
        return PIPELINE_TAGS[self.objective or "mlm"]

    def load_model(self, path: str, **load_kwargs: Any):
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForMaskedLM

        config = AutoConfig.from_pretrained(path, **load_kwargs)
        self.objective = self.objective or infer_objective(config)
        limit = max_positions(config)
        if limit is not None and self.recipe.block_size > limit:
            raise TrainingError(f"block size {self.recipe.block_size} is longer than model {path} accepts "
                                f"({limit} positions); use --block-size {limit} or less")
        extra = {}
        if self.objective == "clm" and hasattr(config, "is_decoder") and infer_objective(config) == "mlm":
            extra["is_decoder"] = True  # an encoder trained left-to-right needs its causal attention mask
        auto = AutoModelForMaskedLM if self.objective == "mlm" else AutoModelForCausalLM
        try:
            return auto.from_pretrained(path, **load_kwargs, **extra)
        except ValueError as exc:
            if "Unrecognized configuration class" not in str(exc):
                raise
            other = "clm" if self.objective == "mlm" else "mlm"
            raise TrainingError(f"model {path} ({config.model_type}) has no {self.objective.upper()} head in "
                                f"transformers; use objective {other} or another model") from None

    def _check_tokenizer(self, tokenizer) -> None:
        if self.objective == "mlm" and tokenizer.mask_token_id is None:
            raise TrainingError("masked language modelling needs a tokenizer with a mask token; this one has "
                                "none (use objective clm, or a BERT-style tokenizer)")

    def tokenize(self, tokenizer, dataset, training: bool):
        """Blocks of ``block_size`` tokens over the whole split; MLM validation blocks come pre-masked.

        A map-style split becomes an Arrow file of blocks (from the block cache when the corpus is
        known), read a row at a time for training; a streamed training split becomes a lazy stream
        of blocks, and a streamed validation split is written to disk, since it is scored several times.
        """
        import datasets

        if self.objective is None:
            self.objective = "mlm" if tokenizer.mask_token_id is not None else "clm"
        self._check_tokenizer(tokenizer)
        name = str(getattr(dataset, "split", None) or ("train" if training else "validation"))
        block_size = self.recipe.block_size
        if isinstance(dataset, datasets.IterableDataset):
            if training:
                blocks = stream_blocks(dataset, tokenizer, self.text_column, self.objective, block_size)
                if next(iter(blocks.take(1)), None) is None:
                    raise TrainingError(f"the {name} split holds no text to train or score on")
                return blocks
            path = build_streamed_block_file(dataset, tokenizer, self.text_column, self.objective, block_size,
                                             self._scratch_folder(), self._masker(tokenizer, training))
        else:
            def build(folder: Path) -> Path:
                return build_block_file(dataset, tokenizer, self.text_column, self.objective, block_size, folder,
                                        self._masker(tokenizer, training))

            if self.corpus_fingerprint is None:
                path = build(self._scratch_folder())
            else:
                path, hit = self._cached(tokenizer, name, training, build)
                # The first use says how this run got the split (a split scored twice hits its own entry).
                self.cache_events.setdefault(name, "hit" if hit else "built")
        # Training draws blocks at random: read by pread, so no memory map keeps what it touched resident
        # (hubkit.train.arrow_files). Validation is read front to back and scored with datasets' API.
        blocks = ArrowFileRows(path) if training else datasets.Dataset.from_file(str(path))
        if len(blocks) == 0:
            raise TrainingError(f"the {name} split holds no text to train or score on")
        return blocks

    def _masker(self, tokenizer, training: bool) -> EvalMasker | None:
        """Validation MLM blocks are masked once when written; training blocks are masked per batch."""
        return None if training or self.objective == "clm" else EvalMasker(self.collator(tokenizer))

    def _scratch_folder(self) -> Path:
        """A fresh folder for one split's blocks, removed with this adapter (or at exit)."""
        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="hubkit-blocks-")
        return Path(tempfile.mkdtemp(dir=self._scratch.name))

    def _cached(self, tokenizer, name: str, training: bool, build) -> tuple[Path, bool]:
        from hubkit.train.block_cache import cached_blocks, tokenizer_fingerprint
        from hubkit.train.lm_blocks import EVAL_MASK_SEED

        fields = {"corpus": self.corpus_fingerprint, "split": name, "tokenizer": tokenizer_fingerprint(tokenizer),
                  "block_size": self.recipe.block_size, "objective": self.objective, "masked": not training
                  and self.objective == "mlm"}
        if fields["masked"]:
            fields.update(mask_seed=EVAL_MASK_SEED, mlm_probability=self.recipe.mlm_probability)
        return cached_blocks(fields, build)

    def collator(self, tokenizer):
        self._check_tokenizer(tokenizer)
        return BlockCollator(tokenizer, self.objective or "mlm", self.recipe.mlm_probability)

    def predict(self, trainer, raw, tokenized) -> dict[str, Any]:
        """Per-token losses per block. A language model scores blocks, not dataset rows, so the
        blocks' own content hashes (``example_sha256``) are what two evaluations are paired by."""
        predictions = token_losses(trainer.model, tokenized, self.collator(trainer.processing_class),
                                   trainer.args.per_device_eval_batch_size, causal=self.objective == "clm")
        predictions["example_sha256"] = block_hashes(tokenized)
        return predictions

    def usage_examples(self, raw, predictions: dict[str, Any], tokenizer) -> dict[str, Any] | None:
        """A prompt from the split's text: its first words, with one word masked for a masked LM.
        Block losses have no readable output, so the card's snippet shows the model's own guesses."""
        words = next((text.split() for text in _texts(raw, self.text_column) if len(text.split()) >= 8), None)
        if words is None:
            return None
        words = words[:12]
        if self.objective != "mlm":
            return {"inputs": [" ".join(words[:8])], "objective": "clm", "max_new_tokens": 12}
        candidates = [i for i, word in enumerate(words) if word.isalpha() and i > 0] or [len(words) // 2]
        masked = candidates[len(candidates) // 2]
        words[masked] = tokenizer.mask_token
        return {"inputs": [" ".join(words)], "objective": "mlm", "top_k": 5}

    def score(self, predictions: dict[str, Any], n_resamples: int, seed: int) -> dict[str, Any]:
        from hubkit import metrics

        sequences = [losses for losses in predictions["token_losses"] if losses]
        if not sequences:
            raise TrainingError("no token was scored; the evaluation text is too short")
        result = metrics.compute("perplexity", sequences, ci=n_resamples > 0, n_resamples=max(n_resamples, 1),
                                 seed=seed)
        tokens = sum(len(s) for s in sequences)
        scores: dict[str, Any] = {"perplexity": result["perplexity"],
                                  "loss": float(sum(sum(s) for s in sequences) / tokens),
                                  "tokens_scored": tokens, "blocks": len(sequences)}
        if n_resamples > 0:
            scores["confidence_intervals"] = {"perplexity": result["confidence_intervals"]["perplexity"]}
        return scores


def _texts(raw, column: str):
    """The split's texts one at a time (a streamed split has no column to index, a large one should not be listed)."""
    return (row[column] for row in (raw if not hasattr(raw, "select_columns") else raw.select_columns([column])))


def block_hashes(blocks) -> list[str]:
    """A sha256 per block over its token ids and scoring labels (the fixed MLM masks included):
    equal exactly when two evaluations scored the same tokens, i.e. same text, tokenizer and blocks."""
    columns = [c for c in ("input_ids", "labels") if c in blocks.column_names]
    values = zip(*(blocks[c] for c in columns))
    return [hashlib.sha256(json.dumps(dict(zip(columns, row)), separators=(",", ":")).encode()).hexdigest()
            for row in values]


def token_losses(model, blocks, collator, batch_size: int, causal: bool) -> dict[str, list]:
    """The loss of every scored token of every block, in block order (eval mode, no gradients).

    Scored tokens are those with a label (MLM: the masked ones); for CLM, token t is predicted
    from tokens before it, so logits and labels are shifted by one as the model's own loss does.
    """
    import torch
    import torch.nn.functional as F

    device = next(model.parameters()).device
    vocab = getattr(model.config, "vocab_size", None) or 50_000
    longest = max(blocks["length"]) if len(blocks) else 1
    step = max(1, min(batch_size, MAX_LOGITS // (longest * vocab)))
    columns = [c for c in blocks.column_names if c != "length"]
    losses: list[list[float]] = []
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, len(blocks), step):
                chunk = blocks[start:start + step]
                batch = collator([dict(zip(columns, values)) for values in zip(*(chunk[c] for c in columns))])
                labels = batch.pop("labels").to(device)
                logits = model(**{k: v.to(device) for k, v in batch.items()}).logits.float()
                if causal:
                    logits, labels = logits[:, :-1], labels[:, 1:]
                per_token = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                                            ignore_index=-100, reduction="none").view(labels.shape)
                keep = labels != -100
                for row in range(labels.shape[0]):
                    losses.append(per_token[row][keep[row]].cpu().tolist())
    finally:
        model.train(was_training)
    return {"token_losses": losses, "tokens": [len(x) for x in losses],
            "loss": [float(np.mean(x)) if x else None for x in losses]}
