"""Benchmarks and their leaderboards over the repos of one hub (see :mod:`hubkit.hub.evalresults`).

Everything here is read from the repos at request time: a leaderboard is the set of
``.eval_results`` entries that name the benchmark in the models a caller may see, so it is never
stale and never shows a private model to a stranger. Parsed result files are cached by content
digest, so the cost of a leaderboard is one tree lookup per model plus the files that changed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from hubkit.hub import evalresults
from hubkit.hub.auth import Principal
from hubkit.hub.errors import HubError
from hubkit.hub.evalresults import ERROR, EVAL_YAML, REPRODUCED, Job, ResultEntry
from hubkit.hub.repos import Repo, Tree
from hubkit.hub.state import HubState


def eval_yaml(hub: HubState, dataset: Repo, sha: str) -> dict | None:
    """The benchmark definition at ``sha``, or None when the dataset is not a benchmark (or it is invalid)."""
    entry = hub.repos.tree(dataset, sha).get(EVAL_YAML)
    if entry is None:
        return None
    try:
        return evalresults.parse_eval_yaml(hub.blobs.read_bytes(entry.sha256).decode("utf-8", "replace"))
    except HubError:
        return None


def check_eval_yaml(hub: HubState, dataset: Repo, tree: Tree) -> None:
    """Refuse a commit whose resulting tree holds an invalid ``eval.yaml`` (400 naming the key)."""
    entry = tree.get(EVAL_YAML)
    if entry is None or dataset.type != "dataset":
        return
    readme = tree.get("README.md")
    card = hub.card_data(readme.sha256 if readme else None)
    text = hub.blobs.read_bytes(entry.sha256).decode("utf-8", "replace")
    evalresults.parse_eval_yaml(text, evalresults.dataset_splits(card, tree))


def model_entries(hub: HubState, model: Repo, sha: str) -> list[tuple[str, list[ResultEntry] | str]]:
    """Each ``.eval_results`` file at ``sha`` with its entries, or with the reason it is invalid."""
    tree = hub.repos.tree(model, sha)
    files = []
    for path in evalresults.result_files(tree):
        digest = tree[path].sha256
        cached = hub.results_cache.get(f"{path}\n{digest}")
        if cached is None:
            try:
                cached = evalresults.parse_results_file(path, hub.blobs.read_bytes(digest).decode("utf-8", "replace"))
            except ValueError as exc:
                cached = str(exc)
            hub.results_cache.put(f"{path}\n{digest}", cached, len(str(cached)) + 200)
        files.append((path, cached))
    return files


def dataset_sha_for(hub: HubState, dataset: Repo, entry: ResultEntry) -> str | None:
    """The benchmark revision an entry was measured on: its ``dataset.revision``, else main."""
    try:
        return hub.repos.resolve(dataset, entry.dataset_revision or "main")
    except HubError:
        return None


def verification_of(hub: HubState, model: Repo, model_sha: str, dataset: Repo | None, entry: ResultEntry) -> dict:
    """``{status, measuredValue}`` of an entry: reproduced, failed, error, or pending."""
    dataset_sha = dataset_sha_for(hub, dataset, entry) if dataset else None
    if dataset is None or dataset_sha is None:
        return {"status": "unverifiable", "measuredValue": None}
    record = evalresults.find_verification(hub.conn, hub.signing_key, model, model_sha, dataset.repo_id,
                                           dataset_sha, entry.task_id, entry.claim)
    if record is not None:
        result = {"status": record["status"], "measuredValue": record["measuredValue"],
                  "verifiedAt": record["verifiedAt"], "datasetRevision": dataset_sha}
        if record["status"] == REPRODUCED:
            result["verifyToken"] = evalresults.verify_token(hub.signing_key, _token_payload(
                model, dataset.repo_id, dataset_sha, entry))
        elif record["status"] == ERROR:
            result["detail"] = record["detail"]
        return result
    token = entry.data.get("verifyToken")
    payload = evalresults.read_verify_token(hub.signing_key, token) if token else None
    if payload is not None and payload == _token_payload(model, dataset.repo_id, dataset_sha, entry):
        return {"status": REPRODUCED, "measuredValue": None, "datasetRevision": dataset_sha, "byToken": True}
    return {"status": "pending", "measuredValue": None, "datasetRevision": dataset_sha}


def _token_payload(model: Repo, dataset_id: str, dataset_sha: str, entry: ResultEntry) -> dict:
    return {"model": model.repo_id.lower(), "dataset": dataset_id.lower(), "datasetSha": dataset_sha,
            "taskId": entry.task_id, "claim": entry.claim, "status": REPRODUCED}


def eval_results_json(hub: HubState, model: Repo, sha: str) -> list[dict]:
    """``model_info(expand=["evalResults"])``: each entry (under ``data``), or ``{filename, error}``."""
    items = []
    for path, parsed in model_entries(hub, model, sha):
        if isinstance(parsed, str):
            items.append({"filename": path, "error": parsed})
            continue
        for entry in parsed:
            dataset = hub.repos.get("dataset", *_split_id(entry.dataset_id))
            verification = verification_of(hub, model, sha, dataset, entry)
            items.append({"filename": path, "data": entry.data, "verified": verification["status"] == REPRODUCED,
                          "verification": verification})
    return items


def _split_id(repo_id: str) -> tuple[str, str]:
    namespace, _, name = repo_id.partition("/")
    return namespace, name


def _author(hub: HubState, namespace: str) -> dict:
    is_user = hub.conn.execute("SELECT 1 FROM users WHERE name = ? COLLATE NOCASE", (namespace,)).fetchone()
    return {"type": "user", "name": namespace, "fullname": namespace} if is_user else \
        {"type": "org", "name": namespace, "fullname": namespace}


def leaderboard(hub: HubState, dataset: Repo, principal: Principal | None, *, base_model_only: bool) -> list[dict]:
    """The benchmark's leaderboard: per task, entries ranked by value (higher first)."""
    definition = eval_yaml(hub, dataset, hub.repos.resolve(dataset, "main"))
    if definition is None:
        raise HubError(404, "NotFound", f"{dataset.repo_id} has no leaderboard: it is not a benchmark (no valid "
                       "eval.yaml at its root).")
    task_order = [task["id"] for task in definition["tasks"]]
    rows: list[dict] = []
    for model in hub.repos.list("model"):
        if not hub.can_read(model, principal):
            continue
        sha = hub.repos.ref_sha(model, "refs/heads/main")
        readme = hub.repos.tree(model, sha).get("README.md")
        if base_model_only and hub.card_data(readme.sha256 if readme else None).get("base_model"):
            continue
        rows += _model_rows(hub, model, sha, dataset, task_order, pull_request=None)
        for pr in hub.repos.discussions(model):
            if pr["is_pr"] and pr["status"] == "open":
                head = hub.repos.ref_sha(model, f"refs/pr/{pr['num']}")
                seen = {(r["filename"], r["taskId"], r["value"]) for r in rows if r["modelId"] == model.repo_id}
                rows += [r for r in _model_rows(hub, model, head, dataset, task_order, pull_request=pr["num"])
                         if (r["filename"], r["taskId"], r["value"]) not in seen]
    ranked = []
    for task_id in task_order:
        task_rows = sorted((r for r in rows if r["taskId"] == task_id), key=lambda r: (-r["value"], r["modelId"]))
        for rank, row in enumerate(task_rows, start=1):
            ranked.append({"rank": rank, **row})
    return ranked


