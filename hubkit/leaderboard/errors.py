"""The one exception a leaderboard build raises for bad input or unusable hub data."""

from hubkit.evaluation.errors import EvaluationError


class LeaderboardError(EvaluationError):
    """A leaderboard cannot be built as asked; the message says why and what to pass instead.

    It is an :class:`EvaluationError` so the CLI's one-line error handling covers it.
    """
