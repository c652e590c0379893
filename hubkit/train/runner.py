"""The training loop every task family shares: the transformers ``Trainer``, set up the way a
careful practitioner would.

- Dynamic padding and length-grouped batches: examples are padded to the longest in their batch,
  and batches hold examples of similar length, so little compute is spent on padding (run_glue pads
  every example to 128 tokens by default).
- bf16 (or fp16) on a GPU, fp32 on the CPU; the same code under ``torchrun``/``accelerate launch``
  (the Trainer reads the launcher's environment); only the main process writes results and pushes.
- A checkpoint per epoch; ``resume`` continues from the last one, RNG states included, so an
  interrupted run ends where an uninterrupted one does. Early stopping on the validation metric,
  the best checkpoint kept. A JSONL log of every logged step. A NaN loss stops the run at once.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from pathlib import Path
from typing import Any

from hubkit.train.errors import TrainingError
from hubkit.recipes import Recipe
from hubkit.train.task import TaskAdapter

CHECKPOINTS = "checkpoints"
USAGE_EXAMPLES = "usage_examples.json"


@dataclasses.dataclass
class SeedRun:
    seed: int
    output_dir: Path
    metrics: dict[str, dict[str, Any]]
    train_runtime_s: float
    log_history: list[dict]


class DropKeys:
    """Wraps a collator so that bookkeeping columns (the precomputed ``length``) never reach the model."""

    def __init__(self, collator, keys: tuple[str, ...] = ("length",)):
        self.collator, self.keys = collator, keys

    def __call__(self, features: list[dict]) -> dict:
        return self.collator([{k: v for k, v in f.items() if k not in self.keys} for f in features])


def _callbacks(log_path: Path, patience: int, main_process: bool):
    from transformers import EarlyStoppingCallback, TrainerCallback

    class JsonlLog(TrainerCallback):
        """Every logged step as one JSON line, appended so a resumed run keeps its history."""

        def on_log(self, args, state, control, logs=None, **kwargs):
            if main_process and logs:
                with open(log_path, "a") as handle:
                    handle.write(json.dumps({"step": state.global_step, "epoch": state.epoch, **logs}) + "\n")

    class NanGuard(TrainerCallback):
        """Stop at the first non-finite loss or gradient instead of training on garbage to the end."""

        def on_log(self, args, state, control, logs=None, **kwargs):
            for key in ("loss", "grad_norm", "eval_loss"):
                value = (logs or {}).get(key)
                if value is not None and not math.isfinite(value):
                    raise TrainingError(f"the training loss became non-finite ({key}={value}) at step "
                                        f"{state.global_step}; lower the learning rate (--learning-rate) or check "
                                        "the data")

    callbacks = [JsonlLog(), NanGuard()]
    if patience > 0:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=patience))
    return callbacks


def device_summary() -> dict[str, Any]:
    import torch

    if torch.cuda.is_available():
        return {"device": "cuda", "name": torch.cuda.get_device_name(0), "count": torch.cuda.device_count(),
                "dtype": "bfloat16" if torch.cuda.is_bf16_supported() else "float16"}
    return {"device": "cpu", "threads": torch.get_num_threads(), "dtype": "float32"}


def last_checkpoint(folder: Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(str(folder)) if folder.is_dir() else None


def train_one_seed(adapter: TaskAdapter, recipe: Recipe, model_path: str, load_kwargs: dict, tokenizer,
                   train_raw, eval_splits: dict[str, Any], seed: int, output_dir: Path, *, resume: bool,
                   n_resamples: int = 1000, progress: bool = True, save: bool = True) -> SeedRun:
    """Fine-tune once with ``seed``, save the best model in ``output_dir`` and score every eval split.

    ``save=False`` keeps no checkpoint and no model (for callers that only want the scores, like
    learning curves); such a run cannot be resumed.
    """
    from transformers import set_seed

    set_seed(seed)  # before the model is loaded: a new head's initial weights come from this seed
    resume_from = resume_point(output_dir, resume)
    model = adapter.load_model(model_path, **load_kwargs)
    train_tok = adapter.tokenize(tokenizer, train_raw, training=True)
    eval_tok = {name: adapter.tokenize(tokenizer, split, training=False) for name, split in eval_splits.items()}
    validation = eval_tok.get("validation")
    args = training_arguments(adapter, recipe, seed, output_dir / CHECKPOINTS, len(train_tok),
                              has_validation=validation is not None, save=save, progress=progress)
    trainer = _trainer(adapter, recipe, model, args, tokenizer, train_tok, validation, output_dir, progress)
    runtime = _train(trainer, resume_from, recipe.batch_size)
    metrics = _score(adapter, trainer, eval_splits, eval_tok, output_dir, n_resamples, seed)
    if trainer.is_world_process_zero() and save:
        adapter.save_model(trainer, output_dir)
        tokenizer.save_pretrained(str(output_dir))
        (output_dir / "training_args.json").write_text(portable_arguments(args.to_json_string(), output_dir))
        # The Trainer pickles its arguments beside the model; they hold this machine's paths and the
        # JSON above already records them, so the pickle is not kept (and never pushed).
        (output_dir / "training_args.bin").unlink(missing_ok=True)
    return SeedRun(seed, output_dir, metrics, runtime, trainer.state.log_history)


def portable_arguments(text: str, output_dir: Path) -> str:
    """``TrainingArguments`` as JSON with its folders relative to the output folder (they are published)."""
    from hubkit.portable import relative_path

    values = json.loads(text)
    for key in ("output_dir", "logging_dir"):
        if isinstance(values.get(key), str):
            values[key] = relative_path(values[key], output_dir, "OUT")
    return json.dumps(values, indent=2, sort_keys=True) + "\n"


def resume_point(output_dir: Path, resume: bool) -> str | None:
    """The checkpoint to continue from (``resume``), refusing to train over an earlier run's checkpoints."""
    output_dir.mkdir(parents=True, exist_ok=True)
    checkpoints = output_dir / CHECKPOINTS
    if resume:
        return last_checkpoint(checkpoints)
    if checkpoints.is_dir() and last_checkpoint(checkpoints):
        raise TrainingError(f"{output_dir} already holds checkpoints of an earlier run; pass --resume to continue it "
                            "or choose another --output-dir")
    return None


