"""What the data a model was trained and evaluated on looks like: sizes, labels, lengths.

SetFit and sentence-transformers cards show label counts and length statistics; Trainer cards
show none. A training output folder holds no data, so the statistics are either computed by the
run, or recomputed here by rebuilding the dataset from its original files, and only used when
the rebuilt sources have exactly the sha256 the run recorded (stats of other data would be
wrong). They are cached in ``OUT/data_stats.json``.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

STATS_FILE = "data_stats.json"
log = logging.getLogger(__name__)


def split_stats(rows, task) -> dict[str, Any]:
    """Row count, label (or tag) distribution and length statistics of one split."""
    import datasets

    out: dict[str, Any] = {"rows": len(rows)}
    label_column = task.columns.get("label") or task.columns.get("tags")
    if label_column and label_column in rows.features:
        feature = rows.features[label_column]
        inner = feature.feature if isinstance(feature, datasets.List) else feature
        names = getattr(inner, "names", None)
        values = rows[label_column]
        flat = [v for seq in values for v in seq] if isinstance(feature, datasets.List) else values
        counts = Counter(flat)
        if names:
            out["labels"] = {(names[k] if 0 <= k < len(names) else "(none)"): counts[k] for k in sorted(counts)}
        else:
            out["labels"] = {str(k): counts[k] for k in sorted(counts, key=str)}
    lengths = {}
    for role in ("text", "text_pair", "question", "context", "tokens"):
        column = task.columns.get(role)
        if column and column in rows.features:
            sizes = [len(v) if isinstance(v, list) else len(str(v).split()) for v in rows[column]]
            lengths[column] = describe(sizes, "tokens" if role == "tokens" else "words")
    if lengths:
        out["lengths"] = lengths
    return out


def describe(values: list[int], unit: str) -> dict[str, Any]:
    if not values:
        return {"unit": unit}
    array = np.asarray(values, dtype=float)
    return {"unit": unit, "min": int(array.min()), "mean": round(float(array.mean()), 2),
            "median": float(np.median(array)), "p95": float(np.percentile(array, 95)), "max": int(array.max())}


def _head(rows, n: Any):
    """The rows a run actually used (``--max-train-samples`` takes the first N)."""
    return rows.select(range(n)) if isinstance(n, int) and 0 <= n < len(rows) else rows


def data_dir_from_command(command: Any) -> str | None:
    """The ``--data-dir`` of a recorded command line, if it had one."""
    if not isinstance(command, list):
        return None
    for index, arg in enumerate(command):
        if arg == "--data-dir" and index + 1 < len(command):
            return command[index + 1]
        if isinstance(arg, str) and arg.startswith("--data-dir="):
            return arg.split("=", 1)[1]
    return None


def training_stats(results: dict[str, Any], folder: Path, data_dir: str | None = None) -> dict[str, Any] | None:
    """Per-split statistics of a training run's data: cached, recorded by the run, or rebuilt and checked."""
    cached = folder / STATS_FILE
    if cached.is_file():
        try:
            return json.loads(cached.read_text())
        except ValueError:
            pass
    if isinstance(results.get("data_stats"), dict):
        return results["data_stats"]
    dataset = results.get("dataset") or {}
    data_dir = data_dir or dataset.get("data_dir") or data_dir_from_command(results.get("command"))
    if not dataset.get("name"):
        return None
    from hubkit.datasets.errors import DatasetError
    from hubkit.datasets.prepare import prepare

    try:
        prepared = prepare(dataset["name"], dataset.get("config"), data_dir)
    except (DatasetError, OSError) as error:  # no data here, or no network for a download
        log.warning("card: no data statistics: %s cannot be rebuilt here (%s)", dataset["name"], error)
        return None
    recorded = sorted((s.get("location"), s.get("sha256")) for s in dataset.get("sources") or [])
    rebuilt = sorted((s.location, s.sha256) for s in prepared.sources)
    if recorded and recorded != rebuilt:
        return None
    used = {"train": dataset.get("train_examples_used"), **(dataset.get("eval_examples_used") or {})}
    stats = {split: split_stats(_head(rows, used.get(split)), prepared.task) for split, rows in prepared.dataset.items()}
    try:
        cached.write_text(json.dumps(stats, indent=1) + "\n")
    except OSError:
        pass
    return stats
