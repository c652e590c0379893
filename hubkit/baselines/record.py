"""``baselines.json`` (versioned, checked on read) and ``baselines.md`` (the same rows, for a person).

One row per dataset and scored split. A row holds the primary metric as mean ± std over the seeds
that finished, the 95% bootstrap interval over the evaluated examples of the best seed, the
published reference with its source and our gap to it in points, wall time and hardware. A
dataset whose every seed diverged still has a row, with status ``diverged`` and no score; one
that could not run (bad input) is listed under ``problems`` instead.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hubkit.versioned_json import load_checked, version_problem

SCHEMA_VERSION = 1
SUPPORTED_VERSIONS = (1,)
JSON_FILE = "baselines.json"
MARKDOWN_FILE = "baselines.md"
STATUSES = ("ok", "diverged")

# Each row key and the types it may hold (None where a value can be absent).
ROW_FIELDS: dict[str, tuple[type, ...]] = {
    "dataset": (str,), "split": (str,), "status": (str,), "metric": (str,),
    "mean": (float, type(None)), "std": (float, type(None)), "values": (list,), "seeds": (list,),
    "diverged_seeds": (list,), "best_seed": (int, type(None)), "ci95": (list, type(None)),
    "reference": (dict, type(None)), "gap_points": (float, type(None)),
    "wall_time_s": (float,), "hardware": (str,), "train_examples": (int, type(None)),
    "eval_examples": (int, type(None)), "split_note": (str,), "model_repo": (str, type(None)),
    "dataset_repo": (str, type(None)),
    # The metric's value times this is what the table shows: 100 for fractions (accuracy, F1 of
    # classification and tagging), 1 for SQuAD's metrics (already points) and for perplexity.
    "scale": (float,),
}
# Keys added after version 1 was first written: checked when present, so older files still read.
OPTIONAL_ROW_FIELDS: dict[str, tuple[type, ...]] = {
    "recipe": (dict,),  # the recipe every seed of the row trained with (hubkit.recipes.Recipe's fields)
}
# The recipe values baselines.md names, in this order: what a recipe search varies.
RECIPE_SHOWN = ("learning_rate", "epochs", "warmup_ratio", "max_length", "batch_size", "block_size")
TOP_FIELDS: dict[str, type] = {"schema_version": int, "sweep": dict, "rows": list, "problems": list,
                               "leaderboards": dict}


class BaselinesFileError(ValueError):
    """A ``baselines.json`` that this hubkit cannot read."""


def problems(doc: Any) -> list[str]:
    """Everything wrong with ``doc`` as a ``baselines.json``; empty when it is valid."""
    found = version_problem(doc, "baselines", SUPPORTED_VERSIONS)
    if found:
        return [found]
    out = [f"'{key}' is missing or not a {kind.__name__}" for key, kind in TOP_FIELDS.items()
           if not isinstance(doc.get(key), kind)]
    for i, row in enumerate(doc.get("rows") or []):
        if not isinstance(row, dict):
            out.append(f"rows[{i}] is not an object")
            continue
        for key, kinds in ROW_FIELDS.items():
            if key not in row or not isinstance(row[key], kinds) or isinstance(row[key], bool):
                out.append(f"rows[{i}].{key} is missing or of the wrong type")
        for key, kinds in OPTIONAL_ROW_FIELDS.items():
            if key in row and not isinstance(row[key], kinds):
                out.append(f"rows[{i}].{key} is of the wrong type")
        if row.get("status") not in STATUSES:
            out.append(f"rows[{i}].status must be one of {', '.join(STATUSES)}")
        elif row["status"] == "ok" and not (isinstance(row.get("mean"), float) and math.isfinite(row["mean"])):
            out.append(f"rows[{i}].mean must be a finite number when status is ok")
        ci = row.get("ci95")
        if ci is not None and (len(ci) != 2 or not all(isinstance(v, (int, float)) for v in ci) or ci[0] > ci[1]):
            out.append(f"rows[{i}].ci95 must be [low, high]")
    return out


def load(path: str | Path) -> dict[str, Any]:
    """A ``baselines.json`` (or the folder holding one), checked; one line naming the file on any problem."""
    return load_checked(path, JSON_FILE, "baselines", problems, BaselinesFileError)


def write(doc: dict[str, Any], folder: Path) -> None:
    """Both files, each replaced atomically (a kill never leaves half a file)."""
    found = problems(doc)
    if found:  # a bug, not a user error: never write a file our own reader refuses
        raise AssertionError(f"baselines.json would be invalid: {found[0]}")
    atomic_write(folder / JSON_FILE, json.dumps(doc, indent=2) + "\n")
    atomic_write(folder / MARKDOWN_FILE, markdown(doc))


def atomic_write(path: Path, text: str) -> None:
    """Write beside ``path`` and rename over it: readers see the old file or the new one, never a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def _score(row: dict[str, Any]) -> str:
    if row["status"] == "diverged":
        return "diverged (every seed)"
    scale = row["scale"]
    text = f"{row['mean'] * scale:.2f} ± {row['std'] * scale:.2f}"
    if row["diverged_seeds"]:
        text += f" (seeds {', '.join(map(str, row['diverged_seeds']))} diverged)"
    return text


