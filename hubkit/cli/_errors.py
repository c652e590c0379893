"""Turning the errors a user can cause into one line on stderr and a non-zero exit."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click


def _user_error_types() -> tuple[type[BaseException], ...]:
    from hubkit.datasets.errors import DatasetError
    from hubkit.evaluation.errors import EvaluationError
    from hubkit.hub_client import HubConnectionError
    from hubkit.repocard.errors import CardError
    from hubkit.train.errors import TrainingError

    types: list[type[BaseException]] = [CardError, DatasetError, EvaluationError, HubConnectionError, TrainingError,
                                        ValueError, LookupError, OSError]
    try:
        from huggingface_hub.errors import HfHubHTTPError

        types.append(HfHubHTTPError)
    except ImportError:
        pass
    return tuple(types)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    first = next((line for line in text.splitlines() if line.strip()), "")
    return first or type(exc).__name__


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Inside, a user-caused error becomes ``Error: <one line>`` and exit status 1; bugs keep their traceback."""
    try:
        yield
    except click.ClickException:
        raise
    except _user_error_types() as exc:
        raise click.ClickException(one_line(exc)) from None
