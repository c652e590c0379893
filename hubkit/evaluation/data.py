"""The split an evaluation scores, and where exactly it came from.

Two sources, each pinned: a hubkit builder run on original files (builder version plus the sha256
of every source file), or a dataset repo on the hub, loaded at a commit sha (a branch or tag
given by ``--dataset-revision`` is resolved to its sha first, so a re-run reads the same bytes).
For hub repos the task columns come from ``--task`` and the column flags, else from the card's
``train-eval-index``, else they are read off the features (the ``ClassLabel`` column is the
label, string columns are the texts).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from hubkit.evaluation.errors import EvaluationError


EVALUATION_SPLITS = ("validation", "test")


@dataclasses.dataclass
class EvalData:
    """One split ready to score, with the facts results and cards need about it."""

    name: str
    config: str
    split: str
    rows: Any  # datasets.Dataset
    task: Any  # hubkit.datasets.spec.TaskSpec
    pretty_name: str
    license: str | None
    split_sizes: dict[str, int]
    provenance: dict[str, Any]


def load_split(name: str, config: str | None, split: str | None, data_dir: str | None = None,
               revision: str | None = None, max_samples: int | None = None, task: Any = None) -> EvalData:
    """The split to score: from a hubkit builder, or else from a dataset repo on the hub.

    ``task`` (a :class:`~hubkit.datasets.spec.TaskSpec` from ``--task`` and the column flags) says
    what a dataset repo trains when its card does not.
    """
    from hubkit.datasets import registry

    if Path(name).is_dir():
        data = _from_folder(Path(name), config, split, task)
    elif name in registry.discover():
        if revision:
            raise EvaluationError(f"{name} is a hubkit builder: it is pinned by its version and source checksums, "
                                  "not by --dataset-revision")
        data = _from_builder(name, config, split, data_dir)
    elif "/" in name:
        data = _from_hub(name, config, split, revision, task)
    else:
        from hubkit.datasets.errors import UnknownDatasetError

        raise EvaluationError(str(UnknownDatasetError(name, list(registry.discover())))
                              + " (or give a dataset repo id, namespace/name)")
    if max_samples is not None and max_samples < len(data.rows):
        data.rows = data.rows.select(range(max_samples))
    if len(data.rows) == 0:
        raise EvaluationError(f"{name}: split '{data.split}' is empty")
    _require_labels(data)
    return data


def _pick_split(available: list[str], split: str | None, name: str) -> str:
    if split is not None:
        if split not in available:
            raise EvaluationError(f"{name} has no split '{split}' (splits: {', '.join(available)})")
        return split
    for candidate in EVALUATION_SPLITS:
        if candidate in available:
            return candidate
    raise EvaluationError(f"{name} has no validation or test split; pass --split (splits: {', '.join(available)})")


def _from_builder(name: str, config: str | None, split: str | None, data_dir: str | None) -> EvalData:
    from hubkit.datasets.prepare import prepare

    prepared = prepare(name, config, data_dir)
    chosen = _pick_split(list(prepared.dataset), split, name)
    card = prepared.card
    provenance = {"source": "builder", "builder_version": prepared.version, "revision": None,
                  "sources": [dataclasses.asdict(record) for record in prepared.sources],
                  "hub_id": card.hub_id, "hub_config": card.hub_config}
    return EvalData(name, prepared.config_name, chosen, prepared.dataset[chosen], prepared.task,
                    prepared.card.pretty_name, prepared.card.license, prepared.split_sizes, provenance)


def _from_hub(repo_id: str, config: str | None, split: str | None, revision: str | None,
              task: Any = None) -> EvalData:
    """The split of a dataset repo at ``revision``'s commit (:mod:`hubkit.datasets.repo`, which training
    shares); the task from the flags, the card's train-eval-index, or else the features."""
    from hubkit.datasets.errors import DatasetError
    from hubkit.datasets.repo import load_repo

    try:
        repo = load_repo(repo_id, config, revision, task=task, infer=True)
    except DatasetError as error:
        raise EvaluationError(str(error)) from None
    chosen = _pick_split(list(repo.dataset), split, repo_id)
    provenance = {"source": "hub", "repo_id": repo_id, "revision": repo.revision, "builder_version": None,
                  "sources": []}
    return EvalData(repo_id, repo.config, chosen, repo.dataset[chosen], repo.task, repo.pretty_name, repo.license,
                    repo.split_sizes, provenance)


def _from_folder(folder: Path, config: str | None, split: str | None, task: Any = None) -> EvalData:
    """A dataset repo's files in a local folder (``hubkit hub verify`` exports a benchmark at its sha),
    read with the same task rules as a repo on the hub."""
    from hubkit.datasets.errors import DatasetError
    from hubkit.datasets.repo import load_folder

    try:
        repo = load_folder(folder, config, task=task)
    except DatasetError as error:
        raise EvaluationError(str(error)) from None
    chosen = _pick_split(list(repo.dataset), split, folder.name)
    provenance = {"source": "folder", "repo_id": None, "revision": None, "builder_version": None, "sources": []}
    return EvalData(folder.name, repo.config, chosen, repo.dataset[chosen], repo.task, repo.pretty_name, repo.license,
                    repo.split_sizes, provenance)


def _require_labels(data: EvalData) -> None:
    """GLUE-style test splits carry label -1 everywhere: there is nothing to score against."""
    column = data.task.columns.get("label")
    if column and min(data.rows[column]) < 0:
        raise EvaluationError(f"{data.name}: split '{data.split}' has unlabelled rows (label -1); evaluate a labelled "
                              "split, e.g. --split validation")


