"""The training loop every task family shares: the transformers ``Trainer``, set up the way a
careful practitioner would.

- Dynamic padding and length-grouped batches: examples are padded to the longest in their batch,
  and batches hold examples of similar length, so little compute is spent on padding (run_glue pads
  every example to 128 tokens by default).
- bf16 (or fp16), TF32 matmuls, fused AdamW and SDPA attention on a GPU (:mod:`hubkit.train.device`),
  fp32 on the CPU; the same code under ``torchrun``/``accelerate launch``
  (the Trainer reads the launcher's environment); only the main process writes results and pushes.
- A checkpoint per epoch, every ``--save-steps`` steps, and at the latest every few minutes
  (``TrainerOptions.checkpoint_minutes``), so Ctrl-C in a long first epoch loses minutes, not
  the epoch; ``resume`` continues from the last one, RNG states included, so an
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

from hubkit.train.errors import TrainingError, TrainingInterrupted
from hubkit.recipes import Recipe
from hubkit.results import example_hashes
from hubkit.train.task import TaskAdapter

CHECKPOINTS = "checkpoints"
USAGE_EXAMPLES = "usage_examples.json"
TRAIN_LOG = "train_log.jsonl"
DEFAULT_CHECKPOINT_MINUTES = 5.0
REPORT_TO = ("none", "tensorboard", "trackio")
# A folder: each rank appends the sha256 of every training block it consumes, per step, to
# blocks-rank<N>.jsonl there. For checking that ranks see disjoint data and that a resumed run sees
# what an uninterrupted one does; off (and free) unless set.
RECORD_BLOCKS_ENV = "HUBKIT_RECORD_BLOCKS"


@dataclasses.dataclass(frozen=True)
class TrainerOptions:
    """How a run executes on this machine, next to the recipe's hyper-parameters.

    Kept out of :class:`~hubkit.recipes.Recipe` because the recipe is what the model card quotes
    as the baseline: precision, checkpoint cadence and trackers change where and how fast a run
    goes, not which model it is meant to produce. ``precision`` None means automatic (bf16, else
    fp16, on a GPU; float32 on the CPU).
    """

    precision: str | None = None
    gradient_accumulation_steps: int = 1
    eval_steps: int | None = None
    save_steps: int | None = None
    report_to: str = "none"
    checkpoint_minutes: float = DEFAULT_CHECKPOINT_MINUTES
    # Optimizer steps to train for instead of the recipe's epochs: a corpus read once (a stream has no
    # length to count epochs by). None: the epochs decide.
    max_steps: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


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


def _callbacks(log_path: Path, patience: int, main_process: bool, checkpoint_seconds: float | None = None,
               log_lines: bool = False):
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
    if checkpoint_seconds is not None:
        callbacks.append(timed_checkpoint_callback(checkpoint_seconds))
    if log_lines and main_process:
        callbacks.append(log_line_callback())
    if patience > 0:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=patience))
    return callbacks


def timed_checkpoint_callback(seconds: float, clock=time.monotonic):
    """A callback that asks for a checkpoint once ``seconds`` have passed since the last one.

    Epoch checkpoints alone lose a whole first epoch to Ctrl-C (hours on a large dataset); a
    clock-based save bounds the loss by wall time whatever the dataset size, without the user
    having to guess a step count. ``clock`` is injectable so the rule can be tested without waiting.
    """
    from transformers import TrainerCallback

    class TimedCheckpoint(TrainerCallback):
        def __init__(self):
            self.last = clock()

        def on_train_begin(self, args, state, control, **kwargs):
            self.last = clock()

        def on_step_end(self, args, state, control, **kwargs):
            if clock() - self.last >= seconds:
                control.should_save = True

        def on_save(self, args, state, control, **kwargs):
            self.last = clock()

    return TimedCheckpoint()


def log_line(logs: dict[str, Any], step: int, max_steps: int) -> str | None:
    """One readable line for one Trainer log: training loss, an evaluation, or the run's summary.

    Replaces the Trainer's printed dicts when output is piped: a log file or CI page gets one
    short line per logging interval instead of a dict per step wrapped in bar escape codes.
    """
    where = f"step {step}/{max_steps}"
    if "epoch" in logs:
        where += f" epoch {logs['epoch']:.2f}"
    if "train_runtime" in logs:
        return (f"{where} done in {logs['train_runtime']:.1f}s"
                + (f", mean loss {logs['train_loss']:.4f}" if "train_loss" in logs else ""))
    if "loss" in logs:
        rate = logs.get("learning_rate")
        return f"{where} loss {logs['loss']:.4f}" + (f" lr {rate:.2e}" if isinstance(rate, float) else "")
    scores = {k: v for k, v in logs.items() if k.startswith("eval_") and not k.endswith(("_runtime", "_per_second"))}
    if scores:
        return f"{where} " + " ".join(f"{k}={v:.4f}" for k, v in scores.items() if isinstance(v, (int, float)))
    return None


def log_line_callback():
    """A callback printing :func:`log_line` for every log (on stdout, flushed: a pipe sees it at once)."""
    from transformers import TrainerCallback

    class LogLines(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            line = log_line(logs or {}, state.global_step, state.max_steps)
            if line:
                print(line, flush=True)

    return LogLines()


def device_summary(precision: str | None = None) -> dict[str, Any]:
    """The device a run trained on and the dtype it computed in (``precision`` as asked, else automatic)."""
    import torch

    from hubkit.train.device import detect, speedups_record

    dtypes = {"bf16": "bfloat16", "fp16": "float16"}
    if torch.cuda.is_available():
        return {"device": "cuda", "name": torch.cuda.get_device_name(0), "count": torch.cuda.device_count(),
                "dtype": dtypes.get(precision or "", "bfloat16" if torch.cuda.is_bf16_supported() else "float16"),
                "speedups": speedups_record(detect())}
    return {"device": "cpu", "threads": torch.get_num_threads(), "dtype": dtypes.get(precision or "", "float32")}


def last_checkpoint(folder: Path) -> str | None:
    """The newest complete checkpoint in ``folder``.

    A Ctrl-C can land while a checkpoint is being written; the Trainer writes ``trainer_state.json``
    last, so a folder without it, or with it only partly written, is a torn save and resuming from
    it would fail.
    """
    if not folder.is_dir():
        return None
    complete = [p for p in folder.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()
                and _readable_state(p / "trainer_state.json")]
    return str(max(complete, key=lambda p: int(p.name.split("-")[-1]))) if complete else None


def _readable_state(path: Path) -> bool:
    try:
        return isinstance(json.loads(path.read_text(encoding="utf-8")), dict)
    except (OSError, ValueError):
        return False


def checkpoint_step(checkpoint: str | None) -> int | None:
    """The global step a checkpoint folder was saved at (its ``checkpoint-N`` name)."""
    return int(Path(checkpoint).name.split("-")[-1]) if checkpoint else None


def train_one_seed(adapter: TaskAdapter, recipe: Recipe, model_path: str, load_kwargs: dict, tokenizer,
                   train_raw, eval_splits: dict[str, Any], seed: int, output_dir: Path, *, resume: bool,
                   n_resamples: int = 1000, progress: bool = True, save: bool = True,
                   options: TrainerOptions | None = None) -> SeedRun:
    """Fine-tune once with ``seed``, save the best model in ``output_dir`` and score every eval split.

    ``save=False`` keeps no checkpoint and no model (for callers that only want the scores, like
    learning curves); such a run cannot be resumed.
    """
    from transformers import set_seed

    set_seed(seed)  # before the model is loaded: a new head's initial weights come from this seed
    options = options or TrainerOptions()
    resume_from = resume_point(output_dir, resume)
    start_log(output_dir / TRAIN_LOG, checkpoint_step(resume_from))
    model = adapter.load_model(model_path, **load_kwargs)
    from hubkit.train.device import attention_implementation, detect, use_attention

    use_attention(model, attention_implementation(detect()))  # SDPA on a GPU; the CPU keeps the model's default
    train_raw = node_shard(train_raw)
    train_tok = adapter.tokenize(tokenizer, train_raw, training=True)
    eval_tok = {name: adapter.tokenize(tokenizer, split, training=False) for name, split in eval_splits.items()}
    validation = eval_tok.get("validation")
    n_train = len(train_tok) if hasattr(train_tok, "__len__") else None
    args = training_arguments(adapter, recipe, seed, output_dir / CHECKPOINTS, n_train,
                              has_validation=validation is not None, save=save, progress=progress, options=options)
    trainer = _trainer(adapter, recipe, model, args, tokenizer, train_tok, validation, output_dir, progress,
                       checkpoint_seconds=options.checkpoint_minutes * 60 if save else None)
    runtime = _train(trainer, resume_from, recipe.batch_size, output_dir / CHECKPOINTS)
    metrics = _score(adapter, trainer, eval_splits, eval_tok, output_dir, n_resamples, seed)
    if trainer.is_world_process_zero() and save:
        adapter.save_model(trainer, output_dir)
        tokenizer.save_pretrained(str(output_dir))
        (output_dir / "training_args.json").write_text(portable_arguments(args.to_json_string(), output_dir))
        # The Trainer pickles its arguments beside the model; they hold this machine's paths and the
        # JSON above already records them, so the pickle is not kept (and never pushed).
        (output_dir / "training_args.bin").unlink(missing_ok=True)
    return SeedRun(seed, output_dir, metrics, runtime, trainer.state.log_history)


def node_shard(train_raw):
    """This rank's share of a streamed training split (``split_dataset_by_node``), read by it alone.

    A map-style split is shared out by the Trainer's distributed sampler; a stream has no indices to
    sample, so each rank keeps every WORLD_SIZE-th document (or its own files, when they divide
    evenly) and tokenizes only those. The Trainer is then told not to shard it again
    (:class:`HubkitTrainer`).
    """
    import datasets

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1 or not isinstance(train_raw, datasets.IterableDataset):
        return train_raw
    from datasets.distributed import split_dataset_by_node

    return split_dataset_by_node(train_raw, rank=int(os.environ.get("RANK", "0")), world_size=world)


def portable_arguments(text: str, output_dir: Path) -> str:
    """``TrainingArguments`` as JSON with its folders relative to the output folder (they are published)."""
    from hubkit.portable import relative_path

    values = json.loads(text)
    for key in ("output_dir", "logging_dir"):
        if isinstance(values.get(key), str):
            values[key] = relative_path(values[key], output_dir, "OUT")
    return json.dumps(values, indent=2, sort_keys=True) + "\n"


def start_log(path: Path, resumed_at: int | None) -> None:
    """A fresh run starts an empty ``train_log.jsonl``; a resumed one keeps the rows up to its checkpoint.

    Appending to an earlier run's log mixed two runs' losses in one file; rows logged after the
    checkpoint a run resumes from are logged again by the resumed run, so they are dropped too.
    """
    if resumed_at is None or not path.is_file():
        path.unlink(missing_ok=True)
        return
    kept = [line for line in path.read_text().splitlines() if line.strip()
            and json.loads(line).get("step", 0) <= resumed_at]
    path.write_text("".join(line + "\n" for line in kept))


def resume_point(output_dir: Path, resume: bool) -> str | None:
    """The checkpoint to continue from (``resume``), refusing to train over an earlier run's checkpoints."""
    output_dir.mkdir(parents=True, exist_ok=True)
    checkpoints = output_dir / CHECKPOINTS
    if resume:
        return last_checkpoint(checkpoints)
    if checkpoints.is_dir() and last_checkpoint(checkpoints):
        raise TrainingError(f"{output_dir} already holds checkpoints of an earlier run; pass --resume to continue it, "
                            "--overwrite to start over, or choose another --output-dir")
    return None


