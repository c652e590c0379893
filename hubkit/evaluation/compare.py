"""``hubkit compare``: is model A better than model B on the same examples, and how sure are we?

Two evaluation results are paired example by example through the content hash of each example
(``example_sha256`` in the predictions), so they need not come from the same run or even list
examples in the same order; only examples both scored are used, and their references must agree.
Each metric gets a paired bootstrap (both systems scored on the same resampled examples; the
difference A - B, its 95% interval and a two-sided p-value) and, for classification accuracy,
McNemar's test on the discordant examples (exact binomial when there are fewer than 25). Language
models are paired by token block and compared on perplexity (lower is better). This is
the paired analysis lm-evaluation-harness users ask for (LM#3831) instead of an unpaired z-test.

Either side may be a ``hubkit train`` result: its per-example predictions of one split (validation
unless ``split`` says otherwise) carry the same example hashes, from the model at the folder's top
level (the best seed) or from one seed's folder (``train_seed``).
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from hubkit.evaluation import provenance, schema
from hubkit.evaluation.errors import EvaluationError
from hubkit.evaluation.predictions import read_predictions

# Below this many discordant examples McNemar's chi-squared approximation is poor: use the exact test.
MCNEMAR_EXACT_BELOW = 25


def comparison_metrics(task: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(metric module, score key to report, options) for a task family."""
    family = task["family"]
    if family == "text-classification":
        labels = list(range(len(task.get("labels") or []))) or None
        binary = labels is not None and len(labels) == 2
        f1 = ("f1", "f1", {"average": "binary"}) if binary else ("f1", "f1", {"average": "macro", "labels": labels})
        return [("accuracy", "accuracy", {}), f1]
    if family == "token-classification":
        return [("seqeval", "overall_f1", {})]
    if family == "question-answering":
        return [("squad", "exact_match", {}), ("squad", "f1", {})]
    if family == "language-modeling":
        return [("perplexity", "perplexity", {})]
    raise EvaluationError(f"no paired comparison is defined for task family {family!r} yet")


def paired_columns(task: dict[str, Any]) -> tuple[str, str | None]:
    """The predictions column and the references column (None: the metric needs none) to pair."""
    if task["family"] == "language-modeling":
        return "token_losses", None
    return "predictions", "references"


def compare(path_a: str | Path, path_b: str | Path, n_resamples: int = 1000, seed: int = 0,
            split: str | None = None, train_seed: int | None = None) -> dict[str, Any]:
    """Paired bootstrap (and McNemar where it applies) of result A against result B.

    ``split`` and ``train_seed`` choose what a training result contributes (see the module's
    docstring); an evaluation result holds one split, and ``split`` must then name that one.
    """
    from hubkit import metrics

    side_a = _comparable(path_a, schema.load_results(path_a), split, train_seed)
    side_b = _comparable(path_b, schema.load_results(path_b), split, train_seed)
    a, b = side_a.results, side_b.results
    _same_task(a, b)
    prediction_column, reference_column = paired_columns(a["task"])
    needed = [c for c in (prediction_column, reference_column) if c]
    table_a, table_b = side_a.predictions(needed), side_b.predictions(needed)
    rows_a, rows_b = _pair(table_a, table_b)
    if not rows_a:
        raise EvaluationError(_NOTHING_SHARED.get(a["task"]["family"], _NOTHING_SHARED[None]))
    preds_a = _values(table_a, prediction_column, rows_a)
    preds_b = _values(table_b, prediction_column, rows_b)
    refs = None
    if reference_column:
        refs = _values(table_a, reference_column, rows_a)
        if refs != _values(table_b, reference_column, rows_b):
            raise EvaluationError("the two results disagree on the references of shared examples; "
                                  "were they scored with different label sets?")
    else:
        # A block with no scored token (no mask fell in it) adds nothing to perplexity.
        scored = [i for i, (x, y) in enumerate(zip(preds_a, preds_b)) if x and y]
        preds_a, preds_b = [preds_a[i] for i in scored], [preds_b[i] for i in scored]
    tests: dict[str, Any] = {}
    for module, key, options in comparison_metrics(a["task"]):
        outcome = metrics.compare(module, preds_a, preds_b, refs, n_resamples=n_resamples, seed=seed, **options)
        if key not in outcome:
            raise EvaluationError(f"metric {module} gave no {key!r} score to compare")
        tests[key] = outcome[key]
    result = {
        "a": side_a.identity(), "b": side_b.identity(),
        "dataset": {k: a["dataset"].get(k) for k in ("name", "config", "split")},
        "unit": "token blocks" if reference_column is None else "examples",
        "shared_examples": len(rows_a), "only_a": table_a.num_rows - len(rows_a),
        "only_b": table_b.num_rows - len(rows_b),
        "paired_bootstrap": tests,
        "settings": {"n_resamples": n_resamples, "seed": seed, "confidence_level": 0.95, "method": "percentile",
                     "metric_modules": provenance.metric_module_hashes(m for m, _, _ in comparison_metrics(a["task"]))},
    }
    if a["task"]["family"] == "text-classification":
        result["mcnemar"] = _mcnemar(preds_a, preds_b, refs)
    return result


