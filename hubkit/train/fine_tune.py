"""``hubkit train``: prepare a dataset, fine-tune its baseline once per seed, score, save, push."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from hubkit.train.errors import TrainingError
from hubkit.recipes import Recipe

RESULTS_SCHEMA_VERSION = 1


@dataclasses.dataclass
class TrainRequest:
    dataset: str
    output_dir: Path
    recipe: Recipe
    config: str | None = None
    data_dir: str | None = None
    seeds: tuple[int, ...] = (42,)
    max_train_samples: int | None = None
    max_eval_samples: int | None = None
    resume: bool = False
    push_to: str | None = None
    n_resamples: int = 1000
    progress: bool = True
    prepare_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    # A dataset repo's revision (resolved to its sha once), and its task when its card does not say.
    dataset_revision: str | None = None
    task: Any = None
    # Replace an earlier run in output_dir (its checkpoints, log and results) instead of refusing.
    overwrite: bool = False
    # Precision, accumulation, checkpoint cadence, trackers: hubkit.train.runner.TrainerOptions.
    options: Any = None


def _labelled(split, adapter) -> bool:
    """GLUE-style test splits carry label -1 everywhere: not scorable."""
    column = getattr(adapter, "label_column", None)
    if column is None:
        return True
    return len(split) > 0 and min(split[column]) >= 0


def _head(split, n: int | None):
    return split if n is None or n >= len(split) else split.select(range(n))


def fine_tune(request: TrainRequest) -> dict[str, Any]:
    """Run the whole of ``hubkit train``; returns the results written to ``OUT/results.json``."""
    from hubkit.portable import command
    from hubkit.train.data import load_training_data
    from hubkit.train.models import resolve_model
    from hubkit.train.runner import TrainerOptions, device_summary, resolve_precision, train_one_seed
    from hubkit.train.families import adapter_for

    options = request.options or TrainerOptions()
    resolve_precision(options.precision)  # an impossible precision is refused before any data is read
    prepare_output_dir(request.output_dir, resume=request.resume, overwrite=request.overwrite)
    loaded = load_training_data(request.dataset, request.config, request.data_dir, request.dataset_revision,
                                request.task, request.prepare_options)
    data = loaded.dataset
    if "train" not in data:
        raise TrainingError(f"dataset {request.dataset} has no train split (splits: {', '.join(data)})")
    adapter = adapter_for(loaded.task, loaded.features, request.recipe)
    model = resolve_model(request.recipe.model)
    load_kwargs = {"revision": model.revision} if model.revision else {}
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model.load_path, **load_kwargs)
    train_raw = _head(data["train"], request.max_train_samples)
    eval_splits = {name: _head(data[name], request.max_eval_samples) for name in ("validation", "test")
                   if name in data and _labelled(data[name], adapter)}
    # Before training: a bug in the statistics surfaces in seconds instead of after the run.
    data_stats = _data_stats(loaded.task, {"train": train_raw, **eval_splits})
    started = time.perf_counter()
    runs = []
    for seed in request.seeds:
        folder = request.output_dir if len(request.seeds) == 1 else request.output_dir / f"seed-{seed}"
        runs.append(train_one_seed(adapter, request.recipe, model.load_path, load_kwargs, tokenizer, train_raw,
                                   eval_splits, seed, folder, resume=request.resume, n_resamples=request.n_resamples,
                                   progress=request.progress, options=options))
    results = {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "task": {"family": adapter.family, "pipeline_tag": adapter.pipeline_tag, "primary_metric": adapter.primary_metric,
                 "labels": list(adapter.label_names)},
        "dataset": {**loaded.record, "train_examples_used": len(train_raw),
                    "eval_examples_used": {k: len(v) for k, v in eval_splits.items()}},
        "data_stats": data_stats,
        "base_model": model.record(),
        "recipe": request.recipe.as_dict(),
        "seeds": list(request.seeds),
        "per_seed": [{"seed": r.seed, "metrics": r.metrics, "train_runtime_s": r.train_runtime_s,
                      "output_dir": r.output_dir.relative_to(request.output_dir).as_posix()} for r in runs],
        "aggregate": aggregate([r.metrics for r in runs]),
        "trainer_options": options.as_dict(),
        "environment": {"python": platform.python_version(), **device_summary(options.precision), **_versions()},
        "command": command(sys.argv),
        "wall_time_s": time.perf_counter() - started,
    }
    publishable_model_ids(results, request.output_dir)
    if is_main_process():
        if len(runs) > 1:
            _copy_best_seed(runs, adapter.primary_metric, adapter.greater_is_better, request.output_dir)
        (request.output_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        (request.output_dir / "train_log_history.json").write_text(json.dumps(runs[-1].log_history, indent=1))
    return results


# What a finished or started ``hubkit train`` leaves in its output folder (seed-N/ with --seeds).
RUN_MARKERS = ("results.json", "train_log.jsonl", "checkpoints", "training_args.json")


def _holds_run(folder: Path) -> bool:
    return any((folder / name).exists() for name in RUN_MARKERS) or any(folder.glob("seed-*/train_log.jsonl"))


def prepare_output_dir(output_dir: Path, *, resume: bool, overwrite: bool) -> None:
    """Refuse to train over a finished run unless ``overwrite``; with it, empty the folder first.

    A finished run's folder is someone's result: training into it again would mix two runs'
    checkpoints and logs, so it takes ``--overwrite`` (as eval, prepare and leaderboard do). Only a
    folder that holds a hubkit run is emptied, so a mistyped ``--output-dir .`` deletes nothing.
    """
    import shutil

    if resume and overwrite:
        raise TrainingError("--resume continues the run in the folder and --overwrite deletes it; pass one of them")
    if not output_dir.is_dir() or resume:
        return
    if (output_dir / "results.json").is_file() and not overwrite:
        raise TrainingError(f"{output_dir} holds a finished run (results.json); pass --overwrite to replace it or "
                            "choose another --output-dir")
    if overwrite and any(output_dir.iterdir()):
        if not _holds_run(output_dir):
            raise TrainingError(f"{output_dir} is not empty and holds no hubkit run; --overwrite only replaces a run's "
                                "folder, choose another --output-dir")
        for item in output_dir.iterdir():
            shutil.rmtree(item) if item.is_dir() and not item.is_symlink() else item.unlink()


def publishable_model_ids(results: dict[str, Any], output_dir: Path) -> None:
    """A local base model or tokenizer folder is named relative to the output folder, never by its
    absolute path: results.json is pushed with the model. (Also used by ``hubkit pretrain``.)"""
    from hubkit.portable import relative_path

    for record, key in ((results.get("base_model"), "id"), (results.get("recipe"), "model"),
                        (results.get("tokenizer"), "source")):
        value = (record or {}).get(key)
        if isinstance(value, str) and (Path(value).is_absolute() or Path(value).is_dir()):
            record[key] = relative_path(value, output_dir, "PATH/TO/BASE_MODEL")


def _data_stats(task: Any, splits: dict[str, Any]) -> dict[str, Any]:
    """Sizes, labels and lengths of the rows the run used, for the card (which cannot re-read them later).

    Counting rows that are already in memory has no expected failure, so nothing is caught: a bug
    here should be seen, and the caller runs this before training so it costs no run."""
    from hubkit.cards.datastats import split_stats

    return {name: split_stats(rows, task) for name, rows in splits.items()}


def is_main_process() -> bool:
    """False in the other ranks of a torchrun / accelerate launch: they train but do not write."""
    return int(os.environ.get("RANK", "0")) == 0


def aggregate(per_seed: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, dict[str, float]]]:
    """mean ± std (sample std; 0 for one seed) of every scalar metric, per split."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for split in per_seed[0]:
        for key, value in per_seed[0][split].items():
            if not isinstance(value, (int, float)):
                continue
            values = [float(run[split][key]) for run in per_seed]
            out.setdefault(split, {})[key] = {"mean": statistics.fmean(values),
                                              "std": statistics.stdev(values) if len(values) > 1 else 0.0,
                                              "values": values}
    return out


def _copy_best_seed(runs, metric: str, greater: bool, output_dir: Path) -> None:
    """With several seeds, the folder's top level holds the model of the best seed on validation."""
    import shutil

    from hubkit.train.runner import CHECKPOINTS

    def key(run):
        value = run.metrics.get("validation", {}).get(metric, 0.0)
        return value if greater else -value

    best = max(runs, key=key)
    for item in best.output_dir.iterdir():
        if item.is_file():
            shutil.copy2(item, output_dir / item.name)
        elif item.is_dir() and item.name != CHECKPOINTS:  # a model's module folders (sentence-transformers)
            shutil.copytree(item, output_dir / item.name, dirs_exist_ok=True)
    (output_dir / "best_seed.txt").write_text(f"{best.seed}\n")


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    versions = {}
    for package in ("hubkit", "transformers", "torch", "datasets", "evaluate", "huggingface-hub", "accelerate"):
        try:
            versions[package] = md.version(package)
        except md.PackageNotFoundError:
            pass
    return {"versions": versions}
