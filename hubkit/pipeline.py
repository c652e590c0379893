"""The whole transfer-learning cycle for one dataset, ending on the hub (what ``hubkit run`` does).

prepare -> validate -> push the dataset (Parquet + card + ``eval.yaml``) -> fine-tune the
baseline on the pushed repo at that commit -> push the model with its card -> evaluate the pushed
model by its repo id on the same repo and commit (with provenance) and add the result to its
card. Given a dataset repo ``NS/NAME`` instead of a builder, the first three steps become reading
the repo at ``--dataset-revision``. Every step is a library call that the other commands use too; a failing step
raises before anything later is pushed.

:func:`run` is a plain function, so tests and scripts call it without click; the command in
:mod:`hubkit.cli.run` only turns flags into a :class:`RunRequest` and prints what comes back. It
reports progress through two callbacks instead of printing, and the heavy libraries load inside the
steps, after :func:`hubkit.hub_client.connect` has chosen the endpoint they read at import.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hubkit.datasets.errors import DatasetError
from hubkit.datasets.repo import is_repo_id

STEPS = 6


@dataclasses.dataclass(frozen=True)
class RunRequest:
    """What to run; ``None`` means the default (the dataset's recipe, the token's user, ``runs/DATASET``)."""

    dataset: str
    config: str | None = None
    data_dir: str | None = None
    model: str | None = None
    output_dir: Path | None = None
    namespace: str | None = None
    max_train_samples: int | None = None
    max_eval_samples: int | None = None
    epochs: float | None = None
    learning_rate: float | None = None
    # For a dataset repo NS/NAME: its revision, and its task when its card does not say it.
    dataset_revision: str | None = None
    task: Any = None
    seed: int = 42
    private: bool = False
    progress: bool = True

    @property
    def folder(self) -> Path:
        """Where training and evaluation write."""
        return self.output_dir or Path("runs") / (self.dataset + (f"-{self.config}" if self.config else ""))


@dataclasses.dataclass(frozen=True)
class RunResult:
    """The repos a run pushed to, and the training results it recorded."""

    endpoint: str
    dataset_repo: str
    model_repo: str
    results: dict[str, Any]
    eval_dir: Path
    dataset_revision: str | None = None  # the commit sha training and evaluation read

    @property
    def dataset_url(self) -> str:
        return f"{self.endpoint}/datasets/{self.dataset_repo}"

    @property
    def model_url(self) -> str:
        return f"{self.endpoint}/{self.model_repo}"

    @property
    def results_url(self) -> str:
        return f"{self.endpoint}/{self.model_repo}/resolve/main/results.json"


class ValidationFailed(DatasetError):
    """The prepared dataset has validation errors, so nothing is pushed."""


StepReporter = Callable[[int, int, str], None]
NoteReporter = Callable[[str], None]


def run(request: RunRequest, on_step: StepReporter | None = None, on_note: NoteReporter | None = None) -> RunResult:
    """Run every step for ``request.dataset``; ``on_step(n, total, text)`` and ``on_note(text)`` hear progress."""
    from hubkit.hub_client import connect

    step = on_step or (lambda number, total, text: None)
    note = on_note or (lambda text: None)
    connection = connect()
    api = connection.api()
    namespace = request.namespace or api.whoami()["name"]

    if is_repo_id(request.dataset):
        step(1, STEPS, f"read {request.dataset} at {request.dataset_revision or 'main'}")
        dataset_repo, name, private = request.dataset, request.dataset.split("/")[1], request.private
        sha = _resolve(api, dataset_repo, request.dataset_revision)
        step(2, STEPS, "validate (skipped: the repo is validated by whoever pushed it)")
        step(3, STEPS, "push the dataset (skipped: it is on the hub)")
    else:
        step(1, STEPS, f"prepare {request.dataset} from {request.data_dir or 'its canonical download'}")
        prepared = _prepare(request, note)
        private = request.private or prepared.card.private_only

        step(2, STEPS, "validate")
        report = _validate(request.dataset, prepared, note)

        step(3, STEPS, "push the dataset")
        name = prepared.name
        dataset_repo = f"{namespace}/{repo_name(prepared.name, prepared.config_name, request.config)}"
        sha = _push_dataset(prepared, report, api, dataset_repo, private)
        note(f"{dataset_repo} at {sha}")

    # Training and evaluation read the repo at that commit: the card then names the data the model
    # saw, by the id and sha anyone can load, and its result attaches to the repo's leaderboard.
    step(4, STEPS, "fine-tune the baseline")
    recipe, results = _fine_tune(request, dataset_repo, sha, note)

    step(5, STEPS, "push the model with its card")
    model_repo = f"{namespace}/{repo_name(recipe.model.split('/')[-1], name, request.config)}"
    _push_model(request.folder, model_repo, private)

    step(6, STEPS, "evaluate the pushed model and add the result to its card")
    eval_dir = _evaluate_and_push(request, model_repo, dataset_repo, sha, results, api)
    return RunResult(connection.endpoint, dataset_repo, model_repo, results, eval_dir, sha)


def _prepare(request: RunRequest, note: NoteReporter):
    from hubkit.datasets.prepare import prepare

    prepared = prepare(request.dataset, request.config, request.data_dir)
    note(", ".join(f"{split}: {size}" for split, size in prepared.split_sizes.items()))
    return prepared


def _validate(dataset: str, prepared, note: NoteReporter):
    from hubkit.datasets.validate import validate

    report = validate(prepared)
    for warning in report.warnings:
        note(f"warning: {warning}")
    if not report.ok:
        raise ValidationFailed(f"{dataset} failed validation: {report.errors[0]}")
    return report


def _push_dataset(prepared, report, api: Any, repo_id: str, private: bool) -> str:
    """Push the dataset as a benchmark (``eval.yaml``); the commit sha."""
    from hubkit.datasets.push import push

    return push(prepared, report, api, repo_id, private=private, benchmark=True).commit


def _resolve(api: Any, repo_id: str, revision: str | None) -> str:
    from hubkit.datasets.repo import resolve_revision

    return resolve_revision(api, repo_id, revision)[0]


def _fine_tune(request: RunRequest, dataset_repo: str, sha: str, note: NoteReporter):
    """The baseline recipe (with the request's model, epochs and learning rate) and the training results."""
    from hubkit.recipes import recipe_for
    from hubkit.train.fine_tune import TrainRequest, fine_tune

    recipe = recipe_for(request.dataset, overrides={"model": request.model, "epochs": request.epochs,
                                                    "learning_rate": request.learning_rate})
    config = request.config if is_repo_id(request.dataset) else None  # a pushed repo's only config is its default
    results = fine_tune(TrainRequest(dataset=dataset_repo, config=config, dataset_revision=sha,
                                     task=request.task, output_dir=request.folder, recipe=recipe, seeds=(request.seed,),
                                     max_train_samples=request.max_train_samples,
                                     max_eval_samples=request.max_eval_samples, progress=request.progress))
    primary = results["task"]["primary_metric"]
    for split, scores in results["aggregate"].items():
        if primary in scores:
            note(f"{split} {primary}: {scores[primary]['mean']:.4f}")
    return recipe, results


def _push_model(folder: Path, repo_id: str, private: bool) -> None:
    from hubkit.train.publish import push_output

    push_output(folder, repo_id, private=private)


def _evaluate_and_push(request: RunRequest, model_repo: str, dataset_repo: str, sha: str, results: dict[str, Any],
                       api: Any) -> Path:
    """Evaluate the pushed model on the test split (else validation) and add the result to its card."""
    from hubkit.evaluation.push import push_evaluation
    from hubkit.evaluation.runner import EvalRequest, evaluate

    split = "test" if "test" in results["aggregate"] else "validation"
    eval_dir = request.folder / f"eval-{split}"
    task = request.task
    evaluate(EvalRequest(model=model_repo, dataset=dataset_repo, config=results["dataset"]["config"], split=split,
                         dataset_revision=sha, output_dir=eval_dir, seed=request.seed,
                         max_samples=request.max_eval_samples, overwrite=True,
                         task=task.family if task else None, columns=dict(task.columns) if task else None))
    push_evaluation(eval_dir, api)
    return eval_dir


def repo_name(*parts: str | None) -> str:
    """A repo name from the distinct non-empty parts, joined by '-', in the characters the Hub allows."""
    name = "-".join(dict.fromkeys(p for p in parts if p))
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:96]
