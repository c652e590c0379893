"""Which task a dataset repo trains, and which column plays which role: ``train-eval-index``.

A dataset repo on the hub is only Parquet and a card; nothing in the Parquet says which column is
the text and which the label. The Hub's card metadata has a key for exactly that,
``train-eval-index`` (``DatasetCardData(train_eval_index=...)``, read by AutoTrain and evaluate's
evaluator): per config the task, the train and evaluation splits, the metrics, and ``col_mapping``
from the dataset's columns to the task's. ``hubkit datasets push`` writes it from the builder's
declared task; ``hubkit train NS/NAME`` reads it back, so a repo trains with no flags.

A repo without it (a plain Parquet upload) trains when the user says the task and the columns
(``--task`` and the column flags), which :func:`task_from_flags` turns into the same
:class:`~hubkit.datasets.spec.TaskSpec`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hubkit.datasets.errors import DatasetError
from hubkit.datasets.spec import TASK_FAMILIES, TaskSpec, benchmark_metrics

KEY = "train-eval-index"
# The command-line flag that names each role's column.
ROLE_FLAGS: dict[str, str] = {
    "text": "--text-column", "text_pair": "--text-column (a second time)", "label": "--label-column",
    "tokens": "--tokens-column", "tags": "--tags-column", "question": "--question-column",
    "context": "--context-column", "answers": "--answers-column", "id": "--id-column",
}
# The roles a family cannot train without.
REQUIRED_ROLES: dict[str, tuple[str, ...]] = {
    "text-classification": ("text", "label"), "token-classification": ("tokens", "tags"),
    "question-answering": ("question", "context", "answers"), "language-modeling": ("text",),
}
# AutoTrain's names for some roles in col_mapping, read as hubkit's.
ROLE_ALIASES = {"target": "label", "text1": "text", "text2": "text_pair", "ner_tags": "tags"}
# Task names other tools write for a family.
FAMILY_ALIASES = {"text-generation": "language-modeling", "fill-mask": "language-modeling",
                  "extractive-question-answering": "question-answering"}


class NoTaskError(DatasetError):
    """A dataset repo whose card does not say what it trains, and no --task was given."""


def flags_hint() -> str:
    """What to pass when a repo does not say its task."""
    return ("pass --task " + "|".join(TASK_FAMILIES) + " and the column flags (--text-column, twice for pairs; "
            "--label-column; --tokens-column and --tags-column; --question-column, --context-column and "
            "--answers-column)")


def index_entry(config: str, task: TaskSpec, splits: list[str], n_labels: int = 2) -> dict[str, Any]:
    """One ``train-eval-index`` entry: the config's task, splits, metrics and column mapping."""
    evaluation = next((s for s in ("validation", "test") if s in splits), None)
    entry: dict[str, Any] = {"config": config, "task": task.family}
    split_info = {"train_split": "train"} if "train" in splits else {}
    if evaluation:
        split_info["eval_split"] = evaluation
    if split_info:
        entry["splits"] = split_info
    entry["col_mapping"] = {column: role for role, column in task.columns.items()}
    entry["metrics"] = [{"type": name, "name": name} for name in benchmark_metrics(task.family, n_labels)]
    return entry


def merge_index(existing: Any, entry: dict[str, Any]) -> list[dict[str, Any]]:
    """``existing`` entries of other configs, then ``entry`` (a re-push replaces its own config's)."""
    kept = [e for e in existing if isinstance(e, dict) and e.get("config") != entry["config"]] \
        if isinstance(existing, list) else []
    return kept + [entry]


def task_from_card(card: Mapping[str, Any], config: str) -> TaskSpec | None:
    """The task of ``config`` from the card's ``train-eval-index``; None when the card has none.

    A malformed entry is an error that names the key, not a silent fallback to guessing.
    """
    index = card.get(KEY) or card.get("train_eval_index")
    if not index:
        return None
    entries = index if isinstance(index, list) else [index]
    matching = [e for e in entries if isinstance(e, dict) and e.get("config", "default") == config]
    if not matching and len(entries) == 1 and isinstance(entries[0], dict) and "config" not in entries[0]:
        matching = entries
    if not matching:
        return None
    entry = matching[0]
    family = FAMILY_ALIASES.get(str(entry.get("task")), str(entry.get("task")))
    mapping = entry.get("col_mapping")
    if family not in TASK_FAMILIES or not isinstance(mapping, dict):
        raise DatasetError(f"the card's {KEY} entry for config {config!r} needs a task ({', '.join(TASK_FAMILIES)}) "
                           "and a col_mapping")
    columns = {ROLE_ALIASES.get(str(role), str(role)): str(column) for column, role in mapping.items()}
    try:
        return TaskSpec(family, columns)
    except ValueError as error:
        raise DatasetError(f"the card's {KEY} entry for config {config!r}: {error}") from None


def task_from_flags(family: str, text_columns: tuple[str, ...] = (), label_column: str | None = None,
                    tokens_column: str | None = None, tags_column: str | None = None,
                    question_column: str | None = None, context_column: str | None = None,
                    answers_column: str | None = None, id_column: str | None = None) -> TaskSpec:
    """The task given on the command line (``--task`` and the column flags)."""
    if family not in TASK_FAMILIES:
        raise DatasetError(f"--task must be one of {', '.join(TASK_FAMILIES)}, got {family!r}")
    if len(text_columns) > 2:
        raise DatasetError("--text-column is given once, or twice for sentence pairs")
    given = {"text": text_columns[0] if text_columns else None,
             "text_pair": text_columns[1] if len(text_columns) > 1 else None, "label": label_column,
             "tokens": tokens_column, "tags": tags_column, "question": question_column, "context": context_column,
             "answers": answers_column, "id": id_column}
    roles = TASK_FAMILIES[family]
    stray = [ROLE_FLAGS[role] for role, column in given.items() if column and role not in roles]
    if stray:
        raise DatasetError(f"{stray[0]} does not apply to --task {family}")
    return TaskSpec(family, {role: column for role, column in given.items() if column and role in roles})


def complete(task: TaskSpec, features: Mapping[str, Any], where: str) -> TaskSpec:
    """``task`` with each missing role filled by the column of that name, checked against ``features``.

    A role whose column is neither given nor present is an error naming the flag that sets it.
    """
    columns = dict(task.columns)
    for role in TASK_FAMILIES[task.family]:
        if role not in columns and role in features and role != "text_pair":
            columns[role] = role
    missing = [role for role in REQUIRED_ROLES[task.family] if role not in columns]
    if missing:
        raise NoTaskError(f"{where}: {task.family} needs a {missing[0]} column; pass {ROLE_FLAGS[missing[0]]} "
                          f"(columns: {', '.join(features)})")
    absent = [(role, column) for role, column in columns.items() if column not in features]
    if absent:
        role, column = absent[0]
        raise DatasetError(f"{where} has no column {column!r} for the {role} ({ROLE_FLAGS[role]}); "
                           f"its columns are {', '.join(features)}")
    return TaskSpec(task.family, columns)
