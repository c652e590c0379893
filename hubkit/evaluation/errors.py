"""The one error type of evaluation, comparison and cards: a message a person can act on, as one line."""

from __future__ import annotations


class EvaluationError(RuntimeError):
    """An evaluation cannot run, or a results file cannot be trusted or compared (bad input, mismatch)."""
