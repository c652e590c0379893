"""Publishing a prepared dataset: Parquet shards and its card, in one commit.

One commit, so a reader never sees new data with an old card (or the reverse), and a failed push
leaves the repo as it was. The card and ``eval.yaml`` are merged into those of the commit the push
lands on (:mod:`hubkit.safe_push` retries on a concurrent commit), and a failed push deletes the
repo only when this very call created it, never one another client created meanwhile.

Parquet files written by ``datasets`` embed the features, so a plain ``load_dataset("ns/name")``
gets the same columns and ``ClassLabel`` names with no remote code. Parquet files of this config
that the new data does not replace (e.g. a split that no longer exists) are deleted in the same
commit, so the card never lists data that is not there.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from pathlib import Path

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

from hubkit import safe_push
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
    changed: bool = True  # False: the repo already had exactly these files, and no commit was made
    repo_url: str = ""  # the dataset's page on the hub


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
    created = safe_push.create_repo(api, repo_id, repo_type="dataset", private=private)
    try:
        return _commit(prepared, report, api, repo_id, revision, benchmark)
    except BaseException:
        if created:  # leave nothing behind: only a repo this very call made is removed again
            api.delete_repo(repo_id, repo_type="dataset", missing_ok=True)
        raise


def _commit(prepared: Prepared, report: Report, api: HfApi, repo_id: str, revision: str | None,
            benchmark: bool = False) -> PushResult:
    if revision:
        api.create_branch(repo_id, branch=revision, repo_type="dataset", exist_ok=True)
    branch = revision or "main"
    with tempfile.TemporaryDirectory(prefix="hubkit-push-") as staging:
        written = _write_parquet(prepared, Path(staging))

        def change(head: safe_push.Head) -> safe_push.Change:
            card = render_card(prepared, report, existing=head.read_text("README.md"))
            problems = check_card(card)
            if problems:
                raise DatasetError(f"{prepared.name}: the generated card is invalid: " + "; ".join(problems))
            operations = [CommitOperationAdd(repo_path, str(local)) for repo_path, local in written.items()]
            operations.append(CommitOperationAdd("README.md", card.encode()))
            if benchmark:
                eval_yaml = render_eval_yaml(prepared, card_config_name(prepared), head.read_text(EVAL_YAML))
                operations.append(CommitOperationAdd(EVAL_YAML, eval_yaml.encode()))
            stale = [path for path in head.files()
                     if path.startswith(f"{data_dir(prepared)}/") and path.endswith(".parquet") and path not in written]
            operations += [CommitOperationDelete(path) for path in stale]
            return safe_push.Change(
                operations, f"Publish {prepared.name} ({prepared.config_name}) with hubkit",
                ", ".join(f"{split}: {rows:,} rows" for split, rows in prepared.split_sizes.items()))

        pushed = safe_push.commit(api, repo_id, change, repo_type="dataset", revision=branch)
    extra = ["README.md"] + ([EVAL_YAML] if benchmark else [])
    return PushResult(repo_id, branch, pushed.commit, pushed.commit_url, sorted(written) + extra,
                      changed=pushed.changed, repo_url=pushed.repo_url)


def _write_parquet(prepared: Prepared, staging: Path) -> dict[str, Path]:
    """Write every shard once (repo path -> local file); each commit attempt uploads from these."""
    shards = {split: max(1, math.ceil(dataset.data.nbytes / MAX_SHARD_BYTES))
              for split, dataset in prepared.dataset.items()}
    written = {}
    for split, paths in parquet_paths(prepared, shards).items():
        dataset = prepared.dataset[split]
        for index, repo_path in enumerate(paths):
            local = staging / repo_path
            local.parent.mkdir(parents=True, exist_ok=True)
            shard = dataset.shard(num_shards=len(paths), index=index, contiguous=True) if len(paths) > 1 else dataset
            shard.to_parquet(str(local))
            written[repo_path] = local
    return written
