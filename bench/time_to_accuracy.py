"""Time to accuracy on the CPU: how long ``hubkit train sst2`` takes to reach a validation accuracy.

1. hubkit's SST-2 run (its recipe and ``training_arguments``: dynamic padding, length-grouped
   batches, linear schedule) on the whole SST-2 train split, evaluating on the validation split
   every ``--eval-every`` steps, until the accuracy reaches ``--target`` or ``--budget-minutes`` of
   training have passed. It prints the training time to the target (evaluations excluded, and
   printed beside it) and the accuracy curve.
2. In the same run, transformers' run_glue defaults (every example padded to 128 tokens, lr 2e-5,
   batch 32, 3 epochs, no warm-up) on the same model, trained for the same training time; it
   prints the accuracy they reach.
3. Levers (``--levers``): each row trains ``--lever-steps`` steps of hubkit's setup with one thing
   changed and prints its throughput (real, unpadded tokens per second after the first steps) as
   a ratio to the default row, and the validation accuracy after those steps (a schedule over
   ``--lever-steps`` steps, so it is a short run's accuracy: a cheap sign of an accuracy effect,
   not a replacement for step 1). The levers: length-grouped batches off, the schedule (cosine,
   constant), the sequence length (32, 128), ``torch.compile`` (its compile time printed apart),
   bf16 autocast on the CPU, and thread counts.

Timings on a machine other jobs share are not worth quoting; the script prints the load average
before and after, and runs the default lever row again last, so a reader can tell. Defaults stay deterministic: same seed, same numbers on an
idle machine (throughput aside).

    python bench/time_to_accuracy.py [--budget-minutes 30] [--eval-every 200] [--target 0.90]
        [--levers all|none|group_by_length,schedule,max_length,compile,bf16,threads] [--lever-steps 100]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SEED = 42
LEVERS = ("group_by_length", "schedule", "max_length", "compile", "bf16", "threads")


@dataclasses.dataclass
class Curve:
    """Validation accuracy against training time (seconds outside evaluation) and step."""

    points: list[tuple[int, float, float]] = dataclasses.field(default_factory=list)  # (step, seconds, accuracy)
    eval_seconds: float = 0.0
    reached_at: tuple[int, float] | None = None

    @property
    def best(self) -> float:
        return max((a for _, _, a in self.points), default=float("nan"))


def clock_callback(curve: Curve, budget_s: float, target: float | None):
    """Stops training at ``target`` accuracy (if given) or after ``budget_s`` seconds of training.

    Training time is wall time minus the evaluations' own runtime, so the cadence of evaluation
    does not decide who wins; the evaluation time is kept in ``curve.eval_seconds`` and printed.
    """
    from transformers import TrainerCallback

    class Clock(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            self.start = time.perf_counter()

        def training_seconds(self) -> float:
            return time.perf_counter() - self.start - curve.eval_seconds

        def on_step_end(self, args, state, control, **kwargs):
            if self.training_seconds() >= budget_s:
                control.should_training_stop = True
                control.should_evaluate = True  # the accuracy the budget bought

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            metrics = metrics or {}
            curve.eval_seconds += metrics.get("eval_runtime", 0.0)
            accuracy = metrics.get("eval_accuracy")
            if accuracy is None:
                return
            seconds = self.training_seconds()
            curve.points.append((state.global_step, seconds, accuracy))
            print(f"  step {state.global_step:6d}  {seconds:7.1f} s training  accuracy {accuracy:.4f}", flush=True)
            if target is not None and accuracy >= target and curve.reached_at is None:
                curve.reached_at = (state.global_step, seconds)
                control.should_training_stop = True

    return Clock()


class Setup:
    """hubkit's SST-2 data, model and ``TrainingArguments``, built once and varied per run."""

    def __init__(self, data_dir: Path, workdir: Path, max_train: int | None):
        from transformers import AutoTokenizer

        from hubkit.datasets.prepare import prepare
        from hubkit.datasets.spec import TaskSpec
        from hubkit.train.families import adapter_for
        from hubkit.train.models import bundled_model_dir
        from hubkit.train.recipes import DEFAULT_MODEL, recipe_for

        self.model_dir = str(bundled_model_dir(DEFAULT_MODEL))
        # Early stopping needs checkpoints; a time-to-accuracy run stops on its own clock instead.
        self.recipe = dataclasses.replace(recipe_for("sst2"), model=self.model_dir, early_stopping_patience=0)
        data = prepare("sst2", data_dir=data_dir).dataset
        self.train_raw = data["train"] if max_train is None else data["train"].select(range(max_train))
        self.validation_raw = data["validation"]
        self.adapter = adapter_for(TaskSpec("text-classification", {"text": "sentence", "label": "label"}),
                                   self.train_raw.features, self.recipe)
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_dir)
        self.workdir = workdir
        self._tokenized: dict[int, tuple[Any, Any]] = {}

    def tokenized(self, max_length: int):
        """(train, validation) tokenised at ``max_length``, cached: levers reuse them."""
        if max_length not in self._tokenized:
            # The adapter truncates at its recipe's max_length; it is swapped for the call only.
            self.adapter.recipe = dataclasses.replace(self.recipe, max_length=max_length)
            self._tokenized[max_length] = (self.adapter.tokenize(self.tokenizer, self.train_raw, training=True),
                                           self.adapter.tokenize(self.tokenizer, self.validation_raw, training=False))
            self.adapter.recipe = self.recipe
        return self._tokenized[max_length]

    def arguments(self, name: str, eval_every: int | None, **changes: Any):
        """hubkit's ``training_arguments`` for this run, with ``changes`` on top."""
        from hubkit.train.runner import TrainerOptions, training_arguments

        base = training_arguments(self.adapter, self.recipe, SEED, self.workdir / name, len(self.train_raw),
                                  has_validation=eval_every is not None, save=False, progress=False,
                                  options=TrainerOptions(eval_steps=eval_every))
        return dataclasses.replace(base, **changes) if changes else base

    def trainer(self, args, max_length: int, callbacks: list, collator_wrapper: Callable | None = None):
        from transformers import Trainer, set_seed

        from hubkit.train.runner import DropKeys

        set_seed(SEED)
        train, validation = self.tokenized(max_length)
        model = self.adapter.load_model(self.model_dir)
        collator = DropKeys(self.adapter.collator(self.tokenizer))
        return Trainer(model=model, args=args, train_dataset=train, eval_dataset=validation,
                       data_collator=collator_wrapper(collator) if collator_wrapper else collator,
                       processing_class=self.tokenizer, compute_metrics=self.adapter.compute_metrics,
                       callbacks=callbacks)


