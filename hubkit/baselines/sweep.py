"""``hubkit baselines``: the default recipe on every listed dataset, several seeds, one table.

The sweep is a list of units, one per (dataset, seed), each an ordinary ``hubkit train`` run
(:func:`hubkit.train.fine_tune.fine_tune`) in ``OUT/DATASET/seed-N``. A unit is finished when its
marker ``OUT/DATASET/seed-N.done.json`` exists; the marker is renamed into place after the run
wrote its results, so a kill at any moment leaves either no marker (the unit runs again, from its
last checkpoint with ``--resume``) or a complete one (the unit is skipped). A unit's wall time
counts every attempt at it (``seed-N.attempts.json``), not only the one that finished it. The data
each dataset trains on is prepared once, with its splits carved where needed (:mod:`hubkit.baselines.splits`),
into ``OUT/DATASET/data`` (or, with ``--push-to``, pushed as a benchmark repo and read back at its
commit), so a resumed sweep trains on exactly the data the first half did.

Bad input costs one line and the dataset, never the sweep: an unknown dataset, a ``--data-dir``
for a dataset that is not listed, a dataset without a labelled split to score. A seed whose loss
becomes non-finite is recorded as diverged and the sweep moves on.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hubkit.baselines import record
from hubkit.baselines.references import reference_for, reported_metrics

SWEEP_FILE = "sweep.json"
SOURCE_FILE = "source.json"
DATA_FOLDER = "data"
MODEL_FOLDER = "model"
PUSHED_FILE = "pushed.json"
LOWER_IS_BETTER = {"perplexity", "loss"}

Say = Callable[[str], None]


class BaselinesError(ValueError):
    """A request the sweep cannot start with (the output folder, conflicting flags)."""


@dataclasses.dataclass(frozen=True)
class SweepRequest:
    datasets: tuple[str, ...]
    output: Path
    data_dirs: dict[str, str] = dataclasses.field(default_factory=dict)
    seeds: tuple[int, ...] = (1, 2, 3)
    push_to: str | None = None  # a namespace
    max_train_samples: int | None = None
    max_eval_samples: int | None = None
    resume: bool = False
    model: str | None = None
    # Recipe values every dataset's recipe takes (``--recipe-file``, or library callers).
    recipe_overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    recipe_file: Path | None = None  # where recipe_overrides came from: handed on to child processes
    n_resamples: int = 1000
    devices: tuple[str, ...] | None = None  # CUDA devices to spread datasets over; None: all this machine has
    units_only: bool = False  # train the units and stop (a child process of a multi-GPU sweep)

    def sweep_record(self) -> dict[str, Any]:
        """What must not change between a sweep and its ``--resume`` (else its rows would mix two setups)."""
        return {"seeds": list(self.seeds), "max_train_samples": self.max_train_samples,
                "max_eval_samples": self.max_eval_samples, "model": self.model,
                "recipe_overrides": dict(self.recipe_overrides), "push_to": self.push_to,
                "n_resamples": self.n_resamples}


@dataclasses.dataclass
class SweepOutcome:
    doc: dict[str, Any]
    problems: list[str]


def run_sweep(request: SweepRequest, say: Say = lambda line: None) -> SweepOutcome:
    """Run every unit not yet finished, then write ``baselines.json`` and ``baselines.md`` (and push)."""
    out = request.output
    _check_output(request)
    problems, datasets = check_inputs(request)
    for problem in problems:
        say(f"skipped: {problem}")
    out.mkdir(parents=True, exist_ok=True)
    if not request.units_only:
        record.atomic_write(out / SWEEP_FILE, json.dumps(request.sweep_record(), indent=2) + "\n")
    devices = list(request.devices) if request.devices is not None else _cuda_devices_if_parallel(datasets)
    if len(devices) > 1 and len(datasets) > 1 and not request.units_only:
        problems += _train_in_parallel(request, datasets, devices, say)
    else:
        for name in datasets:
            problem = train_dataset(request, name, say)
            if problem:
                problems.append(problem)
                say(f"failed: {problem}")
    if request.units_only:
        return SweepOutcome({}, problems)
    failed = {p.split(":", 1)[0] for p in problems}
    rows, leaderboards = [], {}
    for name in datasets:
        if name in failed:
            continue
        dataset_rows, model_dir = summarise(out / name, name)
        if request.push_to and model_dir is not None:
            leaderboards[name] = _publish(request, name, model_dir, dataset_rows, say)
        rows += dataset_rows
    doc = {"schema_version": record.SCHEMA_VERSION, "sweep": {"datasets": list(request.datasets),
                                                              **request.sweep_record()},
           "rows": rows, "problems": problems, "leaderboards": leaderboards}
    record.write(doc, out)
    return SweepOutcome(doc, problems)


def recipe_of(request: SweepRequest, name: str) -> Any:
    """The dataset's default recipe (``hubkit.recipes``), with the sweep's model and overrides."""
    from hubkit.recipes import recipe_for

    return recipe_for(name, overrides={**request.recipe_overrides,
                                       "model": request.model or request.recipe_overrides.get("model")})


def _publish(request: SweepRequest, name: str, model_dir: Path, rows: list[dict[str, Any]], say: Say) -> dict[str, str]:
    """Push once: ``pushed.json`` records what a resumed sweep need not push again (the rows' repo, the links)."""
    from hubkit.baselines.publish import publish_dataset

    marker = model_dir.parent / PUSHED_FILE
    if marker.is_file():
        done = json.loads(marker.read_text())
        for row in rows:
            row["model_repo"] = done["model_repo"]
        return done["links"]
    links = publish_dataset(request.push_to, name, recipe_of(request, name).model, model_dir, rows, say)
    record.atomic_write(marker, json.dumps({"model_repo": rows[0]["model_repo"], "links": links}, indent=2) + "\n")
    return links


def _check_output(request: SweepRequest) -> None:
    """Refuse to mix a new sweep into an earlier one's folder, or to resume with another setup."""
    sweep_file = request.output / SWEEP_FILE
    if request.units_only:
        return
    if not request.resume:
        if sweep_file.exists() or (request.output / record.JSON_FILE).exists():
            raise BaselinesError(f"{request.output} holds an earlier sweep; pass --resume to continue it or choose "
                                 "another --output")
        return
    if sweep_file.is_file():
        earlier = json.loads(sweep_file.read_text())
        changed = [key for key, value in request.sweep_record().items() if earlier.get(key) != value]
        if changed:
            raise BaselinesError(f"{sweep_file}: the sweep being resumed ran with other {', '.join(changed)}; "
                                 "resume with the same options or choose another --output")


def check_inputs(request: SweepRequest) -> tuple[list[str], list[str]]:
    """One line per bad input, and the datasets that can run (in the order given, once each)."""
    from hubkit.datasets import registry

    known = registry.discover()
    problems, runnable = [], []
    for name in dict.fromkeys(request.datasets):
        if name not in known:
            problems.append(f"{name}: unknown dataset; choose from {', '.join(sorted(known))}")
        else:
            runnable.append(name)
    for name in request.data_dirs:
        if name not in request.datasets:
            problems.append(f"{name}: --data-dir {name}=... names a dataset that is not in the list "
                            f"({', '.join(request.datasets)})")
    return problems, runnable


def _cuda_devices_if_parallel(datasets: list[str]) -> list[str]:
    if len(datasets) < 2:
        return []
    from hubkit.baselines.devices import cuda_devices

    return cuda_devices()


# ------------------------------------------------------------------ one dataset: data, then its seeds


def train_dataset(request: SweepRequest, name: str, say: Say) -> str | None:
    """Prepare ``name`` (once) and run its unfinished seeds; a one-line problem if it cannot run."""
    from hubkit.datasets.errors import DatasetError
    from hubkit.train.errors import TrainingError

    folder = request.output / name
    try:
        source = prepare_source(request, name, folder, say)
        for seed in request.seeds:
            run_unit(request, name, seed, folder, source, say)
    except (DatasetError, TrainingError, ValueError, LookupError, OSError) as error:
        text = next((line for line in str(error).splitlines() if line.strip()), type(error).__name__)
        return text if text.startswith(f"{name}:") else f"{name}: {text}"
    return None


def prepare_source(request: SweepRequest, name: str, folder: Path, say: Say) -> dict[str, Any]:
    """Where ``name``'s units read their data: ``source.json``, written once the data is in place."""
    from hubkit.datasets.prepare import prepare, save

    source_file = folder / SOURCE_FILE
    if source_file.is_file():
        return json.loads(source_file.read_text())
    say(f"{name}: prepare from {'--data-dir' if name in request.data_dirs else 'its canonical download'}")
    prepared = prepare(name, None, request.data_dirs.get(name))
    from hubkit.baselines.splits import plan_splits

    plan = plan_splits(name, prepared.dataset, prepared.task)
    if plan.note:
        say(f"{name}: {plan.note}")
    carved = dataclasses.replace(prepared, dataset=plan.dataset, card=_with_note(prepared.card, plan.note))
    source = {"split_note": plan.note, "tag": plan.tag, "dataset_repo": None, "revision": None}
    if request.push_to:
        from hubkit.baselines.publish import push_benchmark

        source["dataset_repo"], source["revision"] = push_benchmark(carved, request.push_to, plan.tag)
        say(f"{name}: pushed {source['dataset_repo']} at {source['revision']}")
    else:
        save(carved, folder / DATA_FOLDER, overwrite=True)
    record.atomic_write(source_file, json.dumps(source, indent=2) + "\n")
    return source


def _with_note(card: Any, note: str) -> Any:
    if not note:
        return card
    return dataclasses.replace(card, build_notes=" ".join(filter(None, [card.build_notes, f"Splits: {note}."])))


def unit_marker(folder: Path, seed: int) -> Path:
    return folder / f"seed-{seed}.done.json"


def attempts_file(folder: Path, seed: int) -> Path:
    return folder / f"seed-{seed}.attempts.json"


def earlier_attempts(attempts: Path, unit_dir: Path) -> list[float]:
    """Seconds each earlier, interrupted attempt at a unit ran, so a resumed unit's wall time is its whole time.

    A killed attempt cannot write down when it stopped, so it is taken as its start (written when
    it began) to the last file it wrote in ``unit_dir`` (a log row every 50 steps, a checkpoint
    every few minutes): a little under the truth, never over.
    """
    if not attempts.is_file():
        return []
    last = json.loads(attempts.read_text())
    written = [path.stat().st_mtime for path in unit_dir.rglob("*") if path.is_file()] if unit_dir.is_dir() else []
    return [*last["earlier_s"], max(0.0, max(written, default=last["started_at"]) - last["started_at"])]


def run_unit(request: SweepRequest, name: str, seed: int, folder: Path, source: dict[str, Any], say: Say) -> None:
    """Train ``name`` with ``seed`` unless its marker says it finished; write the marker when it does."""
    from hubkit.train.errors import TrainingError
    from hubkit.train.fine_tune import TrainRequest, fine_tune

    marker = unit_marker(folder, seed)
    if marker.is_file():
        say(f"{name} seed {seed}: finished earlier, skipped")
        return
    unit_dir = folder / f"seed-{seed}"
    resuming = request.resume and unit_dir.is_dir()
    say(f"{name} seed {seed}: {'resume' if resuming else 'train'}")
    recipe = recipe_of(request, name)
    dataset = source["dataset_repo"] or str((folder / DATA_FOLDER).resolve())
    attempts = attempts_file(folder, seed)
    earlier = earlier_attempts(attempts, unit_dir) if resuming else []
    record.atomic_write(attempts, json.dumps({"started_at": time.time(), "earlier_s": earlier}) + "\n")
    started = time.perf_counter()
    status, message = "ok", ""
    try:
        results = fine_tune(TrainRequest(dataset=dataset, dataset_revision=source["revision"], output_dir=unit_dir,
                                         recipe=recipe, seeds=(seed,), max_train_samples=request.max_train_samples,
                                         max_eval_samples=request.max_eval_samples, resume=resuming,
                                         n_resamples=request.n_resamples, progress=False))
        primary = results["task"]["primary_metric"]
        if not all(math.isfinite(scores[primary]) for scores in results["per_seed"][0]["metrics"].values()
                   if isinstance(scores.get(primary), (int, float))):
            status, message = "diverged", f"{primary} is not finite"
    except TrainingError as error:
        if "non-finite" not in str(error):
            raise
        status, message = "diverged", str(error)
    this_attempt = time.perf_counter() - started
    wall = sum(earlier) + this_attempt
    say(f"{name} seed {seed}: {status}" + (f" ({message})" if message else "")
        + f" in {wall:.0f}s" + (f" over {len(earlier) + 1} attempts" if earlier else ""))
    record.atomic_write(marker, json.dumps({"seed": seed, "status": status, "message": message, "wall_time_s": wall,
                                            "attempts_s": [*earlier, this_attempt]}, indent=2) + "\n")


# ------------------------------------------------------------------ rows from the finished units


def summarise(folder: Path, name: str) -> tuple[list[dict[str, Any]], Path | None]:
    """The dataset's rows, and the folder holding its best seed with every seed's scores (None: all diverged)."""
    from hubkit.baselines.devices import hardware

    markers = [json.loads(path.read_text()) for path in sorted(folder.glob("seed-*.done.json"))]
    source = json.loads((folder / SOURCE_FILE).read_text())
    diverged = sorted(m["seed"] for m in markers if m["status"] == "diverged")
    wall = float(sum(m["wall_time_s"] for m in markers))
    runs = [(m["seed"], json.loads((folder / f"seed-{m['seed']}" / "results.json").read_text()))
            for m in markers if m["status"] == "ok"]
    base = {"dataset": name, "scale": 1.0, "diverged_seeds": diverged, "wall_time_s": wall, "split_note": source["split_note"],
            "model_repo": None, "dataset_repo": source["dataset_repo"]}
    if not runs:
        return [{**base, "split": "-", "status": "diverged", "metric": "-", "mean": None, "std": None, "values": [],
                 "seeds": [], "best_seed": None, "ci95": None, "reference": None, "gap_points": None,
                 "hardware": hardware(None), "train_examples": None, "eval_examples": None}], None
    metric = runs[0][1]["task"]["primary_metric"]
    runs.sort(key=lambda run: _rank_key(run[1], metric))  # best first: the card's CI is that of per_seed[0]
    best_seed, best = runs[0]
    combined = _combined_results(best, runs)
    scores = combined["aggregate"]
    rows = []
    for split, values in scores.items():
        for reported in reported_metrics(name, metric):
            if reported not in values:
                continue
            rows.append(_row(base, name, best, runs, best_seed, split, reported, values[reported]))
    model_dir = _write_model_folder(folder, best_seed, combined, rows, source)
    return rows, model_dir


def _row(base: dict[str, Any], name: str, best: dict[str, Any], runs: list, best_seed: int, split: str,
         metric: str, values: dict[str, Any]) -> dict[str, Any]:
    """One (split, metric) row: mean ± std over seeds, the best seed's interval, the reference's gap."""
    from hubkit.baselines.devices import hardware

    mean, std = values["mean"], values["std"]
    ci = best["per_seed"][0]["metrics"][split].get("confidence_intervals", {}).get(metric)
    reference = reference_for(name, split, metric)
    return {**base, "scale": points_scale(best["task"]["family"], metric), "split": split, "status": "ok",
            "metric": metric, "mean": float(mean), "std": float(std), "values": [float(v) for v in values["values"]],
            "seeds": [seed for seed, _ in runs], "best_seed": best_seed,
            "ci95": [float(ci[0]), float(ci[1])] if ci else None,
            "reference": reference.as_dict() if reference else None,
            "gap_points": float(reference.gap(mean)) if reference else None,
            "hardware": hardware(best.get("environment")),
            "recipe": dict(best.get("recipe") or {}),
            "train_examples": best["dataset"].get("train_examples_used"),
            "eval_examples": best["dataset"].get("eval_examples_used", {}).get(split)}


def points_scale(family: str, metric: str) -> float:
    """What turns the metric into points: fractions times 100; SQuAD's scores (points already) and
    perplexity as they are."""
    return 1.0 if family == "question-answering" or metric in LOWER_IS_BETTER else 100.0


def _rank_key(results: dict[str, Any], metric: str) -> float:
    """Sort key, smallest best: the primary metric on validation (else the first scored split)."""
    metrics = results["per_seed"][0]["metrics"]
    split = "validation" if "validation" in metrics else next(iter(metrics))
    value = float(metrics[split].get(metric, math.inf if metric in LOWER_IS_BETTER else -math.inf))
    return value if metric in LOWER_IS_BETTER else -value


def _combined_results(best: dict[str, Any], runs: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    """The best seed's ``results.json`` with every finished seed in ``per_seed`` (best first) and
    ``aggregate`` recomputed over them: what ``hubkit train --seeds`` writes, so the card shows mean ± std."""
    from hubkit.train.fine_tune import aggregate

    combined = json.loads(json.dumps(best))
    combined["seeds"] = [seed for seed, _ in runs]
    combined["per_seed"] = [{**results["per_seed"][0], "output_dir": f"../seed-{seed}"} for seed, results in runs]
    combined["aggregate"] = aggregate([results["per_seed"][0]["metrics"] for _, results in runs])
    combined["wall_time_s"] = sum(results.get("wall_time_s", 0.0) for _, results in runs)
    return combined


def _write_model_folder(folder: Path, best_seed: int, combined: dict[str, Any], rows: list[dict[str, Any]],
                        source: dict[str, Any]) -> Path:
    """``OUT/DATASET/model``: the best seed's model and files, every seed's scores, a baselines card section."""
    from hubkit.cards.context import EXTRA_SECTIONS_DIR
    from hubkit.train.runner import CHECKPOINTS

    model = folder / MODEL_FOLDER
    staging = folder / f".{MODEL_FOLDER}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for item in (folder / f"seed-{best_seed}").iterdir():
        if item.is_file() and item.name != "README.md":
            shutil.copy2(item, staging / item.name)
        elif item.is_dir() and item.name not in (CHECKPOINTS, EXTRA_SECTIONS_DIR, ".eval_results"):
            shutil.copytree(item, staging / item.name)
    (staging / "results.json").write_text(json.dumps(combined, indent=2) + "\n")
    (staging / "best_seed.txt").write_text(f"{best_seed}\n")
    (staging / EXTRA_SECTIONS_DIR).mkdir()
    (staging / EXTRA_SECTIONS_DIR / "baselines.md").write_text(card_section(rows, source), encoding="utf-8")
    if model.exists():
        shutil.rmtree(model)
    staging.rename(model)
    return model


def card_section(rows: list[dict[str, Any]], source: dict[str, Any]) -> str:
    """The model card's "Baselines" section: how the splits were made and how far from the published figure."""
    splits = [row["split"] for row in rows]
    ranked_on = "validation" if "validation" in splits else splits[0]
    lines = ["## Baselines", "", "Part of a `hubkit baselines` sweep: the default recipe, "
             f"{len(rows[0]['seeds'])} seed(s) ({', '.join(map(str, rows[0]['seeds']))}); this repo holds seed "
             f"{rows[0]['best_seed']}, the best on {ranked_on}. Scores are mean ± std over the seeds; the interval is "
             "the 95% bootstrap interval over the evaluated examples of that seed.", ""]
    if source.get("split_note"):
        lines += [f"**Splits:** {source['split_note']}.", ""]
    for row in rows:
        ref = row["reference"]
        line = f"- {row['split']} {row['metric']}: {row['mean']:.4f} ± {row['std']:.4f}"
        if ref:
            line += (f"; published {ref['value']:.2f} ({ref['model']}, {ref['source']}), gap "
                     f"{row['gap_points']:+.2f} points" + (f" ({ref['note']})" if ref.get("note") else ""))
        lines.append(line)
    if not any(row["reference"] for row in rows):
        lines.append("- No published reference to compare with.")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ several GPUs: one dataset each


def _train_in_parallel(request: SweepRequest, datasets: list[str], devices: list[str], say: Say) -> list[str]:
    """Each dataset's units in a child ``hubkit baselines --units-only`` on its own device."""
    from hubkit.baselines.devices import run_one_per_device

    logs = request.output / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    def launch(name: str, env: dict[str, str]) -> subprocess.Popen:
        say(f"{name}: on CUDA device {env['CUDA_VISIBLE_DEVICES']}")
        with open(logs / f"{name}.log", "ab") as log:  # the child keeps its own copy of the descriptor
            return subprocess.Popen(child_command(request, name), env=env, stdout=log, stderr=subprocess.STDOUT)

    statuses = run_one_per_device(datasets, devices, launch)
    problems = []
    for name, code in statuses.items():
        if code != 0:
            problem = _child_problem((logs / f"{name}.log").read_text(errors="replace"), name, code)
            say(f"failed: {problem}")
            problems.append(problem)
    return problems


def _child_problem(log: str, name: str, code: int) -> str:
    """The one line a failed child printed about its dataset (its last ``failed:`` or ``Error:`` line)."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    said = [line for line in lines if line.startswith(("failed: ", "Error: "))]
    text = (said or lines or [f"exited with status {code}"])[-1]
    text = text.removeprefix("failed: ").removeprefix("Error: ")
    return text if text.startswith(f"{name}:") else f"{name}: {text}"


def child_command(request: SweepRequest, name: str) -> list[str]:
    """The command line that trains ``name``'s units of this sweep in another process."""
    if request.recipe_overrides and request.recipe_file is None:
        raise BaselinesError("recipe overrides cannot be passed to child processes; run on one device")
    command = [sys.executable, "-m", "hubkit.cli", "baselines", name, "--output-dir", str(request.output),
               "--seeds", ",".join(map(str, request.seeds)), "--units-only", "--resume"]
    if name in request.data_dirs:
        command += ["--data-dir", f"{name}={request.data_dirs[name]}"]
    if request.max_train_samples:
        command += ["--max-train-samples", str(request.max_train_samples)]
    if request.max_eval_samples:
        command += ["--max-eval-samples", str(request.max_eval_samples)]
    if request.model:
        command += ["--model", request.model]
    if request.recipe_file is not None:
        command += ["--recipe-file", str(request.recipe_file)]
    if request.push_to:
        command += ["--push-to", request.push_to]
    command += ["--bootstrap-resamples", str(request.n_resamples)]
    return command
