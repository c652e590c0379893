"""A corpus read from a dataset repo on the hub: one text column of one split, at one commit.

The revision (a branch, a tag, or nothing for ``main``) is resolved to its commit sha once, through
huggingface_hub, and every split is read at that sha: a later push to the branch cannot change a
run half-way, and the sha is what results.json and the card record. ``streaming`` reads the rows
as they are needed (``datasets`` over HTTP) instead of downloading the repo first.

Validation is a named split (``validation_split``, else the repo's own ``validation`` split when it
has one), else the held-out end of the corpus split by rows, when the row count is known: always
once downloaded; under streaming only when the repo's card records it (``dataset_info``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hubkit.train.corpus.split import cut_by_rows
from hubkit.train.errors import TrainingError

DEFAULT_SPLIT = "train"
DEFAULT_TEXT_COLUMN = "text"
DEFAULT_VALIDATION_SPLIT = "validation"


@dataclasses.dataclass
class RepoCorpus:
    train: Any
    validation: Any
    identity: dict[str, Any]
    rule: dict[str, Any]
    rows: int | None  # rows of the corpus split, when known


def open_repo(repo_id: str, *, text_column: str | None, revision: str | None, streaming: bool,
              validation_fraction: float, validation_split: str | None, config: str | None = None,
              split: str | None = None) -> RepoCorpus:
    from hubkit.datasets.repo import RepoNotFound, RevisionNotFound, resolve_revision
    from hubkit.hub_client import connect

    api = connect().api()  # before datasets is imported: it reads the endpoint once
    import datasets

    try:
        sha, _ = resolve_revision(api, repo_id, revision)
    except RepoNotFound:
        raise TrainingError(f"corpus {repo_id} is neither a local file or folder nor a dataset repo on the hub") \
            from None
    except RevisionNotFound as error:
        raise TrainingError(str(error)) from None
    where = f"dataset {repo_id}@{sha[:12]}"
    try:
        splits = datasets.load_dataset(repo_id, config, revision=sha, streaming=streaming)
    except (ValueError, FileNotFoundError) as error:
        raise TrainingError(f"cannot load {where}: {str(error).splitlines()[0]}") from None
    split = split or DEFAULT_SPLIT
    if split not in splits:
        raise TrainingError(f"{where} has no split {split!r} (its splits: {', '.join(splits)})")
    held_out = _validation_split(splits, split, validation_split, where)
    column = text_column or DEFAULT_TEXT_COLUMN
    _check_column(splits[split], column, where)
    identity = {"source": "hub", "repo_id": repo_id, "revision": sha, "config": config or "default", "split": split,
                "text_column": column}
    raw = splits[split]
    rows = _row_count(raw, split, streaming)
    if held_out is not None:
        _check_column(splits[held_out], column, f"{where} split {held_out!r}")
        train, validation = raw, splits[held_out]
        rule = {"validation_split": held_out}
    else:
        if rows is None:
            raise TrainingError(f"{where} has no validation split, and under --streaming its row count is unknown, "
                                "so its held-out end cannot be found; name a split with --validation-split, "
                                "or drop --streaming")
        cut = cut_by_rows(rows, validation_fraction, where)
        train, validation = ((raw.take(cut), raw.skip(cut)) if streaming
                             else (raw.select(range(cut)), raw.select(range(cut, rows))))
        rule = {"validation_fraction": validation_fraction, "by": "rows"}
    train, validation = _documents(train, column), _documents(validation, column)
    _check_not_empty(train, f"{where} split {split!r} column {column!r}")
    _check_not_empty(validation, f"{where} validation part ({held_out or 'held-out end'}) column {column!r}")
    return RepoCorpus(train, validation, identity, rule, rows)


def _validation_split(splits: Any, split: str, named: str | None, where: str) -> str | None:
    if named is not None:
        if named not in splits:
            raise TrainingError(f"{where} has no split {named!r} for --validation-split "
                                f"(its splits: {', '.join(splits)})")
        if named == split:
            raise TrainingError(f"--validation-split {named!r} is the split the corpus is trained on")
        return named
    return DEFAULT_VALIDATION_SPLIT if DEFAULT_VALIDATION_SPLIT in splits and split != DEFAULT_VALIDATION_SPLIT \
        else None


def _columns(part: Any) -> list[str]:
    """The split's column names: from its features, else (a stream of JSON files) from its first row."""
    if part.features is not None:
        return list(part.features)
    first = next(iter(part.take(1)), None)
    return list(first) if first else []


def _check_column(part: Any, column: str, where: str) -> None:
    import datasets

    columns = _columns(part)
    if column not in columns:
        raise TrainingError(f"{where} has no column {column!r} (its columns: {', '.join(columns) or 'none'}); "
                            "choose one with --text-column")
    feature = part.features[column] if part.features is not None else None
    if feature is not None and not (isinstance(feature, datasets.Value)
                                    and feature.dtype in ("string", "large_string")):
        raise TrainingError(f"{where}: column {column!r} holds {feature}, not text; choose one with --text-column")


def _row_count(part: Any, split: str, streaming: bool) -> int | None:
    if not streaming:
        return len(part)
    info = getattr(part.info, "splits", None) or {}
    found = info.get(split) if hasattr(info, "get") else None
    return getattr(found, "num_examples", None) or None


def _documents(part: Any, column: str) -> Any:
    """The column as ``text``, alone, without empty documents."""
    part = part.select_columns([column])
    if column != "text":
        part = part.rename_column(column, "text")
    return part.filter(_non_empty, batched=True, input_columns=["text"])


def _non_empty(texts: list[Any]) -> list[bool]:
    return [isinstance(t, str) and bool(t.strip()) for t in texts]


def _check_not_empty(part: Any, where: str) -> None:
    """Refuse a corpus whose documents are all empty. A stream is read only up to its first document."""
    empty = len(part) == 0 if hasattr(part, "__len__") else next(iter(part), None) is None
    if empty:
        raise TrainingError(f"{where} holds no text (every document is empty)")
