"""The record of a transfer curve (``curve.json``): what was run, on what, and what it scored.

Kept apart from the runs so that the summary statistics (mean and sample standard deviation over
seeds, the pre-trained minus random-initialisation gap) are plain functions of the per-run scores,
which the tests recompute independently from ``curve.csv``.
"""

from __future__ import annotations

import statistics
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

from hubkit.transfer_curve.subsets import digest, optimizer_steps, repeats_for
from hubkit.transfer_curve.variants import DOMAIN_ADAPTED, PRETRAINED, RANDOM_INIT, Variant

SCHEMA_VERSION = 1


def build_record(request, data, base, variants: Sequence[Variant], subsets: dict[int, dict[int, list[int]]],
                 runs: list[dict[str, Any]], pretrain: dict[str, Any] | None) -> dict[str, Any]:
    """Everything ``curve.json`` holds; ``request``, ``data`` and ``base`` are those of :mod:`.curve`."""
    from hubkit.train.runner import device_summary

    adapter, model, recipe = data.adapter, base.model, request.recipe
    sizes = sorted(request.sizes)
    return {
        "schema_version": SCHEMA_VERSION,
        "dataset": dataset_record(request, data),
        "base_model": model.record(),
        "recipe": recipe.as_dict(),
        "metric": adapter.primary_metric,
        "greater_is_better": adapter.greater_is_better,
        "protocol": {"scored_on": "the full validation split, once, after the last epoch",
                     "checkpoint_selection": "none (the final model of each run)",
                     "subsets": "stratified by label (Sainte-Laguë apportionment), nested across sizes per seed",
                     "seeds": "seed i draws the subsets and seeds the training",
                     "min_steps": request.min_steps,
                     "repeats": {str(n): repeats_for(n, recipe, request.min_steps) for n in sizes},
                     "optimizer_steps": {str(n): optimizer_steps(n, recipe, request.min_steps) for n in sizes}},
        "sizes": sizes,
        "seeds": list(request.seeds),
        "variants": [{"name": v.name, "label": v.label, "weights": weights_of(v, model.model_id)} for v in variants],
        "subsets": {str(seed): {str(size): subset_record(data, rows) for size, rows in by_size.items()}
                    for seed, by_size in subsets.items()},
        "runs": runs,
        "curve": summarise(runs, [v.name for v in variants], sizes, adapter.primary_metric),
        "comparison": compare(runs, sizes, adapter.primary_metric, adapter.greater_is_better),
        "pretrain": pretrain,
        "environment": {**device_summary(), "versions": versions()},
        "command": sys.argv,
    }


def summarise(runs: Sequence[dict[str, Any]], variants: Sequence[str], sizes: Sequence[int],
              metric: str) -> dict[str, list[dict[str, Any]]]:
    """Per variant and size: mean and sample standard deviation (0 for one seed) over the seeds."""
    curve: dict[str, list[dict[str, Any]]] = {}
    for variant in variants:
        points = []
        for size in sizes:
            values = [r["metrics"][metric] for r in runs if r["variant"] == variant and r["train_examples"] == size]
            points.append({"train_examples": size, "mean": statistics.fmean(values),
                           "std": statistics.stdev(values) if len(values) > 1 else 0.0, "values": values})
        curve[variant] = points
    return curve


def compare(runs: Sequence[dict[str, Any]], sizes: Sequence[int], metric: str, greater: bool) -> dict[str, Any]:
    """The pre-trained curve against random initialisation: the gap at each size, and whether it always wins."""
    curve = summarise(runs, [PRETRAINED, RANDOM_INIT], sizes, metric)
    gaps = [{"train_examples": p["train_examples"], "difference": p["mean"] - r["mean"]}
            for p, r in zip(curve[PRETRAINED], curve[RANDOM_INIT])]
    wins = all((g["difference"] > 0) if greater else (g["difference"] < 0) for g in gaps)
    return {"pretrained_minus_random_init": gaps, "pretrained_better_at_every_size": wins}


def dataset_record(request, data) -> dict[str, Any]:
    loaded, names = data.prepared, data.label_names  # a hubkit.train.data.TrainData
    validation_labels = Counter(data.validation[data.adapter.label_column])
    return {**{k: v for k, v in loaded.record.items() if k != "sources"},
            "labels": names,
            "train_label_counts": {names[k]: v for k, v in sorted(Counter(data.train_labels).items())},
            "validation_examples": len(data.validation),
            "validation_label_counts": {names[k]: v for k, v in sorted(validation_labels.items())},
            "majority_baseline": max(validation_labels.values()) / len(data.validation)}


def subset_record(data, rows: list[int]) -> dict[str, Any]:
    counts = Counter(data.train_labels[i] for i in rows)
    return {"digest": digest(rows), "label_counts": {name: counts.get(k, 0) for k, name in enumerate(data.label_names)}}


def weights_of(variant: Variant, model_id: str) -> str:
    if variant.name == RANDOM_INIT:
        return f"fresh, from the config of {model_id}"
    if variant.name == DOMAIN_ADAPTED:
        return f"{model_id} after masked-LM training on the corpus"
    return model_id


def versions() -> dict[str, str]:
    import importlib.metadata as md

    found = {}
    for package in ("hubkit", "torch", "transformers", "datasets"):
        try:
            found[package] = md.version(package)
        except md.PackageNotFoundError:
            pass
    return found
