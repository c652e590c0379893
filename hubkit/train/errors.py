"""The one error type of training: a message a person can act on, printed as one line."""


class TrainingError(RuntimeError):
    """Training cannot start or cannot go on (bad input, a diverging loss, out of memory)."""
