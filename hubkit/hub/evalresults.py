"""The Hub's evaluation-results system, served as huggingface.co serves it.

- A dataset repo is a **benchmark** when it holds ``eval.yaml`` at its root (``name``,
  ``description``, ``evaluation_framework``, ``tasks: [{id, config, split}]``). It is validated
  when committed, so a benchmark never names a split its data lacks.
- A model repo states **results** in ``.eval_results/*.yaml``: lists of entries with
  ``dataset.id`` (the benchmark), ``dataset.task_id``, optional ``dataset.revision``, ``value``,
  ``verifyToken``, ``date``, ``source`` and ``notes``. A file that is not valid is shown as
  ``{filename, error}``, as the Hub does, rather than refusing the commit.
- ``GET /api/datasets/{id}/leaderboard`` ranks every visible model's entries for the benchmark
  (models that declare a ``base_model`` only with ``base_model=false``, as on the Hub); entries
  still in an open pull request appear with ``pullRequest`` (the "community" badge).
- **Verified** means this hub re-ran the evaluation itself (``hubkit hub verify``) and the claim
  matched: the record, kept in the hub's own database and never committed to the model repo (that
  would change the sha it vouches for), carries an HMAC by the hub's key over what it vouches for,
  checked every time it is shown. A ``verifyToken`` inside a pushed entry counts only when it is
  such a signature by this hub over that same claim.
"""

from __future__ import annotations

import base64
import dataclasses
import decimal
import hashlib
import hmac
import json
import math
from typing import Any

import yaml

from hubkit.hub.cardyaml import InvalidYaml, compose_bounded, load_bounded
from hubkit.hub.errors import HubError
from hubkit.hub.repos import Repo, Tree
from hubkit.hub.timeutil import now_iso

EVAL_YAML = "eval.yaml"
RESULTS_FOLDER = ".eval_results/"
EVAL_YAML_KEYS = ("name", "description", "evaluation_framework", "tasks")
TASK_KEYS = ("id", "config", "split")
ENTRY_KEYS = ("dataset", "value", "verifyToken", "date", "source", "notes", "evaluation_framework")
TOKEN_PREFIX = "hubkit-verify-v1."

# Statuses of a verification record.
REPRODUCED, FAILED, ERROR = "reproduced", "failed", "error"


# ----- eval.yaml -----
def invalid_eval_yaml(message: str) -> HubError:
    return HubError(400, "InvalidEvalYaml", f"eval.yaml: {message}")


def parse_eval_yaml(text: str, splits: dict[str, set[str]] | None = None) -> dict:
    """The benchmark definition; 400 ``InvalidEvalYaml`` naming the key at fault.

    ``splits``: each config's splits, when the dataset's card or files tell them; a task naming a
    config or split not among them is refused.
    """
    try:
        data = load_bounded(text)
    except InvalidYaml as exc:
        raise invalid_eval_yaml(str(exc)) from None
    if not isinstance(data, dict):
        raise invalid_eval_yaml("must be a YAML mapping with 'name' and 'tasks'")
    unknown = [str(k) for k in data if k not in EVAL_YAML_KEYS]
    if unknown:
        raise invalid_eval_yaml(f"unknown key {unknown[0]!r}; the keys are {', '.join(EVAL_YAML_KEYS)}")
    for key in ("name", "description", "evaluation_framework"):
        if key in data and not isinstance(data[key], str):
            raise invalid_eval_yaml(f"{key!r} must be a string")
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        raise invalid_eval_yaml("'name' is required")
    tasks = data.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise invalid_eval_yaml("'tasks' must be a non-empty list of {id, config, split}")
    seen: set[str] = set()
    for number, task in enumerate(tasks):
        where = f"tasks[{number}]"
        problem = _mapping_problem(task, TASK_KEYS, where)
        if problem:
            raise invalid_eval_yaml(problem)
        for key in ("id", "split"):
            if not isinstance(task.get(key), str) or not task[key]:
                raise invalid_eval_yaml(f"{where}.{key} is required (a string)")
        config = task.setdefault("config", "default")
        if not isinstance(config, str):
            raise invalid_eval_yaml(f"{where}.config must be a string")
        if task["id"] in seen:
            raise invalid_eval_yaml(f"{where}.id {task['id']!r} is used twice")
        seen.add(task["id"])
        if splits:
            if config not in splits:
                raise invalid_eval_yaml(f"{where}.config {config!r} is not a config of this dataset "
                                        f"(it has {', '.join(sorted(splits))})")
            if task["split"] not in splits[config]:
                raise invalid_eval_yaml(f"{where}.split {task['split']!r} is not a split of config {config!r} "
                                        f"(it has {', '.join(sorted(splits[config]))})")
    return data


