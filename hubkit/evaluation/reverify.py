"""``hubkit hub verify``: the hub re-runs the evaluation behind each claimed result.

A result in a model's ``.eval_results`` is only a claim. This worker, running beside
``hubkit hub serve`` over the same data dir, takes every claim the hub has not re-checked
(:func:`hubkit.hub.admin.pending_verifications`), exports the model at its commit sha and the
benchmark dataset at its sha from the hub's own storage, scores the model with hubkit's
deterministic evaluation, and records the outcome through the hub's API, which signs it. Nothing
is committed to the model repo: that would change the sha being vouched for.

The metric is the one the task id names: benchmark task ids are ``{config}-{split}-{metric}``
(``hubkit datasets push --benchmark`` writes them so), and the metric is a key of the evaluation's
``metrics``. A claim reproduces when it is within half a unit of its last written digit.

Resuming after a kill is free: a record is written only when a re-check ends, so an interrupted one
is simply still pending, and a finished one is never run again. One worker per data dir (a lock
file), so two workers never evaluate the same claim at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from hubkit.evaluation.errors import EvaluationError
from hubkit.hub import admin

LOCK_FILE = "verify.lock"


@dataclasses.dataclass(frozen=True)
class Outcome:
    model_id: str
    model_sha: str
    dataset_id: str
    task_id: str
    claim: str
    status: str
    measured: float | None
    error: str | None

    def describe(self) -> str:
        what = f"{self.model_id}@{self.model_sha[:12]} on {self.dataset_id} {self.task_id}"
        if self.error:
            return f"{what}: {self.status} ({self.error})"
        return f"{what}: {self.status} (claimed {self.claim}, measured {self.measured:.6g})"


def metric_of(task: dict) -> str:
    """The metric a benchmark task id names (``{config}-{split}-{metric}``)."""
    prefix = f"{task.get('config', 'default')}-{task['split']}-"
    if not task["id"].startswith(prefix) or len(task["id"]) == len(prefix):
        raise EvaluationError(f"task id {task['id']!r} does not name a metric: hubkit benchmark task ids are "
                              f"'{prefix}<metric>'")
    return task["id"][len(prefix):]


def measure(model_dir: Path, dataset_dir: Path, task: dict) -> float:
    """Score the exported model on the exported split; the value of the task's metric."""
    from hubkit.evaluation.runner import EvalRequest, run

    metric = metric_of(task)
    config = task.get("config", "default")
    results, _ = run(EvalRequest(model=str(model_dir), dataset=str(dataset_dir), config=config, split=task["split"],
                                 write_card=False))
    if metric not in results["metrics"]:
        raise EvaluationError(f"the evaluation has no metric {metric!r} (it has {', '.join(sorted(results['metrics']))})")
    return float(results["metrics"][metric])


@contextlib.contextmanager
def worker_lock(data_dir: Path) -> Iterator[None]:
    """Hold the data dir's verify lock, or fail at once naming the data dir."""
    path = Path(data_dir) / LOCK_FILE
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EvaluationError(f"another `hubkit hub verify` is already working over {data_dir}") from None
        yield


def verify_pending(data_dir: Path, *, once: bool, interval_s: float = 30.0,
                   report: Callable[[Outcome], None] = lambda outcome: None,
                   measure_claim: Callable[[Path, Path, dict], float] = measure) -> list[Outcome]:
    """Re-check every pending claim; with ``once`` return when none is left, else keep polling."""
    data_dir = Path(data_dir)
    if not (data_dir / "hub.sqlite3").is_file():
        raise EvaluationError(f"{data_dir} is not a hub data dir (no hub.sqlite3 in it)")
    outcomes: list[Outcome] = []
    with worker_lock(data_dir):
        while True:
            jobs = admin.pending_verifications(data_dir)
            for job in jobs:
                outcome = _check(data_dir, job, measure_claim)
                outcomes.append(outcome)
                report(outcome)
            if once:
                return outcomes
            if not jobs:
                time.sleep(interval_s)


def _check(data_dir: Path, job, measure_claim) -> Outcome:
    measured, error = None, None
    with tempfile.TemporaryDirectory(prefix="hubkit-verify-") as work:
        try:
            model_dir, dataset_dir = admin.export_for_verification(data_dir, job, Path(work))
            measured = measure_claim(model_dir, dataset_dir, job.task)
        # A worker must outlive whatever one model does wrong (weights that do not load, a config
        # transformers rejects): the claim is marked with the reason, and the next one is checked.
        except Exception as exc:  # noqa: BLE001
            error = (str(exc).splitlines() or [type(exc).__name__])[0][:300] or type(exc).__name__
    status = admin.record_verification(data_dir, job, measured=measured, error=error)
    return Outcome(job.model.repo_id, job.model_sha, job.dataset.repo_id, job.task["id"], job.entry.claim, status,
                   measured, error)
