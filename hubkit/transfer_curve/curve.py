"""Every (variant, size, seed) fine-tuning of a transfer curve, and the record of their scores.

The protocol keeps the variants apart in one thing only, their starting weights:

- one recipe (the dataset's, with the user's overrides) for every run, with a floor on the number
  of optimizer steps: a subset too small for ``min_steps`` steps in the recipe's epochs is cycled
  through several times per epoch (see :func:`~hubkit.transfer_curve.subsets.repeats_for`). With 3 epochs at batch size 16, 32
  examples make 6 steps, too few for any model to leave the majority class: the small end of the
  curve would show under-training, the same for every variant, instead of what transfer buys;
- per seed, one stratified draw of nested subsets (:mod:`~hubkit.transfer_curve.subsets`), shared by
  every variant; the same seed also seeds the training (head initialisation, batch order, dropout);
- the full validation split is scored once, after the last epoch. It never picks a checkpoint or
  stops training early (``hubkit train`` does both on validation): a point selected on the data that
  scores it would be flattered, and most at the smallest sizes, where the scores vary most.

Runs train in a hidden folder next to OUT through :func:`hubkit.train.runner.train_one_seed`, the
loop of ``hubkit train``; each run's model is deleted once scored. Only the curve's files are moved
into OUT, at the end, so a failed run leaves nothing half-written, and OUT may be the folder of a
model trained with ``hubkit train``, whose card then shows the curve.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hubkit.train.errors import TrainingError
from hubkit.recipes import Recipe
from hubkit.transfer_curve.record import build_record
from hubkit.transfer_curve.subsets import cycled, repeats_for, stratified_subsets
from hubkit.transfer_curve.variants import DOMAIN_ADAPTED, PRETRAINED, RANDOM_INIT, FreshWeights, Variant

# The key under which train_one_seed scores the validation split. Not "validation": under that
# name the training loop would also select checkpoints and stop early on it.
SCORED = "heldout"
# Error bars come from seeds, not from per-run bootstrap intervals; a few resamples satisfy the scorer.
RUN_RESAMPLES = 100
DEFAULT_MIN_STEPS = 50
OUTPUT_FILES = ("curve.csv", "curve.json", "curve.png", "card_sections/transfer_curve.md",
                "card_sections/transfer_curve.png")


@dataclasses.dataclass
class CurveRequest:
    """What ``hubkit transfer-curve`` was asked; ``seeds`` are 0 .. n_seeds-1."""

    dataset: str
    output_dir: Path
    recipe: Recipe
    sizes: tuple[int, ...]
    n_seeds: int = 3
    config: str | None = None
    data_dir: str | None = None
    pretrain_corpus: Path | None = None
    pretrain_epochs: float | None = None
    min_steps: int = DEFAULT_MIN_STEPS
    progress: bool = True
    on_run: Callable[[dict[str, Any]], None] | None = None
    # For a dataset repo NS/NAME: its revision (resolved to a sha once) and its task, if its card lacks one.
    dataset_revision: str | None = None
    task: Any = None

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(range(self.n_seeds))


@dataclasses.dataclass
class Data:
    """The prepared dataset, its task adapter, and the facts the curve needs about its labels."""

    prepared: Any
    adapter: Any
    train: Any
    validation: Any
    train_labels: list[int]

    @property
    def label_names(self) -> list[str]:
        return list(self.adapter.label_names)


def check_request(request: CurveRequest) -> None:
    """Refuse bad input before anything is loaded or trained."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise TrainingError("hubkit transfer-curve runs as one process (one GPU or the CPU); run it without torchrun")
    if not request.sizes or any(size < 1 for size in request.sizes):
        raise TrainingError(f"--sizes must be positive integers, got {list(request.sizes)}")
    if len(set(request.sizes)) != len(request.sizes):
        raise TrainingError(f"--sizes must be distinct, got {list(request.sizes)}")
    if request.min_steps < 0:
        raise TrainingError(f"--min-steps must be 0 or more, got {request.min_steps}")
    if request.n_seeds < 1:
        raise TrainingError(f"--seeds must be at least 1, got {request.n_seeds}")
    if request.pretrain_corpus is not None and not Path(request.pretrain_corpus).exists():
        raise TrainingError(f"pre-training corpus {request.pretrain_corpus} does not exist")
    out = Path(request.output_dir)
    if out.exists() and not out.is_dir():
        raise TrainingError(f"{out} exists and is not a folder")
    taken = [name for name in OUTPUT_FILES if (out / name).exists()]
    if taken:
        raise TrainingError(f"{out} already holds a transfer curve ({taken[0]}); choose another --output")


