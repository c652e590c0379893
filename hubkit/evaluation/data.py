"""The split an evaluation scores, and where exactly it came from.

Two sources, each pinned: a hubkit builder run on original files (builder version plus the sha256
of every source file), or a dataset repo on the hub, loaded at a commit sha (a branch or tag
given by ``--revision`` is resolved to its sha first, so a re-run reads the same bytes). For hub
repos the task columns are read off the features (the ``ClassLabel`` column is the label, string
columns are the texts), which is how hubkit's own pushed datasets are laid out.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

from hubkit.evaluation.errors import EvaluationError

EVALUATION_SPLITS = ("validation", "test")
ID_COLUMNS = ("idx", "id", "index", "guid")


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
               revision: str | None = None, max_samples: int | None = None) -> EvalData:
    """The split to score: from a hubkit builder, or else from a dataset repo on the hub."""
    from hubkit.datasets import registry

    if Path(name).is_dir():
        data = _from_folder(Path(name), config, split)
    elif name in registry.discover():
        if revision:
            raise EvaluationError(f"{name} is a hubkit builder: it is pinned by its version and source checksums, "
                                  "not by --dataset-revision")
        data = _from_builder(name, config, split, data_dir)
    elif "/" in name:
        data = _from_hub(name, config, split, revision)
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
    provenance = {"source": "builder", "builder_version": prepared.version, "revision": None,
                  "sources": [dataclasses.asdict(record) for record in prepared.sources]}
    return EvalData(name, prepared.config_name, chosen, prepared.dataset[chosen], prepared.task,
                    prepared.card.pretty_name, prepared.card.license, prepared.split_sizes, provenance)


def _from_hub(repo_id: str, config: str | None, split: str | None, revision: str | None) -> EvalData:
    from hubkit.hub_client import connect

    api = connect().api()
    import datasets
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    try:
        info = api.dataset_info(repo_id, revision=revision)
    except RevisionNotFoundError:
        raise EvaluationError(f"dataset {repo_id} has no revision {revision!r}") from None
    except RepositoryNotFoundError:
        raise EvaluationError(f"{repo_id} is neither a hubkit builder nor a dataset repo on the hub") from None
    card = info.card_data.to_dict() if info.card_data else {}
    try:
        loaded = datasets.load_dataset(repo_id, config, revision=info.sha)
    except (ValueError, FileNotFoundError) as error:
        raise EvaluationError(f"cannot load dataset {repo_id}@{info.sha[:12]}: {str(error).splitlines()[0]}") from None
    chosen = _pick_split(list(loaded), split, repo_id)
    rows = loaded[chosen]
    task = infer_task(rows.features, card.get("task_categories") or [], repo_id)
    license_id = card.get("license")
    provenance = {"source": "hub", "repo_id": repo_id, "revision": info.sha, "builder_version": None, "sources": []}
    return EvalData(repo_id, config or "default", chosen, rows, task, card.get("pretty_name") or repo_id,
                    license_id if isinstance(license_id, str) else None,
                    {name: len(part) for name, part in loaded.items()}, provenance)


def _from_folder(folder: Path, config: str | None, split: str | None) -> EvalData:
    """A dataset repo's files in a local folder (``hubkit hub verify`` exports a benchmark at its sha)."""
    import datasets
    from huggingface_hub import DatasetCard

    readme = folder / "README.md"
    card = DatasetCard.load(readme).data.to_dict() if readme.is_file() else {}
    names = [c.get("config_name", "default") for c in card.get("configs") or [] if isinstance(c, dict)]
    try:
        loaded = datasets.load_dataset(str(folder), config if config in names else None)
    except (ValueError, FileNotFoundError) as error:
        raise EvaluationError(f"cannot load the dataset in {folder.name}: {str(error).splitlines()[0]}") from None
    chosen = _pick_split(list(loaded), split, folder.name)
    rows = loaded[chosen]
    task = infer_task(rows.features, card.get("task_categories") or [], folder.name)
    provenance = {"source": "folder", "repo_id": None, "revision": None, "builder_version": None, "sources": []}
    return EvalData(folder.name, config or "default", chosen, rows, task, card.get("pretty_name") or folder.name,
                    card.get("license") if isinstance(card.get("license"), str) else None,
                    {name: len(part) for name, part in loaded.items()}, provenance)


def infer_task(features, task_categories: list[str], name: str):
    """The task family and column roles of a hub dataset, from its card's categories and its features."""
    import datasets

    from hubkit.datasets.spec import TaskSpec

    labels = [c for c, f in features.items() if isinstance(f, datasets.ClassLabel)]
    tag_columns = [c for c, f in features.items() if isinstance(f, datasets.List)
                   and isinstance(f.feature, datasets.ClassLabel)]
    token_columns = [c for c, f in features.items() if isinstance(f, datasets.List)
                     and isinstance(f.feature, datasets.Value) and f.feature.dtype == "string"]
    texts = [c for c, f in features.items() if isinstance(f, datasets.Value) and f.dtype in ("string", "large_string")
             and c not in ID_COLUMNS]
    wanted = [c for c in task_categories if isinstance(c, str)]
    if {"question", "context", "answers"} <= set(features):
        return TaskSpec("question-answering", {"id": "id", "question": "question", "context": "context",
                                               "answers": "answers"})
    if tag_columns and token_columns:
        return TaskSpec("token-classification", {"tokens": token_columns[0], "tags": tag_columns[0]})
    if len(labels) == 1 and texts:
        columns = {"text": texts[0], "label": labels[0]}
        if len(texts) > 1:
            columns["text_pair"] = texts[1]
        return TaskSpec("text-classification", columns)
    if texts and not labels and ("text-generation" in wanted or "fill-mask" in wanted):
        return TaskSpec("language-modeling", {"text": texts[0]})
    raise EvaluationError(f"{name}: cannot tell the task from its columns {list(features)}; expected one ClassLabel "
                          "column and text columns, or tokens with tag labels, or SQuAD-style columns")


def _require_labels(data: EvalData) -> None:
    """GLUE-style test splits carry label -1 everywhere: there is nothing to score against."""
    column = data.task.columns.get("label")
    if column and min(data.rows[column]) < 0:
        raise EvaluationError(f"{data.name}: split '{data.split}' has unlabelled rows (label -1); evaluate a labelled "
                              "split, e.g. --split validation")


def example_hashes(rows) -> list[str]:
    """A sha256 per example over all its columns: the identity ``compare`` pairs examples by."""
    return [hashlib.sha256(json.dumps(row, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
            for row in rows]
