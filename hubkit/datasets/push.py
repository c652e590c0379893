"""Publishing a prepared dataset: Parquet shards and its card, in one commit.

One commit, so a reader never sees new data with an old card (or the reverse), and a failed push
leaves the repo as it was. Parquet files written by ``datasets`` embed the features, so a plain
``load_dataset("ns/name")`` gets the same columns and ``ClassLabel`` names with no remote code.
Parquet files of this config that the new data does not replace (e.g. a split that no longer
exists) are deleted in the same commit, so the card never lists data that is not there.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from pathlib import Path

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
from huggingface_hub.errors import EntryNotFoundError

from hubkit.datasets.benchmark import FILE as EVAL_YAML
from hubkit.datasets.benchmark import render as render_eval_yaml
from hubkit.datasets.card import card_config_name, data_dir, parquet_paths, render_card
from hubkit.datasets.card_check import check_card
from hubkit.datasets.errors import DatasetError
from hubkit.datasets.prepare import Prepared
from hubkit.datasets.validate import Report

MAX_SHARD_BYTES = 500 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class PushResult:
    repo_id: str
    revision: str
    commit: str
    url: str
    files: list[str]


def push(prepared: Prepared, report: Report, api: HfApi, repo_id: str, private: bool = False,
         revision: str | None = None, benchmark: bool = False) -> PushResult:
    """Upload ``prepared`` to dataset repo ``repo_id`` (created if needed) as one commit.

    ``benchmark`` adds ``eval.yaml`` (:mod:`hubkit.datasets.benchmark`) in the same commit, so the
    hub keeps a leaderboard of the models evaluated on it.
    """
    if not report.ok:
        raise DatasetError(f"{prepared.name}: validation failed, not pushing: " + "; ".join(report.errors))
    if prepared.card.private_only and not private:
        raise DatasetError(f"{prepared.name}: its licence ({prepared.card.license_name or prepared.card.license}) "
                           "does not allow public redistribution; push with --private")
    created = not api.repo_exists(repo_id, repo_type="dataset")
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    try:
        return _commit(prepared, report, api, repo_id, revision, benchmark)
    except BaseException:
        if created:  # leave nothing behind: a repo this push made is removed again
            api.delete_repo(repo_id, repo_type="dataset", missing_ok=True)
        raise


def _commit(prepared: Prepared, report: Report, api: HfApi, repo_id: str, revision: str | None,
            benchmark: bool = False) -> PushResult:
    if revision:
        api.create_branch(repo_id, branch=revision, repo_type="dataset", exist_ok=True)
    branch = revision or "main"
    parent = api.dataset_info(repo_id, revision=branch).sha
    existing_files = api.list_repo_files(repo_id, repo_type="dataset", revision=parent) if parent else []
    card = render_card(prepared, report, existing=_existing_card(api, repo_id, parent, existing_files))
    problems = check_card(card)
    if problems:
        raise DatasetError(f"{prepared.name}: the generated card is invalid: " + "; ".join(problems))
    with tempfile.TemporaryDirectory(prefix="hubkit-push-") as staging:
        operations, written = _parquet_operations(prepared, Path(staging))
        operations.append(CommitOperationAdd("README.md", card.encode()))
        if benchmark:
            existing = _existing_file(api, repo_id, parent, existing_files, EVAL_YAML)
            operations.append(CommitOperationAdd(EVAL_YAML, render_eval_yaml(prepared, card_config_name(prepared),
                                                                             existing).encode()))
        stale = [path for path in existing_files
                 if path.startswith(f"{data_dir(prepared)}/") and path.endswith(".parquet") and path not in written]
        operations += [CommitOperationDelete(path) for path in stale]
        commit = api.create_commit(
            repo_id, operations, repo_type="dataset", revision=branch, parent_commit=parent,
            commit_message=f"Publish {prepared.name} ({prepared.config_name}) with hubkit",
            commit_description=", ".join(f"{split}: {rows:,} rows" for split, rows in prepared.split_sizes.items()))
    extra = ["README.md"] + ([EVAL_YAML] if benchmark else [])
    return PushResult(repo_id, branch, commit.oid, commit.commit_url, sorted(written) + extra)


def _existing_card(api: HfApi, repo_id: str, revision: str, files: list[str]) -> str | None:
    return _existing_file(api, repo_id, revision, files, "README.md")


def _existing_file(api: HfApi, repo_id: str, revision: str, files: list[str], name: str) -> str | None:
    if name not in files:
        return None
    try:
        path = api.hf_hub_download(repo_id, name, repo_type="dataset", revision=revision)
    except EntryNotFoundError:
        return None
    return Path(path).read_text(encoding="utf-8")


def _parquet_operations(prepared: Prepared, staging: Path) -> tuple[list[CommitOperationAdd], set[str]]:
    shards = {split: max(1, math.ceil(dataset.data.nbytes / MAX_SHARD_BYTES))
              for split, dataset in prepared.dataset.items()}
    operations, written = [], set()
    for split, paths in parquet_paths(prepared, shards).items():
        dataset = prepared.dataset[split]
        for index, repo_path in enumerate(paths):
            local = staging / repo_path
            local.parent.mkdir(parents=True, exist_ok=True)
            shard = dataset.shard(num_shards=len(paths), index=index, contiguous=True) if len(paths) > 1 else dataset
            shard.to_parquet(str(local))
            operations.append(CommitOperationAdd(repo_path, str(local)))
            written.add(repo_path)
    return operations, written