def hubkit_to_target(setup: Setup, budget_s: float, eval_every: int, target: float) -> Curve:
    curve = Curve()
    args = setup.arguments("hubkit", eval_every)
    trainer = setup.trainer(args, setup.recipe.max_length, [clock_callback(curve, budget_s, target)])
    _quiet(trainer)
    trainer.train()
    return curve


def run_glue_for(setup: Setup, seconds: float, eval_every: int) -> Curve:
    """run_glue's defaults for ``seconds`` of training, evaluated at the end (and every few steps)."""
    from transformers import Trainer, TrainingArguments, default_data_collator, set_seed

    set_seed(SEED)
    tokenizer = setup.tokenizer

    def encode(batch):
        return {**tokenizer(batch["sentence"], padding="max_length", max_length=128, truncation=True),
                "labels": batch["label"]}

    train = setup.train_raw.map(encode, batched=True, remove_columns=setup.train_raw.column_names)
    validation = setup.validation_raw.map(encode, batched=True, remove_columns=setup.validation_raw.column_names)
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(setup.model_dir, num_labels=2)
    args = TrainingArguments(output_dir=str(setup.workdir / "run_glue"), per_device_train_batch_size=32,
                             per_device_eval_batch_size=64, learning_rate=2e-5, num_train_epochs=3, seed=SEED,
                             use_cpu=True, report_to="none", save_strategy="no", eval_strategy="steps",
                             eval_steps=max(1, eval_every // 2), disable_tqdm=True, logging_strategy="no")
    curve = Curve()
    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=validation,
                      data_collator=default_data_collator, compute_metrics=setup.adapter.compute_metrics,
                      callbacks=[clock_callback(curve, seconds, None)])
    _quiet(trainer)
    trainer.train()
    return curve


def _quiet(trainer) -> None:
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)


