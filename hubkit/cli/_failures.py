"""The exceptions hubkit's eval, compare and card commands turn into one line and a non-zero exit."""

from __future__ import annotations

import contextlib
from typing import Iterator

import click


def _expected() -> tuple[type[BaseException], ...]:
    from hubkit.cards.errors import CardError
    from hubkit.datasets.errors import DatasetError
    from hubkit.evaluation.errors import EvaluationError
    from hubkit.hub_client import HubConnectionError
    from hubkit.train.errors import TrainingError

    kinds: list[type[BaseException]] = [CardError, DatasetError, EvaluationError, TrainingError, HubConnectionError,
                                        LookupError, ValueError, OSError]
    try:
        from huggingface_hub.errors import HfHubHTTPError

        kinds.append(HfHubHTTPError)
    except ImportError:
        pass
    return tuple(kinds)


@contextlib.contextmanager
def one_line_errors() -> Iterator[None]:
    """Known failures print as ``Error: <first line>`` with exit code 1; bugs keep their traceback."""
    try:
        yield
    except click.ClickException:
        raise
    except _expected() as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise click.ClickException(message) from None