def transfer_curve(request: CurveRequest) -> dict[str, Any]:
    """Run the whole of ``hubkit transfer-curve``; returns the record written to ``OUT/curve.json``."""
    from hubkit.transfer_curve.report import write_outputs

    check_request(request)
    started = time.perf_counter()
    data = load_data(request)
    base = load_base(request)
    out = Path(request.output_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.transfer-curve-", dir=out.parent))
    try:
        record = _run_all(request, data, base, staging)
        record["wall_time_s"] = time.perf_counter() - started
        write_outputs(record, staging)
        _move_into(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return record


def load_data(request: CurveRequest) -> Data:
    """The dataset's train and validation splits, refused unless they can make a stratified curve."""
    from hubkit.train.data import load_training_data
    from hubkit.train.families import adapter_for

    prepared = load_training_data(request.dataset, request.config, request.data_dir, request.dataset_revision,
                                  request.task)
    splits = prepared.dataset
    for split in ("train", "validation"):
        if split not in splits:
            raise TrainingError(f"dataset {request.dataset} has no {split} split (splits: {', '.join(splits)})")
    adapter = adapter_for(prepared.task, prepared.features, request.recipe)
    label_column = getattr(adapter, "label_column", None)
    if adapter.family != "text-classification" or label_column is None:
        raise TrainingError(f"transfer-curve needs a text-classification dataset (subsets are stratified by label); "
                            f"{request.dataset} is {adapter.family}")
    train, validation = splits["train"], splits["validation"]
    if len(validation) == 0 or min(validation[label_column]) < 0:
        raise TrainingError(f"the validation split of {request.dataset} has no labels to score against")
    too_big = [size for size in request.sizes if size > len(train)]
    if too_big:
        raise TrainingError(f"size {too_big[0]} is larger than the training split ({len(train)} examples)")
    n_classes = len(adapter.label_names)
    too_small = [size for size in request.sizes if size < n_classes]
    if too_small:
        raise TrainingError(f"size {too_small[0]} is smaller than the number of labels ({n_classes}); "
                            "a stratified subset needs at least one example per label")
    return Data(prepared, adapter, train, validation, list(train[label_column]))


@dataclasses.dataclass
class Base:
    """The pre-trained model every variant starts from (by id and commit) and its tokenizer."""

    model: Any  # hubkit.train.models.ResolvedModel
    tokenizer: Any

    @property
    def load_kwargs(self) -> dict[str, Any]:
        return {"revision": self.model.revision} if self.model.revision else {}


def load_base(request: CurveRequest) -> Base:
    """Resolve the model (a bad id fails here, before any folder is made) and load its tokenizer."""
    from transformers import AutoTokenizer

    from hubkit.train.models import resolve_model

    base = Base(resolve_model(request.recipe.model), tokenizer=None)
    base.tokenizer = AutoTokenizer.from_pretrained(base.model.load_path, **base.load_kwargs)
    return base


def _run_all(request: CurveRequest, data: Data, base: Base, staging: Path) -> dict[str, Any]:
    model, load_kwargs, tokenizer = base.model, base.load_kwargs, base.tokenizer
    sizes = tuple(sorted(request.sizes))
    subsets = {seed: stratified_subsets(data.train_labels, len(data.label_names), sizes, seed)
               for seed in request.seeds}
    variants = [Variant(PRETRAINED, model.load_path, load_kwargs),
                Variant(RANDOM_INIT, model.load_path, load_kwargs, fresh_weights=True)]
    pretrain_record = None
    if request.pretrain_corpus is not None:
        adapted = staging / DOMAIN_ADAPTED
        pretrain_record = domain_adapt(request, model.model_id, adapted)
        variants.append(Variant(DOMAIN_ADAPTED, str(adapted), {}))
    runs = []
    for size in sizes:
        repeats = repeats_for(size, request.recipe, request.min_steps)
        for seed in request.seeds:
            train_raw = cycled(data.train.select(subsets[seed][size]), repeats)
            for variant in variants:
                run = _one_run(request, data, variant, tokenizer, train_raw, size, seed, staging)
                runs.append(run)
                if request.on_run:
                    request.on_run(run)
    return build_record(request, data, base, variants, subsets, runs, pretrain_record)


def _one_run(request: CurveRequest, data: Data, variant: Variant, tokenizer, train_raw, size: int, seed: int,
             staging: Path) -> dict[str, Any]:
    """Fine-tune one variant on one subset, score it, and delete its model (only the scores are kept)."""
    from hubkit.train.runner import train_one_seed

    folder = staging / "runs" / variant.name / f"n{size}-seed{seed}"
    adapter = FreshWeights(data.adapter) if variant.fresh_weights else data.adapter
    result = train_one_seed(adapter, request.recipe, variant.model_path, variant.load_kwargs, tokenizer, train_raw,
                            {SCORED: data.validation}, seed, folder, resume=False, n_resamples=RUN_RESAMPLES,
                            progress=request.progress, save=False)
    shutil.rmtree(folder, ignore_errors=True)
    scores = {key: value for key, value in result.metrics[SCORED].items() if isinstance(value, (int, float))}
    train_loss = next((row["train_loss"] for row in reversed(result.log_history) if "train_loss" in row), None)
    return {"variant": variant.name, "train_examples": size, "seed": seed, "metrics": scores,
            "train_loss": train_loss, "train_runtime_s": result.train_runtime_s}


def domain_adapt(request: CurveRequest, model_id: str, folder: Path) -> dict[str, Any]:
    """Masked-LM training of the checkpoint on the corpus (``hubkit pretrain``); returns its record."""
    from hubkit.train.pretrain import PretrainRequest, pretrain

    results = pretrain(PretrainRequest(corpus=Path(request.pretrain_corpus), output_dir=folder, objective="mlm",
                                       from_model=model_id, epochs=request.pretrain_epochs,
                                       seed=request.seeds[0], n_resamples=RUN_RESAMPLES, progress=request.progress))
    validation = results["per_seed"][0]["metrics"]["validation"]
    return {"corpus": results["corpus"], "recipe": results["recipe"],
            "validation_perplexity_before": validation.get("perplexity_at_init"),
            "validation_perplexity_after": validation.get("perplexity"),
            "train_runtime_s": results["per_seed"][0]["train_runtime_s"]}


def _move_into(staging: Path, out: Path) -> None:
    """Move the curve's files from the staging folder into OUT, refusing (again) to overwrite any."""
    taken = [name for name in OUTPUT_FILES if (out / name).exists()]
    if taken:
        raise TrainingError(f"{out / taken[0]} appeared while the curve was running; the curve was not written")
    (out / "card_sections").mkdir(parents=True, exist_ok=True)
    for name in OUTPUT_FILES:
        os.replace(staging / name, out / name)
