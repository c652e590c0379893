"""A dataset repo on the hub as training and evaluation read it: pinned to one commit, with its task.

``hubkit train``, ``eval``, ``transfer-curve``, ``leaderboard build`` and ``run`` all accept
``NS/NAME`` where they accept a builder name; they load it here, so they agree on what a revision
means and where the task comes from:

- the revision (a branch, a tag, or nothing for ``main``) is resolved to its commit sha once, and
  the data is read at that sha, so a later push to the branch cannot change a run half-way, and the
  sha is what results and cards record;
- the task and its columns come from ``--task`` and the column flags when given, else from the
  card's ``train-eval-index`` (:mod:`hubkit.datasets.task_index`); evaluation alone may also read
  them off the features (``infer=True``), as it did before cards carried them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from hubkit.datasets.errors import DatasetError
from hubkit.datasets.spec import TaskSpec
from hubkit.datasets.task_index import NoTaskError, complete, flags_hint, task_from_card

ID_COLUMNS = ("idx", "id", "index", "guid")


class RevisionNotFound(DatasetError):
    """The dataset repo exists but has no such branch, tag or commit."""


class RepoNotFound(DatasetError):
    """No dataset repo of that id is visible on the hub."""


@dataclasses.dataclass
class RepoData:
    """A dataset repo loaded at one commit, with the task it trains and its card's facts."""

    repo_id: str
    revision: str  # the commit sha the data was read at
    config: str
    dataset: Any  # datasets.DatasetDict
    task: TaskSpec
    card: dict[str, Any]

    @property
    def pretty_name(self) -> str:
        return self.card.get("pretty_name") or self.repo_id

    @property
    def license(self) -> str | None:
        value = self.card.get("license")
        return value if isinstance(value, str) else None

    @property
    def split_sizes(self) -> dict[str, int]:
        return {name: len(part) for name, part in self.dataset.items()}

    @property
    def features(self) -> Any:
        return next(iter(self.dataset.values())).features

    def record(self) -> dict[str, Any]:
        """What results.json says about the data: the repo, the commit, the config."""
        return {"name": self.repo_id, "repo_id": self.repo_id, "revision": self.revision, "config": self.config,
                "source": "hub", "version": None, "pretty_name": self.pretty_name, "license": self.license,
                "split_sizes": self.split_sizes, "sources": []}


def is_repo_id(name: str) -> bool:
    """``NS/NAME`` (a builder name has no slash)."""
    return name.count("/") == 1 and all(name.split("/"))


def resolve_revision(api: Any, repo_id: str, revision: str | None) -> tuple[str, dict[str, Any]]:
    """The commit sha ``revision`` (default main) names, and the card metadata at that commit."""
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    try:
        info = api.dataset_info(repo_id, revision=revision)
    except RevisionNotFoundError:
        raise RevisionNotFound(f"dataset {repo_id} has no revision {revision!r}") from None
    except RepositoryNotFoundError:
        raise RepoNotFound(f"{repo_id} is neither a hubkit builder nor a dataset repo on the hub") from None
    return info.sha, (info.card_data.to_dict() if info.card_data else {})


def load_repo(repo_id: str, config: str | None = None, revision: str | None = None, task: TaskSpec | None = None,
              infer: bool = False) -> RepoData:
    """``repo_id`` at ``revision`` (resolved to its sha), with its task; errors name the repo and revision."""
    from hubkit.hub_client import connect

    api = connect().api()  # before datasets is imported: it reads the endpoint once
    import datasets

    sha, card = resolve_revision(api, repo_id, revision)
    name = config or "default"
    where = f"dataset {repo_id}"
    if task is None and not infer and task_from_card(card, name) is None:  # refuse before downloading anything
        raise NoTaskError(f"{where} does not say what it trains (no train-eval-index in its card); {flags_hint()}")
    try:
        loaded = datasets.load_dataset(repo_id, config, revision=sha)
    except (ValueError, FileNotFoundError) as error:
        raise DatasetError(f"cannot load dataset {repo_id}@{sha[:12]}: {str(error).splitlines()[0]}") from None
    features = next(iter(loaded.values())).features
    chosen = task or task_from_card(card, name)
    if chosen is None and infer:
        chosen = infer_task(features, card.get("task_categories") or [], repo_id)
    if chosen is None:
        raise NoTaskError(f"{where} does not say what it trains (no train-eval-index in its card); {flags_hint()}")
    chosen = complete(chosen, features, where)
    return RepoData(repo_id, sha, name, _class_encoded(loaded, chosen), chosen, card)


def load_folder(folder: Path, config: str | None = None, task: TaskSpec | None = None) -> RepoData:
    """A dataset repo's files in a local folder (as ``hubkit hub verify`` exports one at its sha), with
    the same task rules as :func:`load_repo`: the given task, the card's train-eval-index, the features."""
    import datasets
    from huggingface_hub import DatasetCard

    readme = folder / "README.md"
    card = DatasetCard.load(readme).data.to_dict() if readme.is_file() else {}
    name = config or "default"
    names = [c.get("config_name", "default") for c in card.get("configs") or [] if isinstance(c, dict)]
    try:
        loaded = datasets.load_dataset(str(folder), name if name in names else None)
    except (ValueError, FileNotFoundError) as error:
        raise DatasetError(f"cannot load the dataset in {folder.name}: {str(error).splitlines()[0]}") from None
    features = next(iter(loaded.values())).features
    chosen = task or task_from_card(card, name) or infer_task(features, card.get("task_categories") or [], folder.name)
    chosen = complete(chosen, features, f"dataset folder {folder.name}")
    return RepoData(folder.name, "", name, _class_encoded(loaded, chosen), chosen, card)


def _class_encoded(loaded: Any, task: TaskSpec) -> Any:
    """A plain Parquet label column (strings or ints) as a ``ClassLabel``, which the trainers need.

    The names are the sorted values over all splits, so every split encodes a label the same way.
    """
    import datasets

    column = task.columns.get("label")
    features = next(iter(loaded.values())).features
    if task.family != "text-classification" or column is None or isinstance(features[column], datasets.ClassLabel):
        return loaded
    names = sorted({str(v) for part in loaded.values() for v in part[column] if v is not None})
    label = datasets.ClassLabel(names=names)
    return loaded.map(lambda row: {column: label.str2int(str(row[column]))},
                      features=datasets.Features({**features, column: label}))


def infer_task(features: Any, task_categories: list[str], name: str) -> TaskSpec:
    """The task family and column roles of a repo, read off its features and its card's categories."""
    import datasets

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
    raise NoTaskError(f"{name}: cannot tell the task from its columns {list(features)}; {flags_hint()}")