def training_arguments(adapter: TaskAdapter, recipe: Recipe, seed: int, checkpoints: Path, n_train: int, *,
                       has_validation: bool, save: bool, progress: bool):
    """The ``TrainingArguments`` of one seed: the recipe's values, plus what the device and task decide."""
    import torch
    from transformers import TrainingArguments

    cuda = torch.cuda.is_available()
    bf16 = cuda and torch.cuda.is_bf16_supported()
    selection = adapter.selection_metric or "loss"
    return TrainingArguments(
        output_dir=str(checkpoints),
        per_device_train_batch_size=recipe.batch_size,
        per_device_eval_batch_size=recipe.batch_size * 2,
        learning_rate=recipe.learning_rate,
        num_train_epochs=recipe.epochs,
        warmup_steps=recipe.warmup_ratio,  # transformers 5 reads a value below 1 as a fraction of the steps
        weight_decay=recipe.weight_decay,
        lr_scheduler_type="linear",
        seed=seed,
        data_seed=seed,
        train_sampling_strategy="group_by_length",
        length_column_name="length",
        remove_unused_columns=False,
        eval_strategy="epoch" if has_validation else "no",
        save_strategy="epoch" if save else "no",
        save_total_limit=2,
        load_best_model_at_end=has_validation and save,
        metric_for_best_model=selection if has_validation else None,
        greater_is_better=adapter.greater_is_better if selection != "loss" else False,
        logging_strategy="steps",
        logging_nan_inf_filter=False,
        logging_steps=max(1, min(50, n_train // recipe.batch_size // 10 or 1)),
        report_to="none",
        bf16=bf16,
        fp16=cuda and not bf16,
        # Without a GPU, say so: accelerate then sets up gloo DDP under torchrun instead of one process per copy.
        use_cpu=not cuda,
        # Classification losses are per-example means; DDP averages gradients, so the log stays a mean too.
        average_tokens_across_devices=False,
        # transformers searches for unused parameters by default, a cost on every step; only the
        # families whose models have such parameters ask for it (see TaskAdapter.ddp_unused_parameters).
        ddp_find_unused_parameters=adapter.ddp_unused_parameters(),
        dataloader_num_workers=0,
        dataloader_pin_memory=cuda,
        disable_tqdm=not progress,
    )


def _trainer(adapter: TaskAdapter, recipe: Recipe, model, args, tokenizer, train_tok, validation, output_dir: Path,
             progress: bool):
    from transformers import Trainer

    trainer = Trainer(
        model=model, args=args, train_dataset=train_tok, eval_dataset=validation,
        data_collator=DropKeys(adapter.collator(tokenizer)), processing_class=tokenizer,
        compute_metrics=adapter.compute_metrics if adapter.selection_metric else None,
        callbacks=_callbacks(output_dir / "train_log.jsonl",
                             recipe.early_stopping_patience if validation is not None else 0,
                             main_process=int(os.environ.get("RANK", "0")) == 0),
    )
    if not progress:
        # Without progress bars the Trainer prints every log dict; train_log.jsonl already has them.
        from transformers.trainer_callback import PrinterCallback

        trainer.remove_callback(PrinterCallback)
    return trainer


def _train(trainer, resume_from: str | None, batch_size: int) -> float:
    """Run the training loop; seconds it took. Running out of memory becomes advice, not a traceback."""
    import torch

    started = time.perf_counter()
    try:
        trainer.train(resume_from_checkpoint=resume_from)
    except torch.cuda.OutOfMemoryError:
        raise TrainingError(f"out of GPU memory at batch size {batch_size}; lower --batch-size or "
                            "--max-length") from None
    except RuntimeError as exc:
        if "out of memory" in str(exc).lower():
            raise TrainingError(f"out of memory at batch size {batch_size}; lower --batch-size or "
                                "--max-length") from None
        raise
    return time.perf_counter() - started


def _score(adapter: TaskAdapter, trainer, eval_splits: dict[str, Any], eval_tok: dict[str, Any], output_dir: Path,
           n_resamples: int, seed: int) -> dict[str, dict[str, Any]]:
    """Each eval split's scores with the trained model; the main process also writes its predictions."""
    metrics = {}
    usage_split = "validation" if "validation" in eval_splits else next(iter(eval_splits), None)
    for name, split in eval_splits.items():
        predictions = adapter.predict(trainer, split, eval_tok[name])
        metrics[name] = adapter.score(predictions, n_resamples=n_resamples, seed=seed)
        if trainer.is_world_process_zero():
            _write_predictions(output_dir / f"predictions_{name}.jsonl", predictions)
            if name == usage_split:
                _write_usage_examples(output_dir, name, adapter.usage_examples(split, predictions,
                                                                               trainer.processing_class))
    return metrics


def _write_usage_examples(output_dir: Path, split: str, examples: dict[str, Any] | None) -> None:
    """``usage_examples.json``: what the model card's usage snippet runs, and must print."""
    path = output_dir / USAGE_EXAMPLES
    if examples is None:
        path.unlink(missing_ok=True)
        return
    path.write_text(json.dumps({"split": split, **examples}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_predictions(path: Path, predictions: dict[str, Any]) -> None:
    keys = [k for k, v in predictions.items() if isinstance(v, list)]
    with open(path, "w") as handle:
        for row in zip(*(predictions[k] for k in keys)):
            handle.write(json.dumps(dict(zip(keys, row))) + "\n")