@dataclasses.dataclass
class LeverRow:
    name: str
    tokens_per_s: float
    first_steps_s: float
    accuracy: float | None


class TokenCount:
    """Wraps a collator to count each training batch's real (unpadded) tokens, in the order drawn."""

    def __init__(self, collator):
        self.collator, self.per_batch = collator, []

    def __call__(self, features: list[dict]) -> dict:
        batch = self.collator(features)
        self.per_batch.append(int(batch["attention_mask"].sum()))
        return batch


def steps_timer(warmup: int):
    """Records when each step ends, to time the steady state after ``warmup`` steps (compilation, caches)."""
    from transformers import TrainerCallback

    class Timer(TrainerCallback):
        def __init__(self):
            self.ends: list[float] = []

        def on_train_begin(self, args, state, control, **kwargs):
            self.start = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            self.ends.append(time.perf_counter())

        def steady_seconds(self) -> float:
            return self.ends[-1] - self.ends[warmup - 1]

        def first_seconds(self) -> float:
            return self.ends[warmup - 1] - self.start

    return Timer()


def measure_lever(setup: Setup, name: str, steps: int, evaluate: bool, max_length: int | None = None,
                  threads: int | None = None, **changes: Any) -> LeverRow:
    """Train ``steps`` steps of hubkit's setup with one change; throughput after the first steps."""
    import torch

    max_length = max_length or setup.recipe.max_length
    warmup = max(1, min(10, steps // 5))
    timer = steps_timer(warmup)
    args = setup.arguments(f"lever-{name}", None, max_steps=steps, logging_strategy="no", disable_tqdm=True,
                           **changes)
    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    counts: list[TokenCount] = []

    def counting(collator):
        counts.append(TokenCount(collator))
        return counts[-1]

    try:
        trainer = setup.trainer(args, max_length, [timer], counting)
        _quiet(trainer)
        trainer.train()
        # The steady-state steps' tokens (the loader may have drawn one batch ahead of the last step).
        tokens = sum(counts[0].per_batch[warmup:steps])
        accuracy = trainer.evaluate()["eval_accuracy"] if evaluate else None
    finally:
        torch.set_num_threads(previous)
    return LeverRow(name, tokens / timer.steady_seconds(), timer.first_seconds(), accuracy)


def lever_variants(levers: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """(row name, changes) for each lever asked for, after the default row."""
    import torch

    rows: list[tuple[str, dict[str, Any]]] = [("default (hubkit sst2)", {})]
    if "group_by_length" in levers:
        rows.append(("random batches (no length grouping)", {"train_sampling_strategy": "random"}))
    if "schedule" in levers:
        rows += [("cosine schedule", {"lr_scheduler_type": "cosine"}),
                 ("constant schedule after warm-up", {"lr_scheduler_type": "constant_with_warmup"})]
    if "max_length" in levers:
        rows += [("max_length 32", {"max_length": 32}), ("max_length 128", {"max_length": 128})]
    if "compile" in levers:
        rows.append(("torch.compile", {"torch_compile": True}))
    if "bf16" in levers:
        rows.append(("bf16 autocast on the CPU", {"bf16": True}))
    if "threads" in levers:
        cores = os.cpu_count() or 1
        rows += [(f"{n} thread{'s' if n > 1 else ''}", {"threads": n})
                 for n in sorted({1, max(1, cores // 2), cores}) if n != torch.get_num_threads()]
    # The default again, last: how far it moved from the first row is the noise floor of this run.
    rows.append(("default again (noise floor)", {}))
    return rows


def run_levers(setup: Setup, levers: list[str], steps: int, evaluate: bool) -> None:
    rows = []
    for name, changes in lever_variants(levers):
        print(f"lever: {name} ...", flush=True)
        try:
            rows.append(measure_lever(setup, name, steps, evaluate, **changes))
        # A lever this machine cannot run (no C compiler for torch.compile, no bf16) is a finding, not a crash.
        except (RuntimeError, ValueError, OSError, ImportError, NotImplementedError) as exc:
            print(f"  {name}: could not run here: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    if not rows:
        return
    default = rows[0]
    print(f"\nlevers: {steps} steps each, throughput after the first {max(1, min(10, steps // 5))} steps")
    print(f"{'row':40s} {'tokens/s':>9s} {'ratio':>6s} {'first steps':>11s} {'accuracy':>8s}")
    for row in rows:
        accuracy = f"{row.accuracy:.4f}" if row.accuracy is not None else "-"
        print(f"{row.name:40s} {row.tokens_per_s:9.0f} {row.tokens_per_s / default.tokens_per_s:5.2f}x "
              f"{row.first_steps_s:10.1f}s {accuracy:>8s}")


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def parse_levers(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    if names == ["none"]:
        return []
    if names == ["all"]:
        return list(LEVERS)
    unknown = sorted(set(names) - set(LEVERS))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown lever(s) {', '.join(unknown)}; choose from all, none, "
                                         + ", ".join(LEVERS))
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "glue" / "SST-2")
    parser.add_argument("--budget-minutes", type=float, default=30.0, help="Training time allowed (default 30).")
    parser.add_argument("--eval-every", type=int, default=200, help="Evaluate every N optimizer steps (default 200).")
    parser.add_argument("--target", type=float, default=0.90, help="Validation accuracy to reach (default 0.90).")
    parser.add_argument("--levers", type=parse_levers, default=list(LEVERS),
                        help=f"Lever rows to run: all (default), none, or some of {', '.join(LEVERS)}.")
    parser.add_argument("--lever-steps", type=int, default=100, help="Steps per lever row (default 100).")
    parser.add_argument("--no-lever-accuracy", action="store_true", help="Skip the evaluation after each lever row.")
    parser.add_argument("--skip-target-run", action="store_true", help="Run only the lever rows.")
    parser.add_argument("--max-train-samples", type=int, help="Train on the first N sentences (a quick check).")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["CUDA_VISIBLE_DEVICES"] = ""  # a CPU benchmark, even on a machine with a GPU
    import torch

    print(f"CPU: {os.cpu_count()} cores, torch {torch.__version__} with {torch.get_num_threads()} threads, "
          f"capability {torch.backends.cpu.get_cpu_capability()}; load average {_load()}")
    with tempfile.TemporaryDirectory() as tmp:
        setup = Setup(args.data_dir, Path(tmp), args.max_train_samples)
        if not args.skip_target_run:
            budget = args.budget_minutes * 60
            print(f"hubkit sst2 recipe until validation accuracy >= {args.target} (budget {budget:.0f} s of training, "
                  f"evaluating every {args.eval_every} steps):")
            ours = hubkit_to_target(setup, budget, args.eval_every, args.target)
            seconds = ours.reached_at[1] if ours.reached_at else ours.points[-1][1] if ours.points else budget
            print(f"run_glue defaults (pad to 128, lr 2e-5, batch 32) for the same {seconds:.0f} s of training:")
            theirs = run_glue_for(setup, seconds, args.eval_every)
            if ours.reached_at:
                step, at = ours.reached_at
                print(f"\nhubkit reached {args.target:.2f} at step {step} after {at:.0f} s ({at / 60:.1f} min) of "
                      f"training, plus {ours.eval_seconds:.0f} s evaluating; goal <= 30 min")
            elif seconds < budget:
                # The recipe's schedule ran out before the budget did: a longer schedule is the lever, not time.
                print(f"\nhubkit's recipe ({setup.recipe.epochs:g} epoch(s)) ended after {seconds:.0f} s "
                      f"({seconds / 60:.1f} min) of training without reaching {args.target:.2f}; best accuracy "
                      f"{ours.best:.4f}")
            else:
                print(f"\nhubkit did not reach {args.target:.2f} in {args.budget_minutes:g} min; best accuracy "
                      f"{ours.best:.4f}")
            final = theirs.points[-1][2] if theirs.points else float("nan")
            print(f"run_glue defaults after {seconds:.0f} s: accuracy {final:.4f} (best seen {theirs.best:.4f})")
        if args.levers:
            run_levers(setup, args.levers, args.lever_steps, not args.no_lever_accuracy)
    print(f"load average at the end: {_load()} (on a shared machine the throughput figures are contended)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