def _same_task(a: dict[str, Any], b: dict[str, Any]) -> None:
    if a["task"]["family"] != b["task"]["family"]:
        raise EvaluationError(f"cannot compare a {a['task']['family']} result with a {b['task']['family']} one")
    where = [(k, a["dataset"].get(k), b["dataset"].get(k)) for k in ("name", "config", "split")]
    differ = [f"{k} {x!r} vs {y!r}" for k, x, y in where if x != y]
    if differ:
        raise EvaluationError("the results are on different data: " + ", ".join(differ))
    if list(a["task"].get("labels") or []) != list(b["task"].get("labels") or []):
        raise EvaluationError("the results use different label sets; predictions are not comparable")


_NOTHING_SHARED = {
    None: "the two results share no examples (compare pairs examples by their content hash)",
    "language-modeling": "the two results share no scored token blocks; language models are paired block by "
                         "block, so both must use the same tokenizer, block size and text",
}


def _values(table, column: str, rows: list[int]) -> list:
    values = table.column(column).to_pylist()
    return [values[i] for i in rows]


@dataclasses.dataclass
class _Side:
    """One side of a comparison: a result seen as one model scored on one split.

    An evaluation result is that already. A training result is turned into it: its task, the
    dataset with the chosen split, the chosen seed's metrics on that split, and the JSON Lines
    predictions that ``hubkit train`` wrote beside the model.
    """

    path: Path
    results: dict[str, Any]
    file: Path
    recorded_sha256: str | None = None

    def predictions(self, columns: list[str]):
        if not self.file.is_file():
            raise EvaluationError(f"{self.file}: the predictions of {self.path} are missing")
        if self.recorded_sha256 and provenance.sha256_file(self.file) != self.recorded_sha256:
            raise EvaluationError(f"{self.file} does not match the sha256 recorded in {self.path}; "
                                  "it was changed after the run")
        table = read_predictions(self.file) if self.file.suffix == ".parquet" else _read_jsonl(self.file)
        missing = {"example_sha256", *columns} - set(table.column_names)
        if "example_sha256" in missing and self.file.suffix == ".jsonl":
            raise EvaluationError(f"{self.file} has no example hashes (written by an older hubkit train); "
                                  f"run `hubkit eval` on the model and compare that result")
        if missing:
            raise EvaluationError(f"{self.file} lacks columns {sorted(missing)}")
        return table

    def identity(self) -> dict[str, Any]:
        model, results = self.results["model"], self.results
        return {"results": str(self.path), "model": model.get("id"),
                "revision": model.get("revision") or model.get("content_sha256"),
                "primary_metric": results["metrics"].get(results["task"]["primary_metric"])}


def _comparable(path: str | Path, results: dict[str, Any], split: str | None, train_seed: int | None) -> _Side:
    path = Path(path)
    if schema.kind_of(results) == schema.EVALUATION:
        recorded = results["dataset"].get("split")
        if split is not None and split != recorded:
            raise EvaluationError(f"{path}: this evaluation scored split {recorded!r}, not {split!r}")
        file = schema.results_dir(path) / results["predictions"].get("file", schema.PREDICTIONS_FILE)
        return _Side(path, results, file, results["predictions"].get("sha256"))
    return _training_side(path, results, split, train_seed)