def _ci(row: dict[str, Any]) -> str:
    if not row["ci95"]:
        return "—"
    scale = row["scale"]
    return f"[{row['ci95'][0] * scale:.2f}, {row['ci95'][1] * scale:.2f}] (seed {row['best_seed']})"


def recipe_line(recipe: dict[str, Any]) -> str:
    """The values of a recipe that a search varies, as one line (the model first)."""
    shown = [f"{key} {recipe[key]:g}" if isinstance(recipe[key], float) else f"{key} {recipe[key]}"
             for key in RECIPE_SHOWN if key in recipe]
    return ", ".join([str(recipe.get("model", "?")), *shown])


def markdown(doc: dict[str, Any]) -> str:
    """``baselines.md``: the rows as a table, then the notes (split carves, reference caveats, problems)."""
    sweep = doc["sweep"]
    lines = ["# Baselines", "",
             f"Seeds {', '.join(map(str, sweep['seeds']))}; score = mean ± std over seeds (fractions in points); "
             "95% CI = bootstrap interval over the evaluated examples of the best seed; gap = our mean minus "
             "the published reference, in points."]
    if sweep.get("max_train_samples") or sweep.get("max_eval_samples"):
        lines.append(f"Smoke run (--max-train-samples {sweep.get('max_train_samples')}, --max-eval-samples "
                     f"{sweep.get('max_eval_samples')}): these scores say nothing about quality.")
    lines += ["", "| dataset | split | metric | score | 95% CI | reference | gap | train / eval examples | "
              "wall time | hardware |", "|---|---|---|---|---|---|---|---|---|---|"]
    notes: list[str] = []
    recipes: dict[str, str] = {}
    for row in doc["rows"]:
        if row.get("recipe") and row["dataset"] not in recipes:
            recipes[row["dataset"]] = recipe_line(row["recipe"])
        ref = row["reference"]
        reference = f"{ref['value']:.2f} ({ref['model']}; {ref['source']})" if ref else "none"
        gap = f"{row['gap_points']:+.2f}" if row["gap_points"] is not None else "—"
        lines.append(f"| {row['dataset']} | {row['split']} | {row['metric']} | {_score(row)} | {_ci(row)} | "
                     f"{reference} | {gap} | {row['train_examples']} / {row['eval_examples']} | "
                     f"{row['wall_time_s']:.0f} s | {row['hardware']} |")
        for note in (row["split_note"], ref.get("note") if ref else ""):
            if note and f"{row['dataset']}: {note}" not in notes:
                notes.append(f"{row['dataset']}: {note}")
    if recipes:
        lines += ["", "Recipes:", ""] + [f"- {name}: {line}" for name, line in recipes.items()]
    if notes:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    if doc["leaderboards"]:
        lines += ["", "Published:", ""] + [f"- {name}: {', '.join(f'{k} {v}' for k, v in links.items())}"
                                            for name, links in doc["leaderboards"].items()]
    if doc["problems"]:
        lines += ["", "Not run:", ""] + [f"- {problem}" for problem in doc["problems"]]
    return "\n".join(lines) + "\n"
