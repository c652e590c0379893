"""The card's figures as PNG files: training curves, confusion matrix, per-class (or entity-type) F1.

matplotlib's object API with the Agg canvas (no pyplot, no display, no global state), and PNG
metadata without the software version, so the same numbers draw the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

SKIPPED_EVAL_KEYS = ("eval_runtime", "eval_samples_per_second", "eval_steps_per_second", "eval_loss")


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _save(figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", metadata={"Software": None})
    return path


def training_curves(log: list[dict[str, Any]], path: Path) -> Path | None:
    """Training (and validation) loss per step; validation metrics per step beside it when logged."""
    train = [(row["step"], row["loss"]) for row in log if "loss" in row and "step" in row]
    evals = [row for row in log if "eval_loss" in row and "step" in row]
    metric_keys = sorted({k for row in log for k in row if k.startswith("eval_") and k not in SKIPPED_EVAL_KEYS
                          and isinstance(row[k], (int, float))})
    if not train and not evals:
        return None
    figure = _figure(10 if metric_keys else 6, 4)
    axes = figure.subplots(1, 2 if metric_keys else 1, squeeze=False)[0]
    loss = axes[0]
    if train:
        loss.plot(*zip(*train), label="training loss", color="tab:blue")
    if evals:
        loss.plot([r["step"] for r in evals], [r["eval_loss"] for r in evals], "o-", label="validation loss",
                  color="tab:orange")
    loss.set(xlabel="step", ylabel="loss", title="Loss")
    loss.legend()
    loss.grid(alpha=0.3)
    if metric_keys:
        for key in metric_keys:
            points = [(r["step"], r[key]) for r in log if key in r and "step" in r]
            axes[1].plot(*zip(*points), "o-", label=key.removeprefix("eval_"))
        axes[1].set(xlabel="step", ylabel="score", title="Validation metrics")
        axes[1].legend()
        axes[1].grid(alpha=0.3)
    return _save(figure, path)


def confusion_matrix(references: Sequence[int], predictions: Sequence[int], labels: Sequence[str],
                     path: Path, title: str) -> Path | None:
    counts = confusion_counts(references, predictions, len(labels))
    if counts is None:
        return None
    size = max(3.5, 0.6 * len(labels) + 2)
    figure = _figure(size + 1, size)
    axis = figure.subplots()
    image = axis.imshow(counts, cmap="Blues")
    figure.colorbar(image, ax=axis, shrink=0.8)
    ticks = range(len(labels))
    axis.set_xticks(ticks, labels, rotation=45, ha="right")
    axis.set_yticks(ticks, labels)
    axis.set(xlabel="predicted", ylabel="true", title=title)
    threshold = counts.max() / 2 if counts.max() else 0
    for i in ticks:
        for j in ticks:
            axis.text(j, i, str(counts[i, j]), ha="center", va="center",
                      color="white" if counts[i, j] > threshold else "black")
    return _save(figure, path)


def confusion_counts(references: Sequence[Any], predictions: Sequence[Any], n: int) -> np.ndarray | None:
    """An n x n count matrix (true rows, predicted columns), or None when the values are not class ids."""
    if not n or not all(isinstance(v, int) and 0 <= v < n for v in [*references, *predictions]):
        return None
    counts = np.zeros((n, n), dtype=int)
    np.add.at(counts, (np.asarray(references, int), np.asarray(predictions, int)), 1)
    return counts


def per_class_scores(scores: dict[str, float], path: Path, title: str) -> Path | None:
    """Horizontal bars, one per class or entity type."""
    items = [(name, float(value)) for name, value in scores.items() if isinstance(value, (int, float))]
    if not items:
        return None
    figure = _figure(6, max(2.5, 0.4 * len(items) + 1.2))
    axis = figure.subplots()
    names, values = zip(*items)
    positions = range(len(items))
    axis.barh(positions, values, color="tab:green")
    axis.set_yticks(positions, names)
    axis.invert_yaxis()
    axis.set(xlim=(0, 1), xlabel="F1", title=title)
    for position, value in zip(positions, values):
        axis.text(min(value + 0.01, 0.9), position, f"{value:.3f}", va="center")
    return _save(figure, path)
