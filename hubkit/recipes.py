"""Baseline recipes: one readable row per dataset, every value overridable.

The values follow what strong baselines use for a small BERT (MiniLM-L6): a learning rate of a
few 1e-5 (higher for small models), linear warm-up over 6-10% of steps, weight decay 0.01, and a
maximum length that covers the dataset's long tail without padding everything to it (padding is
dynamic, per batch; ``max_length`` only truncates). Override from the CLI (``--learning-rate``)
or from a YAML/JSON file (``--recipe-file``) whose keys are the field names below.

The table sits in the foundation, not in :mod:`hubkit.train`: training reads it, and so does the
model card, which quotes only the flags a run changed from it (``hubkit.cards.sections``).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import yaml

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


@dataclasses.dataclass(frozen=True)
class Recipe:
    model: str = DEFAULT_MODEL
    max_length: int = 128
    batch_size: int = 16
    learning_rate: float = 1e-4
    epochs: float = 3.0
    warmup_ratio: float = 0.06
    weight_decay: float = 0.01
    # Two-input classification: "cross-encoder" ([CLS] a [SEP] b [SEP]) or "bi-encoder".
    pair_mode: str = "cross-encoder"
    # Question answering: window stride over long contexts and the longest answer considered.
    doc_stride: int = 128
    max_answer_length: int = 30
    n_best: int = 20
    # Language modelling: tokens per training block, masking rate for MLM, and the objective
    # ("mlm", "clm", or "auto": masked for encoders such as BERT, causal for decoders such as GPT-2).
    block_size: int = 128
    mlm_probability: float = 0.15
    objective: str = "auto"
    early_stopping_patience: int = 2

    def override(self, values: dict[str, Any]) -> "Recipe":
        known = {f.name: f for f in dataclasses.fields(self)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown recipe field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        clean = {}
        for key, value in values.items():
            if value is None:
                continue
            kind = type(getattr(self, key))
            try:
                clean[key] = kind(value)
            except (TypeError, ValueError):
                raise ValueError(f"recipe field {key} must be {kind.__name__}, got {value!r}") from None
        return dataclasses.replace(self, **clean)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# One row per dataset (and config, where they differ). Read this table to know what `hubkit train` does.
# Each row says where its values come from; full-data runs are `hubkit baselines` sweeps (2 seeds, this
# bundled MiniLM-L6, CPU) whose tables docs/recipe-search.md keeps, with every recipe tried.
RECIPES: dict[str, Recipe] = {
    # Full data, 67k sentences: one pass is 4,210 steps. Full-data sweep: validation accuracy
    # 89.45 ± 0.00 (reference 91.5); 0.8991 after 18 min on 2 CPU threads (bench/time_to_accuracy.py;
    # docs/recipe-search.md). Not searched on full data yet: the rate is half the 2k-subset value
    # (2e-4, 1 epoch), since the full pass is 33x longer. max_length 66 is the longest training
    # sentence in MiniLM's tokens (mean 13), so nothing is truncated and length-grouped batches stay short.
    "sst2":             Recipe(max_length=66, batch_size=16, learning_rate=1e-4, epochs=1),
    # By analogy with SST-2 (single reviews), not run here (no IMDb files): 25k long reviews, so 2
    # epochs at a lower rate; 256 tokens keeps the opening and most of a typical review.
    "imdb":             Recipe(max_length=256, batch_size=16, learning_rate=5e-5, epochs=2),
    # run_glue's MRPC recipe shape (5 epochs, small set of 3.7k pairs) at MiniLM's higher rate;
    # full-data sweep: validation F1 85.60 ± 0.85, accuracy 78.92 ± 1.39 (docs/recipe-search.md).
    "mrpc":             Recipe(max_length=128, batch_size=16, learning_rate=5e-5, epochs=5, warmup_ratio=0.1),
    # RTE by analogy with MRPC (a 2.5k-pair set, also two-input): no RTE files here to tune on.
    "rte":              Recipe(max_length=128, batch_size=16, learning_rate=5e-5, epochs=5, warmup_ratio=0.1),
    # A user's CSV: the conservative middle of the GLUE rows.
    "csv":              Recipe(max_length=128, batch_size=16, learning_rate=5e-5, epochs=3),
    # Token tagging learns fast at a higher rate; 3 epochs over 14k sentences (kamalkraj/BERT-NER
    # trains BERT-base 5 epochs at 5e-5); 128 sub-words covers every eng.train sentence but one
    # (of 14,041; the longest is 164, the mean 20). Full-data sweep: entity F1 90.79 ± 0.03 dev,
    # 86.73 ± 0.49 test (BERT-base-cased: 94.95 / 91.35); the third epoch still adds about a point.
    "conll2003":        Recipe(max_length=128, batch_size=16, learning_rate=1e-4, epochs=3, warmup_ratio=0.1),
    # CoNLL-2002 (Spanish/Dutch) by analogy with CoNLL-2003: same format, same task, similar size.
    "conll2002":        Recipe(max_length=128, batch_size=16, learning_rate=1e-4, epochs=3, warmup_ratio=0.1),
    # run_qa's window (384 tokens, stride 128) and epochs (2); MiniLM's higher rate, as for tagging.
    # Full-data sweep (trained on the dev set's first 38 articles, scored on its last 10): F1
    # 68.94 ± 0.43, EM 55.81 ± 0.53; BERT-base's 88.52 F1 trains on 10x the questions (docs/recipe-search.md).
    "squad":            Recipe(max_length=384, batch_size=16, learning_rate=1e-4, epochs=2, warmup_ratio=0.1),
    # Continued MLM on wiki.valid (the only training text at hand, 3,760 lines): one pass at a
    # fine-tuning rate, adapting the checkpoint rather than re-training it; scored on wiki.test.
    # Full-data sweep: masked-LM test perplexity 208.65 ± 5.30, no reference; the bundled sentence
    # encoder ships no masked-LM head, so this pass mostly trains a fresh one (docs/recipe-search.md).
    "wikitext2":        Recipe(block_size=128, batch_size=16, learning_rate=5e-5, epochs=1),
    # A small model from scratch on 1 MB of text: a from-scratch rate (hubkit pretrain's --size default).
    "tiny_shakespeare": Recipe(block_size=128, batch_size=16, learning_rate=5e-4, epochs=1),
}


def recipe_file_values(recipe_file: str | Path) -> dict[str, Any]:
    """The field values a ``--recipe-file`` sets (YAML, or JSON by its suffix), each checked against
    :class:`Recipe`; one line naming the file on any problem."""
    values = _file_values(recipe_file)
    try:
        Recipe().override(values)
    except ValueError as exc:
        raise ValueError(f"{recipe_file}: {exc}") from None
    return values


def _file_values(recipe_file: str | Path) -> dict[str, Any]:
    """The field values a ``--recipe-file`` sets (YAML, or JSON by its suffix)."""
    path = Path(recipe_file)
    try:
        values = (json.loads if path.suffix == ".json" else yaml.safe_load)(path.read_text())
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the recipe file: {exc}".replace("\n", " ")) from None
    if not isinstance(values, dict):
        raise ValueError(f"{path}: a recipe file must map field names to values")
    return values


def recipe_for(dataset: str, recipe_file: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Recipe:
    """The dataset's recipe, then the file's values, then the CLI's (each wins over the one before)."""
    recipe = RECIPES.get(dataset, Recipe())
    if recipe_file is not None:
        try:
            recipe = recipe.override(_file_values(recipe_file))
        except ValueError as exc:
            message = str(exc)
            raise ValueError(message if message.startswith(f"{recipe_file}:") else f"{recipe_file}: {message}") from None
    return recipe.override(overrides or {})


def recipe_sources(dataset: str, recipe_file: str | Path | None = None,
                   overrides: dict[str, Any] | None = None) -> dict[str, str]:
    """Where each field of :func:`recipe_for`'s recipe comes from: ``default``, ``recipe DATASET``,
    the recipe file, or ``--flag``.

    A dry run prints this beside the values, so a user sees which of their settings took effect
    and which value a layer above silently replaced.
    """
    default, table = Recipe(), RECIPES.get(dataset)
    sources = {}
    for field in dataclasses.fields(Recipe):
        name = field.name
        in_table = table is not None and getattr(table, name) != getattr(default, name)
        sources[name] = f"recipe {dataset}" if in_table else "default"
    if recipe_file is not None:
        for name in _file_values(recipe_file):
            sources[name] = str(recipe_file)
    for name, value in (overrides or {}).items():
        if value is not None:
            sources[name] = "--" + name.replace("_", "-")
    return sources
