"""The data a training run reads: a builder run on original files, or a dataset repo at a commit.

Both end as one :class:`TrainData`: the splits, the task and its columns, and the record that
``results.json`` keeps about where the data came from. That record is what the model card turns
into the dataset's Hub id: the repo and its commit sha for a repo; for a builder, the dataset's
canonical Hub id (``nyu-mll/glue``, config ``sst2``) plus the sha256 of every source file it was
built from here. Nothing in it names a path of this machine: ``--data-dir`` is kept as the
placeholder ``DATA_DIR`` (the source files are listed relative to it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hubkit.train.errors import TrainingError

DATA_DIR_PLACEHOLDER = "DATA_DIR"


@dataclasses.dataclass
class TrainData:
    """The splits to train and score on, their task, and what results.json says about them."""

    name: str
    config: str
    dataset: Any  # datasets.DatasetDict
    task: Any  # hubkit.datasets.spec.TaskSpec
    record: dict[str, Any]

    @property
    def features(self) -> Any:
        return next(iter(self.dataset.values())).features


def load_training_data(dataset: str, config: str | None = None, data_dir: str | None = None,
                       revision: str | None = None, task: Any = None,
                       prepare_options: Mapping[str, Any] | None = None) -> TrainData:
    """``dataset`` as a builder name (run on ``data_dir``), a folder ``datasets prepare`` wrote, or a dataset
    repo ``NS/NAME`` at ``revision``."""
    from hubkit.datasets import registry
    from hubkit.datasets.prepare import BUILD_FILE
    from hubkit.datasets.repo import is_repo_id

    if (Path(dataset) / BUILD_FILE).is_file():
        if data_dir or revision or task is not None or prepare_options:
            raise TrainingError(f"{dataset} is a folder `hubkit datasets prepare` wrote; it takes no --data-dir, "
                                "--dataset-revision, --task or builder options")
        return _from_prepared(dataset, config)
    if dataset in registry.discover():
        if revision:
            raise TrainingError(f"{dataset} is a hubkit builder, pinned by its version and source checksums, not by "
                                "--dataset-revision (give a dataset repo NS/NAME to train from the hub)")
        if task is not None:
            raise TrainingError(f"{dataset} is a hubkit builder and declares its own task; --task applies to "
                                "dataset repos")
        return _from_builder(dataset, config, data_dir, prepare_options or {})
    if is_repo_id(dataset):
        if data_dir:
            raise TrainingError(f"--data-dir applies to hubkit builders; {dataset} is read from the hub")
        return _from_repo(dataset, config, revision, task)
    from hubkit.datasets.errors import UnknownDatasetError

    raise TrainingError(str(UnknownDatasetError(dataset, list(registry.discover())))
                        + " (or give a dataset repo id, NS/NAME)")


def _from_builder(name: str, config: str | None, data_dir: str | None, options: Mapping[str, Any]) -> TrainData:
    from hubkit.datasets.prepare import prepare

    return _record_prepared(prepare(name, config, data_dir, options), data_dir)


def _record_prepared(prepared: Any, data_dir: str | None) -> TrainData:
    card = prepared.card
    record = {"name": prepared.name, "config": prepared.config_name, "version": prepared.version,
              "source": "builder", "data_dir": DATA_DIR_PLACEHOLDER if data_dir else None,
              "hub_id": card.hub_id, "hub_config": card.hub_config, "repo_id": None, "revision": None,
              "pretty_name": card.pretty_name, "license": card.license, "split_sizes": prepared.split_sizes,
              "sources": [dataclasses.asdict(s) for s in prepared.sources]}
    return TrainData(prepared.name, prepared.config_name, prepared.dataset, prepared.task, record)


def _from_prepared(folder: str, config: str | None) -> TrainData:
    """A folder ``datasets prepare --output-dir`` wrote (or ``hubkit baselines``, with its splits carved):
    trained on as built, recorded like the builder run that made it (sources and their checksums)."""
    from hubkit.datasets.errors import DatasetError
    from hubkit.datasets.prepare import load_prepared

    try:
        prepared = load_prepared(folder)
    except DatasetError as error:
        raise TrainingError(str(error)) from None
    if config is not None and config != prepared.config_name:
        raise TrainingError(f"{folder} holds config {prepared.config_name!r}, not {config!r}")
    return _record_prepared(prepared, data_dir=None)


def _from_repo(repo_id: str, config: str | None, revision: str | None, task: Any) -> TrainData:
    from hubkit.datasets.errors import DatasetError
    from hubkit.datasets.repo import load_repo

    try:
        repo = load_repo(repo_id, config, revision, task=task)
    except DatasetError as error:
        raise TrainingError(str(error)) from None
    return TrainData(repo_id, repo.config, repo.dataset, repo.task, repo.record())
