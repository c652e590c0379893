"""The ``results.json`` layout, versioned, and the checks a results file must pass before use.

The format is shared: training and evaluation write it, cards and leaderboards read it. So it sits
in the foundation, below all of them, and raises whatever error type its caller passes in
(:mod:`hubkit.evaluation.schema` passes ``EvaluationError``, the model card ``CardError``).

Two kinds of results share one ``schema_version`` counter: ``hubkit train`` writes a *training*
result (per-seed metrics, aggregate mean ± std), ``hubkit eval`` an *evaluation* result (one model,
one split, with full provenance). Both are documented in ``docs/results-schema.md``. A reader
accepts its own version and older ones it knows how to read, and refuses newer ones by name
instead of guessing (MTEB's results-format churn broke re-loading: MT#875, MT#1899).
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

from hubkit.versioned_json import load_checked, version_problem

SCHEMA_VERSION = 1
SUPPORTED_VERSIONS = (1,)
EVALUATION = "evaluation"
TRAINING = "training"
PREDICTIONS_FILE = "predictions.parquet"
RESULTS_FILE = "results.json"

# Required top-level keys of an evaluation result and the type each must have.
EVAL_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "schema_version": int, "kind": str, "task": dict, "model": dict, "dataset": dict, "metrics": dict,
    "confidence_intervals": dict, "bootstrap": dict, "predictions": dict, "provenance": dict, "request": dict,
}
TRAIN_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "schema_version": int, "task": dict, "dataset": dict, "base_model": dict, "recipe": dict, "seeds": list,
    "per_seed": list, "aggregate": dict,
}


def kind_of(results: dict[str, Any]) -> str:
    """``evaluation`` or ``training`` (training results predate the ``kind`` field)."""
    return results.get("kind") or (TRAINING if "per_seed" in results else EVALUATION)


def load_results(path: str | Path, error: type[Exception] = ValueError) -> dict[str, Any]:
    """A results file, parsed and checked; one clear ``error`` if it is missing, broken or too new."""
    return load_checked(path, RESULTS_FILE, "results", check_results, error)


def check_results(results: Any) -> list[str]:
    """Problems with a parsed results file, one line each; empty when it is usable."""
    problem = version_problem(results, "results", SUPPORTED_VERSIONS)
    if problem:
        return [problem]
    kind = kind_of(results)
    if kind not in (EVALUATION, TRAINING):
        return [f"unknown results kind {kind!r}; expected {EVALUATION!r} or {TRAINING!r}"]
    required = EVAL_REQUIRED if kind == EVALUATION else TRAIN_REQUIRED
    problems = [f"'{key}' is missing" if key not in results else f"'{key}' must be {_type_name(kind_)}"
                for key, kind_ in required.items() if not isinstance(results.get(key), kind_)]
    if problems:
        return problems
    metrics = results["metrics"] if kind == EVALUATION else {}
    problems += [f"metric '{name}' must be a finite number, got {value!r}" for name, value in metrics.items()
                 if not _finite(value)]
    for name, interval in (results.get("confidence_intervals") or {}).items():
        if not (isinstance(interval, list) and len(interval) == 2 and all(_finite(v) for v in interval)):
            problems.append(f"confidence interval of '{name}' must be [low, high], got {interval!r}")
    return problems


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {dict: "an object", list: "a list", int: "an integer", str: "a string", float: "a number"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def split_scores(scores: dict[str, Any]) -> tuple[dict[str, float], dict[str, list[float]], dict[str, Any]]:
    """An adapter's ``score()`` output as (scalar metrics, 95% intervals, everything else).

    Scalars go into model-index and leaderboards; intervals sit beside them; the rest (per-class
    F1, per-entity-type scores, confusion counts) is detail for the card.
    """
    scalars = {key: float(value) for key, value in scores.items() if _finite(value)}
    intervals = {key: [float(v) for v in value] for key, value in (scores.get("confidence_intervals") or {}).items()
                 if isinstance(value, (list, tuple)) and len(value) == 2 and all(_finite(v) for v in value)}
    details = {key: value for key, value in scores.items()
               if key not in scalars and key not in ("confidence_intervals", "bootstrap")}
    return scalars, intervals, details


def results_dir(path: str | Path) -> Path:
    """The folder a results file lives in (its predictions and plots sit beside it)."""
    path = Path(path)
    return path if path.is_dir() else path.parent


def example_hashes(rows) -> list[str]:
    """A sha256 per example over all its columns: the identity ``hubkit compare`` pairs examples by.

    It lives here, beside the results layout, because both writers of per-example predictions use
    it: ``hubkit eval`` and ``hubkit train``. Two runs on the same split then pair example by example
    whichever of them wrote the file.
    """
    return [hashlib.sha256(json.dumps(row, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
            for row in rows]