def resolve_precision(requested: str | None) -> tuple[bool, bool]:
    """``(bf16, fp16)`` for the Trainer: the requested precision if this machine can run it.

    Automatic (None) is bf16 on a GPU that has it, else fp16 on a GPU, float32 on the CPU. A request
    the device cannot honour is refused before any data is read, instead of failing inside the
    Trainer (fp16 mixed precision needs CUDA; bf16 needs a GPU generation that supports it, and
    runs on the CPU through torch's autocast).
    """
    import torch

    cuda = torch.cuda.is_available()
    if requested == "fp16" and not cuda:
        raise TrainingError("--fp16 needs a CUDA GPU and this machine has none; drop it (float32) or use --bf16")
    if requested == "bf16" and cuda and not torch.cuda.is_bf16_supported():
        raise TrainingError(f"--bf16 is not supported by {torch.cuda.get_device_name(0)}; use --fp16")
    if requested is None:
        bf16 = cuda and torch.cuda.is_bf16_supported()
        return bf16, cuda and not bf16
    return requested == "bf16", requested == "fp16"


def check_report_to(report_to: str) -> None:
    """Refuse a tracker whose package is missing, in one line, before the run starts."""
    if report_to == "none":
        return
    from transformers.integrations import integration_utils

    available = {"tensorboard": integration_utils.is_tensorboard_available,
                 "trackio": integration_utils.is_trackio_available}
    if report_to not in available:
        raise TrainingError(f"--report-to {report_to} is not supported; choose one of {', '.join(REPORT_TO)}")
    if not available[report_to]():
        raise TrainingError(f"--report-to {report_to} needs the {report_to} package (pip install {report_to})")