def _model_rows(hub: HubState, model: Repo, sha: str, dataset: Repo, task_order: list[str],
                pull_request: int | None) -> list[dict]:
    rows = []
    for path, parsed in model_entries(hub, model, sha):
        if isinstance(parsed, str):
            continue
        for entry in parsed:
            if entry.dataset_id.lower() != dataset.repo_id.lower() or entry.task_id not in task_order:
                continue
            verification = verification_of(hub, model, sha, dataset, entry) if pull_request is None else \
                {"status": "community", "measuredValue": None}
            source = entry.data.get("source")
            rows.append({
                "modelId": model.repo_id, "value": entry.value, "filename": path, "taskId": entry.task_id,
                "verified": verification["status"] == REPRODUCED, "verification": verification,
                "source": {"url": source["url"], "name": source.get("name"), "isExternal": True} if source else None,
                "author": _author(hub, model.namespace), "pullRequest": pull_request,
                "notes": entry.data.get("notes"), "datasetRevision": entry.dataset_revision,
            })
    return rows


def pending_jobs(hub: HubState) -> list[Job]:
    """Every claim on a benchmark that this hub has not re-checked at the model's current main."""
    jobs = []
    for dataset in hub.repos.list("dataset"):
        main = hub.repos.ref_sha(dataset, "refs/heads/main")
        definition = eval_yaml(hub, dataset, main)
        if definition is None:
            continue
        tasks = {task["id"]: task for task in definition["tasks"]}
        for model in hub.repos.list("model"):
            sha = hub.repos.ref_sha(model, "refs/heads/main")
            for _, parsed in model_entries(hub, model, sha):
                for entry in parsed if not isinstance(parsed, str) else []:
                    if entry.dataset_id.lower() != dataset.repo_id.lower() or entry.task_id not in tasks:
                        continue
                    status = verification_of(hub, model, sha, dataset, entry)["status"]
                    dataset_sha = dataset_sha_for(hub, dataset, entry)
                    if status == "pending" and dataset_sha:
                        jobs.append(Job(model, sha, dataset, dataset_sha, tasks[entry.task_id], entry))
    return jobs


def record(hub: HubState, job: Job, *, measured: float | None, error: str | None = None) -> str:
    """Record a re-check's outcome (reproduced / failed / error) and return its status."""
    if error is not None or measured is None:
        status, detail = ERROR, error or "no value measured"
    else:
        status = REPRODUCED if evalresults.reproduces(job.entry.claim, measured) else evalresults.FAILED
        detail = f"claimed {job.entry.claim}, measured {measured!r}"
    evalresults.record_verification(hub.conn, hub.signing_key, job, status, measured, detail)
    return status


def export_snapshot(hub: HubState, repo: Repo, sha: str, destination: Path) -> Path:
    """Write the repo's files at ``sha`` into ``destination`` (for a local re-run of an evaluation)."""
    destination.mkdir(parents=True, exist_ok=True)
    for path, entry in hub.repos.tree(repo, sha).items():
        target = destination / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(hub.blobs.path(entry.sha256), target)
    return destination