def _mapping_problem(value: Any, keys: tuple[str, ...], where: str) -> str | None:
    """Why ``value`` is not a mapping with only ``keys`` (one line naming the place), or None."""
    if not isinstance(value, dict):
        return f"{where} must be a mapping with the keys {', '.join(keys)}"
    unknown = [str(k) for k in value if k not in keys]
    if unknown:
        return f"{where}: unknown key {unknown[0]!r}; the keys are {', '.join(keys)}"
    return None


def dataset_splits(card: dict, tree: Tree) -> dict[str, set[str]]:
    """Each config's splits, from the card's ``configs``/``dataset_info``, else from Parquet names."""
    splits: dict[str, set[str]] = {}
    configs = card.get("configs")
    for config in configs if isinstance(configs, list) else []:
        if isinstance(config, dict) and isinstance(config.get("data_files"), list):
            name = str(config.get("config_name", "default"))
            for files in config["data_files"]:
                if isinstance(files, dict) and "split" in files:
                    splits.setdefault(name, set()).add(str(files["split"]))
    infos = card.get("dataset_info")
    for info in infos if isinstance(infos, list) else [infos] if isinstance(infos, dict) else []:
        if isinstance(info, dict) and isinstance(info.get("splits"), list):
            name = str(info.get("config_name", "default"))
            for split in info["splits"]:
                if isinstance(split, dict) and "name" in split:
                    splits.setdefault(name, set()).add(str(split["name"]))
    if not splits:  # no card metadata: data/{split}-*.parquet, as datasets' push_to_hub names them
        for path in tree.files_under("data"):
            parts = path.split("/")
            if len(parts) == 2 and parts[0] == "data" and parts[1].endswith(".parquet"):
                splits.setdefault("default", set()).add(parts[1].split("-", 1)[0])
    return splits


# ----- .eval_results entries -----
@dataclasses.dataclass(frozen=True)
class ResultEntry:
    """One claimed result of a model on a benchmark task."""

    filename: str
    dataset_id: str
    task_id: str
    dataset_revision: str | None
    value: float
    data: dict  # the entry as written

    written: str | None = None  # the value's text in the file, e.g. "0.8140"

    @property
    def claim(self) -> str:
        """The value as the model's author wrote it (``0.8140`` claims more than ``0.814``)."""
        if self.written is not None:
            try:
                if decimal.Decimal(self.written) == decimal.Decimal(repr(self.value)):
                    return self.written
            except decimal.InvalidOperation:
                pass
        return repr(self.value)


def reproduces(claim: str, measured: float) -> bool:
    """|claimed - measured| is at most half a unit in the claim's last written digit."""
    exponent = decimal.Decimal(claim).as_tuple().exponent
    tolerance = decimal.Decimal(5).scaleb(exponent - 1)
    return abs(decimal.Decimal(claim) - decimal.Decimal(repr(float(measured)))) <= tolerance


def parse_results_file(filename: str, text: str) -> list[ResultEntry]:
    """The entries of one ``.eval_results`` file; raises ValueError with a one-line reason."""
    data = load_bounded(text)
    written = _written_values(text)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ValueError("an .eval_results file must be a YAML list of entries")
    entries = []
    for number, item in enumerate(data):
        where = f"entry {number}"
        problem = _mapping_problem(item, ENTRY_KEYS, where)
        if problem:
            raise ValueError(problem)
        dataset = item.get("dataset")
        if not isinstance(dataset, dict) or not isinstance(dataset.get("id"), str) \
                or not isinstance(dataset.get("task_id"), str):
            raise ValueError(f"{where}: 'dataset' needs string 'id' and 'task_id'")
        revision = dataset.get("revision")
        if revision is not None and not isinstance(revision, str):
            raise ValueError(f"{where}: 'dataset.revision' must be a commit sha string")
        value = item.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{where}: 'value' must be a finite number")
        source = item.get("source")
        if source is not None and (not isinstance(source, dict) or not isinstance(source.get("url"), str)):
            raise ValueError(f"{where}: 'source' needs a string 'url'")
        for key in ("verifyToken", "date", "notes"):
            if key in item and not isinstance(item[key], str):
                raise ValueError(f"{where}: {key!r} must be a string")
        entries.append(ResultEntry(filename, dataset["id"], dataset["task_id"], revision, float(value),
                                   json.loads(json.dumps(item, default=str)),
                                   written[number] if number < len(written) else None))
    return entries