def _cadence(options: TrainerOptions, has_validation: bool, save: bool, load_best: bool) -> dict[str, Any]:
    """Evaluation and checkpoint strategies: every epoch, or every N steps when asked.

    The Trainer keeps the best checkpoint only if checkpoints fall on evaluations, so with a
    validation split step-based saving implies step-based evaluation (and the reverse), and the
    save interval must be a multiple of the evaluation interval.
    """
    steps = options.eval_steps or options.save_steps
    eval_steps = options.eval_steps or options.save_steps
    save_steps = options.save_steps or options.eval_steps
    if load_best and steps and save_steps % eval_steps:
        raise TrainingError(f"--save-steps {save_steps} must be a multiple of --eval-steps {eval_steps}: the best "
                            "checkpoint is chosen at evaluations")
    values: dict[str, Any] = {"eval_strategy": "no", "save_strategy": "no"}
    if has_validation:
        values["eval_strategy"] = "steps" if steps else "epoch"
        if steps:
            values["eval_steps"] = eval_steps
    if save:
        values["save_strategy"] = "steps" if (options.save_steps or (has_validation and steps)) else "epoch"
        if values["save_strategy"] == "steps":
            values["save_steps"] = save_steps
    return values


def training_arguments(adapter: TaskAdapter, recipe: Recipe, seed: int, checkpoints: Path, n_train: int | None, *,
                       has_validation: bool, save: bool, progress: bool, options: TrainerOptions | None = None):
    """The ``TrainingArguments`` of one seed: the recipe's values, plus what the device, task and options decide."""
    import torch
    from transformers import TrainingArguments

    from hubkit.train.device import detect, training_speedups

    options = options or TrainerOptions()
    cuda = torch.cuda.is_available()
    bf16, fp16 = resolve_precision(options.precision)
    check_report_to(options.report_to)
    selection = adapter.selection_metric or "loss"
    load_best = has_validation and save
    if n_train is None and not options.max_steps:
        raise TrainingError("a streamed training split has no length to count epochs by; pass --max-steps")
    optimizer_steps = options.max_steps or n_train // (recipe.batch_size * options.gradient_accumulation_steps)
    return TrainingArguments(
        output_dir=str(checkpoints),
        per_device_train_batch_size=recipe.batch_size,
        per_device_eval_batch_size=recipe.batch_size * 2,
        learning_rate=recipe.learning_rate,
        num_train_epochs=recipe.epochs,
        max_steps=options.max_steps or -1,
        warmup_steps=recipe.warmup_ratio,  # transformers 5 reads a value below 1 as a fraction of the steps
        weight_decay=recipe.weight_decay,
        lr_scheduler_type="linear",
        seed=seed,
        data_seed=seed,
        # Length-grouped batches cut padding; rows of one length (LM blocks) get a compact random order.
        train_sampling_strategy="group_by_length" if getattr(adapter, "varied_lengths", True) else "random",
        length_column_name="length",
        remove_unused_columns=False,
        gradient_accumulation_steps=options.gradient_accumulation_steps,
        **_cadence(options, has_validation, save, load_best),
        save_total_limit=2,
        load_best_model_at_end=load_best,
        metric_for_best_model=selection if has_validation else None,
        greater_is_better=adapter.greater_is_better if selection != "loss" else False,
        logging_strategy="steps",
        logging_nan_inf_filter=False,
        logging_steps=max(1, min(50, optimizer_steps // 10 or 1)),
        report_to=options.report_to,
        bf16=bf16,
        fp16=fp16,
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
        # TF32 and fused AdamW on a GPU; nothing on the CPU, whose defaults keep runs deterministic.
        **training_speedups(detect()),
    )


def _trainer(adapter: TaskAdapter, recipe: Recipe, model, args, tokenizer, train_tok, validation, output_dir: Path,
             progress: bool, checkpoint_seconds: float | None = None):
    trainer = hubkit_trainer_class()(
        model=model, args=args, train_dataset=train_tok, eval_dataset=validation,
        data_collator=DropKeys(adapter.collator(tokenizer)), processing_class=tokenizer,
        compute_metrics=adapter.compute_metrics if adapter.selection_metric else None,
        callbacks=_callbacks(output_dir / TRAIN_LOG,
                             recipe.early_stopping_patience if validation is not None else 0,
                             main_process=int(os.environ.get("RANK", "0")) == 0,
                             checkpoint_seconds=checkpoint_seconds, log_lines=not progress),
    )
    if not progress:
        # Without progress bars the Trainer prints every log dict; one line per log replaces them
        # (log_line_callback) and train_log.jsonl keeps the dicts.
        from transformers.trainer_callback import PrinterCallback

        trainer.remove_callback(PrinterCallback)
    return trainer


def hubkit_trainer_class():
    """The transformers ``Trainer`` with two additions (a function so transformers is imported lazily).

    - A training stream already split by node (:func:`node_shard`) is not handed to accelerate's
      sharding, which would split it a second time (or, by default, read it all on rank 0 and
      dispatch the batches); it is wrapped for this process alone.
    - With ``HUBKIT_RECORD_BLOCKS`` set, the blocks of every training batch are recorded.
    - A random training order is a :class:`hubkit.train.samplers.CompactRandomSampler`: seeded per
      epoch like accelerate's seedable sampler, without a Python list as long as the training set.
    """
    from transformers import Trainer

    class HubkitTrainer(Trainer):
        def get_train_dataloader(self):
            import datasets

            if self.args.world_size <= 1 or not isinstance(self.train_dataset, datasets.IterableDataset):
                return super().get_train_dataloader()
            from accelerate.data_loader import prepare_data_loader
            from torch.utils.data import DataLoader

            loader = DataLoader(self.train_dataset, batch_size=self._train_batch_size, collate_fn=self.data_collator,
                                num_workers=0, pin_memory=self.args.dataloader_pin_memory)
            return prepare_data_loader(loader, self.args.device, num_processes=1, process_index=0,
                                       put_on_device=True, dispatch_batches=False)

        def _get_train_sampler(self, train_dataset=None):
            from hubkit.train.samplers import CompactRandomSampler

            dataset = train_dataset if train_dataset is not None else self.train_dataset
            if self.args.train_sampling_strategy == "random" and dataset is not None and hasattr(dataset, "__len__"):
                seed = self.args.data_seed if self.args.data_seed is not None else self.args.seed
                return CompactRandomSampler(len(dataset), seed)
            return super()._get_train_sampler(train_dataset)

        def training_step(self, model, inputs, *args, **kwargs):
            folder = os.environ.get(RECORD_BLOCKS_ENV)
            if folder:
                record_blocks(Path(folder), self.args.process_index, self.state.global_step, inputs)
            return super().training_step(model, inputs, *args, **kwargs)

    return HubkitTrainer


def record_blocks(folder: Path, rank: int, step: int, inputs: dict) -> None:
    """Append the sha256 of each block of a training batch, as :func:`hubkit.train.lm.block_hashes` names
    an unmasked block: the masked tokens are put back from the labels, the padding cut off."""
    import hashlib

    import torch

    ids, attention = inputs["input_ids"], inputs["attention_mask"]
    labels = inputs.get("labels")
    original = torch.where(labels != -100, labels, ids) if labels is not None else ids
    hashes = []
    for row, mask in zip(original.tolist(), attention.tolist()):
        tokens = [t for t, keep in zip(row, mask) if keep]
        hashes.append(hashlib.sha256(json.dumps({"input_ids": tokens}, separators=(",", ":")).encode()).hexdigest())
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"blocks-rank{rank}.jsonl", "a") as handle:
        handle.write(json.dumps({"step": step, "blocks": hashes}) + "\n")


def _train(trainer, resume_from: str | None, batch_size: int, checkpoints: Path | None = None) -> float:
    """Run the training loop; seconds it took. Running out of memory becomes advice, not a traceback,
    and Ctrl-C becomes :class:`TrainingInterrupted` naming the step and the checkpoint to resume from
    (the first Ctrl-C saves one at the step reached: :mod:`hubkit.train.interrupt`)."""
    import torch

    from hubkit.train.interrupt import graceful_stop_callback, stop_on_sigint

    strategy = trainer.args.save_strategy
    stop = graceful_stop_callback(can_save=checkpoints is not None and str(getattr(strategy, "value", strategy)) != "no")
    trainer.add_callback(stop)
    started = time.perf_counter()
    try:
        with stop_on_sigint(stop):
            trainer.train(resume_from_checkpoint=resume_from)
    except KeyboardInterrupt:
        saved = last_checkpoint(checkpoints) if checkpoints is not None else None
        raise TrainingInterrupted(trainer.state.global_step, checkpoint_step(saved)) from None
    except torch.cuda.OutOfMemoryError:
        raise TrainingError(f"out of GPU memory at batch size {batch_size}; lower --batch-size or "
                            "--max-length") from None
    except RuntimeError as exc:
        if "out of memory" in str(exc).lower():
            raise TrainingError(f"out of memory at batch size {batch_size}; lower --batch-size or "
                                "--max-length") from None
        raise
    if stop.stopped_at is not None:  # Ctrl-C: the Trainer saved a checkpoint at this step and stopped
        saved = last_checkpoint(checkpoints) if checkpoints is not None else None
        raise TrainingInterrupted(stop.stopped_at, checkpoint_step(saved))
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
            _write_predictions(output_dir / f"predictions_{name}.jsonl", _with_example_hashes(predictions, split))
            if name == usage_split:
                _write_usage_examples(output_dir, name, adapter.usage_examples(split, predictions,
                                                                               trainer.processing_class))
    return metrics


def _with_example_hashes(predictions: dict[str, Any], split) -> dict[str, Any]:
    """The predictions with ``example_sha256`` per example, as ``hubkit eval`` writes them.

    ``hubkit compare`` pairs two results by these hashes, so a training run's predictions can be
    compared with an evaluation's (or another training run's) on the same split. Language models
    already name their token blocks' hashes; where an adapter returns one row per example of the
    split, each row gets its example's hash.
    """
    if "example_sha256" in predictions:
        return predictions
    lengths = {len(v) for v in predictions.values() if isinstance(v, list)}
    if lengths != {len(split)}:
        return predictions
    return {"example_sha256": example_hashes(split), **predictions}


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
