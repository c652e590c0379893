"""The ``results.json`` layout as evaluation code reads it: :mod:`hubkit.results`, with evaluation's error.

The format itself lives in :mod:`hubkit.results`, in the foundation, because training, cards and
leaderboards read it too; this module only makes a bad file raise :class:`EvaluationError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hubkit import results
from hubkit.evaluation.errors import EvaluationError
from hubkit.results import (EVAL_REQUIRED, EVALUATION, PREDICTIONS_FILE, RESULTS_FILE, SCHEMA_VERSION,
                            SUPPORTED_VERSIONS, TRAIN_REQUIRED, TRAINING, check_results, kind_of, results_dir,
                            split_scores)

__all__ = ["EVAL_REQUIRED", "EVALUATION", "PREDICTIONS_FILE", "RESULTS_FILE", "SCHEMA_VERSION", "SUPPORTED_VERSIONS",
           "TRAIN_REQUIRED", "TRAINING", "check_results", "kind_of", "load_results", "results_dir", "split_scores"]


def load_results(path: str | Path) -> dict[str, Any]:
    """A results file, parsed and checked: one clear :class:`EvaluationError` if it is missing, broken or too new."""
    return results.load_results(path, EvaluationError)