def _written_values(text: str) -> list[str | None]:
    """Each entry's ``value`` as written in the file: parsing ``0.8140`` as a float would lose the
    last digit, and with it the precision the author claimed."""
    node = compose_bounded(text)
    items = node.value if isinstance(node, yaml.SequenceNode) else [node] if node is not None else []
    texts: list[str | None] = []
    for item in items:
        found = None
        if isinstance(item, yaml.MappingNode):
            for key, value in item.value:
                if isinstance(key, yaml.ScalarNode) and key.value == "value" and isinstance(value, yaml.ScalarNode):
                    found = value.value
        texts.append(found)
    return texts


def result_files(tree: Tree) -> list[str]:
    """The result files of a model's tree; only the results folder is read, not the whole tree."""
    return [p for p in tree.files_under(RESULTS_FOLDER) if p.endswith((".yaml", ".yml"))]


# ----- signatures -----
def signed_fields(model_id: str, model_sha: str, dataset_id: str, dataset_sha: str, task_id: str, claim: str,
                  status: str, measured: float | None) -> list[str]:
    return [model_id.lower(), model_sha, dataset_id.lower(), dataset_sha, task_id, claim, status,
            "" if measured is None else repr(float(measured))]


def sign(key: bytes, fields: list[str]) -> str:
    return hmac.new(key, "\n".join(fields).encode(), hashlib.sha256).hexdigest()


def verify_token(key: bytes, payload: dict) -> str:
    """A ``verifyToken`` carrying a reproduced claim, checkable by this hub only."""
    body = base64.urlsafe_b64encode(json.dumps(payload, sort_keys=True).encode()).decode().rstrip("=")
    return f"{TOKEN_PREFIX}{body}.{sign(key, [body])}"


def read_verify_token(key: bytes, token: str) -> dict | None:
    """The payload of a token this hub signed, or None for anything else."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 4096:
        return None
    body, _, signature = token[len(TOKEN_PREFIX):].rpartition(".")
    if not hmac.compare_digest(signature, sign(key, [body])):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


# ----- the verification records -----
@dataclasses.dataclass(frozen=True)
class Job:
    """One claim the hub has not re-checked yet: a model at a sha, a benchmark task at a sha."""

    model: Repo
    model_sha: str
    dataset: Repo
    dataset_sha: str
    task: dict  # {id, config, split} from eval.yaml
    entry: ResultEntry

    @property
    def key(self) -> tuple:
        return (self.model.key, self.model_sha, self.dataset.repo_id.lower(), self.dataset_sha, self.task["id"],
                self.entry.claim)


def record_verification(conn, signing_key: bytes, job: Job, status: str, measured: float | None,
                        detail: str) -> None:
    """Store the outcome of one re-check, signed; later calls for the same job change nothing."""
    fields = signed_fields(job.model.repo_id, job.model_sha, job.dataset.repo_id, job.dataset_sha, job.task["id"],
                           job.entry.claim, status, measured)
    conn.execute("INSERT OR IGNORE INTO verifications (model_repo, model_sha, dataset_id, dataset_sha, task_id, "
                 "claim, status, measured, detail, signature, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (*job.key, status, measured, detail[:2000], sign(signing_key, fields), now_iso()))


def find_verification(conn, signing_key: bytes, model: Repo, model_sha: str, dataset_id: str, dataset_sha: str,
                      task_id: str, claim: str) -> dict[str, Any] | None:
    """The signed record for this exact claim, or None (also when its signature does not hold)."""
    row = conn.execute("SELECT * FROM verifications WHERE model_repo = ? AND model_sha = ? AND dataset_id = ? "
                       "AND dataset_sha = ? AND task_id = ? AND claim = ?",
                       (model.key, model_sha, dataset_id.lower(), dataset_sha, task_id, claim)).fetchone()
    if row is None:
        return None
    fields = signed_fields(model.repo_id, model_sha, dataset_id, dataset_sha, task_id, claim, row["status"],
                           row["measured"])
    if not hmac.compare_digest(row["signature"], sign(signing_key, fields)):
        return None
    return {"status": row["status"], "measuredValue": row["measured"], "detail": row["detail"],
            "verifiedAt": row["created_at"], "modelSha": model_sha, "datasetSha": dataset_sha}
