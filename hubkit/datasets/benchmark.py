"""``eval.yaml``: what makes a pushed dataset repo a benchmark the hub keeps a leaderboard for.

The Hub reads ``eval.yaml`` at a dataset repo's root (``name``, ``description``,
``evaluation_framework``, ``tasks: [{id, config, split}]``) and ranks the ``.eval_results``
entries of models that name the repo and one of its task ids. hubkit writes one task per
(config, evaluation split, metric), with id ``{config}-{split}-{metric}``: the metric is the key
hubkit's evaluation writes into ``results.json``, so a verifier re-running a claim knows which
number to read back, and the model card's ``.eval_results`` names the same id
(:func:`hubkit.datasets.spec.benchmark_task_id`).

Only labelled evaluation splits become tasks: GLUE's test splits carry label -1 everywhere, and a
task nobody can score would be a leaderboard nobody can enter.
"""

from __future__ import annotations

from typing import Any

import yaml

from hubkit.datasets.prepare import Prepared
from hubkit.datasets.spec import benchmark_metrics
from hubkit.datasets.spec import benchmark_task_id as task_id

FILE = "eval.yaml"
FRAMEWORK = "hubkit"
EVALUATION_SPLITS = ("validation", "test")


def labelled(prepared: Prepared, split: str) -> bool:
    """False for a split whose every label is -1 (withheld), which nothing can be scored on."""
    column = prepared.task.columns.get("label")
    rows = prepared.dataset[split]
    if len(rows) == 0:
        return False
    return column is None or max(rows[column]) >= 0


def tasks(prepared: Prepared, config: str) -> list[dict[str, str]]:
    """The benchmark tasks of one config: each labelled evaluation split times each metric."""
    from hubkit.datasets.card import label_count

    metrics = benchmark_metrics(prepared.task.family, label_count(prepared))
    return [{"id": task_id(config, split, metric), "config": config, "split": split}
            for split in EVALUATION_SPLITS if split in prepared.dataset and labelled(prepared, split)
            for metric in metrics]


def render(prepared: Prepared, config: str, existing: str | None = None) -> str:
    """``eval.yaml`` text for ``prepared`` (tasks of other configs in ``existing`` are kept)."""
    own = tasks(prepared, config)
    if not own:
        from hubkit.datasets.errors import DatasetError

        raise DatasetError(f"{prepared.name}: no labelled validation or test split, so there is nothing to "
                           "benchmark; push it without --benchmark")
    kept: list[dict[str, Any]] = []
    if existing:
        try:
            previous = yaml.safe_load(existing)
        except yaml.YAMLError:
            previous = None
        if isinstance(previous, dict) and isinstance(previous.get("tasks"), list):
            kept = [t for t in previous["tasks"] if isinstance(t, dict) and t.get("config", "default") != config]
    card = prepared.card
    description = card.description.split(". ")[0].rstrip(".") + "." if card.description else card.pretty_name
    data = {"name": card.pretty_name, "description": description, "evaluation_framework": FRAMEWORK,
            "tasks": kept + own}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)
