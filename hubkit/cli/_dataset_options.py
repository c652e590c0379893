"""The flags that say which dataset repo revision to read and what it trains, shared by the commands.

``train``, ``eval``, ``transfer-curve``, ``leaderboard build`` and ``run`` take a dataset repo
``NS/NAME`` wherever they take a builder name; these flags pin its revision and, for a plain
Parquet repo whose card has no ``train-eval-index``, say its task and columns. For the ``csv``
builder, ``--text-column`` and ``--label-column`` keep their old meaning (its build options).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

TASKS = ("text-classification", "token-classification", "question-answering", "language-modeling")


def dataset_revision_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--dataset-revision",
                        help="Branch, tag or commit of a dataset repo NS/NAME (default: main); recorded as the "
                             "commit sha.")(command)


def task_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--task`` and the column flags, collected into one ``task_flags`` dict argument."""
    options = [
        click.option("--task", "task_family", type=click.Choice(TASKS),
                     help="A dataset repo's task, when its card has no train-eval-index."),
        click.option("--text-column", "text_columns", multiple=True,
                     help="The text column (twice for sentence pairs); csv builder: its text column."),
        click.option("--label-column", help="The label column (text classification)."),
        click.option("--tokens-column", help="The word list column (token classification)."),
        click.option("--tags-column", help="The tag list column (token classification)."),
        click.option("--question-column", help="Question answering: the question column."),
        click.option("--context-column", help="Question answering: the context column."),
        click.option("--answers-column", help="Question answering: the SQuAD-style answers column."),
        click.option("--scripts-dir", "scripts_dirs", type=click.Path(path_type=Path), multiple=True,
                     help="Another folder of dataset builders (<DIR>/<NAME>/<NAME>.py), searched besides the "
                          "built-in ones, ./dataset_scripts and HUBKIT_DATASET_SCRIPTS."),
    ]
    names = ("task_family", "text_columns", "label_column", "tokens_column", "tags_column", "question_column",
             "context_column", "answers_column")

    @functools.wraps(command)  # keeps the click options the decorators below this one attached
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from hubkit.datasets.registry import extra_scripts_dirs

        kwargs["task_flags"] = {name: kwargs.pop(name) for name in names}
        # The builders of `hubkit datasets new --scripts-dir DIR` stay findable by name for the whole command.
        with extra_scripts_dirs(kwargs.pop("scripts_dirs")):
            return command(*args, **kwargs)

    wrapped: Callable[..., Any] = wrapper
    for option in reversed(options):
        wrapped = option(wrapped)
    return wrapped


def task_and_options(dataset: str, flags: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The task the flags give (for a dataset repo), and the csv builder's build options."""
    from hubkit.datasets.registry import discover

    columns = {key: value for key, value in flags.items() if key != "task_family" and value}
    if dataset in discover() and not flags.get("task_family"):
        options: dict[str, Any] = {}
        if columns.pop("text_columns", None):
            options["text_columns"] = tuple(flags["text_columns"])
        if columns.pop("label_column", None):
            options["label_column"] = flags["label_column"]
        if columns:
            raise click.UsageError(f"--{next(iter(columns)).replace('_', '-')} applies to dataset repos, not to "
                                   f"the builder {dataset}")
        return None, options
    if not flags.get("task_family"):
        if columns:
            raise click.UsageError("the column flags need --task (" + "|".join(TASKS) + ")")
        return None, {}
    from hubkit.datasets.task_index import task_from_flags

    return task_from_flags(flags["task_family"], tuple(flags.get("text_columns") or ()), flags.get("label_column"),
                           flags.get("tokens_column"), flags.get("tags_column"), flags.get("question_column"),
                           flags.get("context_column"), flags.get("answers_column")), {}