def _training_side(path: Path, results: dict[str, Any], split: str | None, train_seed: int | None) -> _Side:
    runs = results.get("per_seed") or []
    if not runs:
        raise EvaluationError(f"{path}: this training result records no finished seed")
    folder = schema.results_dir(path)
    if train_seed is None:
        best = folder / "best_seed.txt"
        chosen = int(best.read_text().strip()) if len(runs) > 1 and best.is_file() else runs[0]["seed"]
        run = next((r for r in runs if r["seed"] == chosen), runs[0])
    else:
        run = next((r for r in runs if r["seed"] == train_seed), None)
        if run is None:
            raise EvaluationError(f"{path}: no seed {train_seed} in this training result "
                                  f"(seeds: {', '.join(str(r['seed']) for r in runs)})")
        folder = folder / run.get("output_dir", ".")
    scored = list(run.get("metrics") or {})
    chosen_split = split or ("validation" if "validation" in scored else next(iter(scored), None))
    if chosen_split not in scored:
        raise EvaluationError(f"{path}: the training run scored no split {chosen_split!r} "
                              f"(scored: {', '.join(scored) or 'none'})")
    base = results.get("base_model") or {}
    view = {
        "task": results["task"],
        "dataset": {**results.get("dataset", {}), "split": chosen_split},
        "model": {"id": f"{folder.as_posix()} (seed {run['seed']}, fine-tuned from {base.get('id')})",
                  "revision": None},
        "metrics": run["metrics"][chosen_split],
    }
    return _Side(path, view, folder / f"predictions_{chosen_split}.jsonl")


def _read_jsonl(file: Path):
    """``hubkit train``'s predictions: one JSON object per example, in the split's order."""
    import pyarrow as pa

    rows = []
    with open(file, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                rows.append(json.loads(line))
            except ValueError:
                raise EvaluationError(f"{file}:{number}: not a JSON object") from None
    return pa.Table.from_pylist(rows)


def _pair(table_a, table_b) -> tuple[list[int], list[int]]:
    """Row numbers of shared examples in A's order; a repeated example pairs occurrence by occurrence."""
    positions: dict[str, list[int]] = defaultdict(list)
    for index, digest in enumerate(table_b.column("example_sha256").to_pylist()):
        positions[digest].append(index)
    rows_a, rows_b = [], []
    for index, digest in enumerate(table_a.column("example_sha256").to_pylist()):
        if positions.get(digest):
            rows_a.append(index)
            rows_b.append(positions[digest].pop(0))
    return rows_a, rows_b


def _mcnemar(preds_a: list, preds_b: list, refs: list) -> dict[str, Any]:
    from hubkit.metrics import load

    module = load("mcnemar")
    first = module._compute(predictions1=preds_a, predictions2=preds_b, references=refs)
    exact = first["only_1_correct"] + first["only_2_correct"] < MCNEMAR_EXACT_BELOW
    outcome = module._compute(predictions1=preds_a, predictions2=preds_b, references=refs, exact=exact)
    return {"statistic": float(outcome["statistic"]), "p_value": float(outcome["p_value"]),
            "only_a_correct": int(outcome["only_1_correct"]), "only_b_correct": int(outcome["only_2_correct"]),
            "test": "exact binomial" if exact else "chi-squared (1 df)"}


def summary_lines(result: dict[str, Any]) -> list[str]:
    """The comparison as a few lines of text for the terminal."""
    lines = [f"A: {result['a']['model']} ({result['a']['results']})", f"B: {result['b']['model']} ({result['b']['results']})",
             f"{result['shared_examples']} shared {result.get('unit', 'examples')} of {result['dataset']['name']} "
             f"{result['dataset']['split']} (only in A: {result['only_a']}, only in B: {result['only_b']})",
             f"{'metric':<12} {'A':>10} {'B':>10} {'A-B':>10}  {'95% CI':<22} p-value"]
    for key, test in result["paired_bootstrap"].items():
        interval = f"[{test['low']:+.4g}, {test['high']:+.4g}]"
        lines.append(f"{key:<12} {test['a']:>10.4g} {test['b']:>10.4g} {test['difference']:>+10.4g}  "
                     f"{interval:<22} {test['p_value']:.4g}")
    if "mcnemar" in result:
        m = result["mcnemar"]
        lines.append(f"McNemar ({m['test']}): only A right {m['only_a_correct']}, only B right {m['only_b_correct']}, "
                     f"p-value {m['p_value']:.4g}")
    return lines
